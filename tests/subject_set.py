"""A labelled set of key-art-like images built from photographs that installed packages ship.

Base photographs (scikit-image, matplotlib and scikit-learn sample data) carry boxes checked by
eye in tests/data/subjects.json; every other image is a transformed copy (cut by the frame,
small in a large canvas, composited into a group, rotated, darkened, mirrored, low resolution,
titled with a Noto font) whose boxes are derived from the base boxes by the same transform.
Used by scripts/eval_subjects.py, tests/test_subjects.py and the lead's contact sheet
(key_art_set()).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

DATA = Path(__file__).resolve().parent / "data" / "subjects.json"
FONT = "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"
SERIF = "/usr/share/fonts/truetype/noto/NotoSerif-Bold.ttf"

#: Faces at least this share of the image area are held to the recall/precision targets.
TARGET_AREA = 0.02


@dataclass(frozen=True)
class Labelled:
    """(kind, [x, y, w, h]) boxes: kind in face / animal_face / text."""

    name: str
    category: str
    image: Image.Image
    subjects: tuple[tuple[str, tuple[int, int, int, int]], ...] = ()
    has_text: bool = False

    def boxes(self, *kinds: str) -> list[tuple[int, int, int, int]]:
        return [b for k, b in self.subjects if k in kinds]


@dataclass
class _Art:
    image: Image.Image
    subjects: list[tuple[str, tuple[float, float, float, float]]] = field(default_factory=list)  # xyxy


def _load_source(source: str) -> Image.Image:
    pkg, name = source.split(":", 1)
    if pkg == "skimage":
        from skimage import data

        arr = data.stereo_motorcycle()[0] if name == "motorcycle_left" else getattr(data, name)()
        return Image.fromarray(np.asarray(arr)).convert("RGB")
    if pkg == "matplotlib":
        import matplotlib.cbook as cbook

        return Image.open(cbook.get_sample_data(name)).convert("RGB")
    if pkg == "sklearn":
        from sklearn.datasets import load_sample_image

        return Image.fromarray(load_sample_image(name)).convert("RGB")
    raise ValueError(f"unknown source {source}")


@lru_cache(maxsize=1)
def _bases() -> dict[str, _Art]:
    spec = json.loads(DATA.read_text(encoding="utf-8"))["bases"]
    out = {}
    for name, entry in spec.items():
        subs = [(s["kind"], (s["box"][0], s["box"][1], s["box"][0] + s["box"][2], s["box"][1] + s["box"][3]))
                for s in entry["subjects"]]
        out[name] = _Art(_load_source(entry["source"]), subs)
    return out


def base(name: str) -> _Art:
    b = _bases()[name]
    return _Art(b.image.copy(), list(b.subjects))


# --- transforms: each returns a new _Art with the boxes carried along -------------------------

def _clip(art: _Art, min_visible: float = 0.35) -> _Art:
    """Boxes clipped to the frame; a box less than min_visible inside is dropped (not a target)."""
    w, h = art.image.size
    subs = []
    for kind, (x0, y0, x1, y1) in art.subjects:
        cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if cx1 <= cx0 or cy1 <= cy0:
            continue
        if (cx1 - cx0) * (cy1 - cy0) >= min_visible * (x1 - x0) * (y1 - y0):
            subs.append((kind, (cx0, cy0, cx1, cy1)))
    return _Art(art.image, subs)


def crop(art: _Art, box: tuple[int, int, int, int]) -> _Art:
    x0, y0, x1, y1 = box
    subs = [(k, (a - x0, b - y0, c - x0, d - y0)) for k, (a, b, c, d) in art.subjects]
    return _clip(_Art(art.image.crop(box), subs))


def cut_by_edge(art: _Art, side: str, cut: float = 0.3) -> _Art:
    """Crop so the frame cuts `cut` of the first subject's box on `side`, keeping the rest."""
    w, h = art.image.size
    x0, y0, x1, y1 = art.subjects[0][1]
    if side == "top":
        return crop(art, (0, int(y0 + cut * (y1 - y0)), w, h))
    if side == "bottom":
        return crop(art, (0, 0, w, int(y1 - cut * (y1 - y0))))
    if side == "left":
        return crop(art, (int(x0 + cut * (x1 - x0)), 0, w, h))
    return crop(art, (0, 0, int(x1 - cut * (x1 - x0)), h))


def place(canvas: Image.Image, items: list[tuple[_Art, float, tuple[int, int]]]) -> _Art:
    """Paste each art scaled by s at (x, y) onto a copy of canvas (soft-edged, like a composite)."""
    out = canvas.copy()
    subs = []
    for art, s, (px, py) in items:
        im = art.image.resize((max(1, round(art.image.width * s)), max(1, round(art.image.height * s))),
                              Image.Resampling.LANCZOS)
        mask = Image.new("L", im.size, 0)
        feather = max(2, min(im.size) // 20)
        ImageDraw.Draw(mask).rectangle((feather, feather, im.width - feather, im.height - feather), fill=255)
        out.paste(im, (px, py), mask.filter(ImageFilter.GaussianBlur(feather / 2)))
        subs += [(k, (px + a * s, py + b * s, px + c * s, py + d * s)) for k, (a, b, c, d) in art.subjects]
    return _clip(_Art(out, subs))


def backdrop(size: tuple[int, int], source: str = "china", blur: float = 12.0) -> Image.Image:
    """A plausible key-art background: a blurred, darkened photo filling the canvas."""
    im = base(source).image
    s = max(size[0] / im.width, size[1] / im.height)
    im = im.resize((math.ceil(im.width * s), math.ceil(im.height * s)), Image.Resampling.BILINEAR)
    im = im.crop((0, 0, size[0], size[1])).filter(ImageFilter.GaussianBlur(blur))
    return ImageEnhance.Brightness(im).enhance(0.6)


def rotate(art: _Art, angle: float) -> _Art:
    """Turned by angle degrees (counter-clockwise) about the centre; each box keeps its size and
    follows its centre."""
    w, h = art.image.size
    im = art.image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(40, 40, 48))
    a = math.radians(angle)
    subs = []
    for k, (x0, y0, x1, y1) in art.subjects:
        cx, cy = (x0 + x1) / 2 - w / 2, (y0 + y1) / 2 - h / 2
        nx = cx * math.cos(a) + cy * math.sin(a) + w / 2
        ny = -cx * math.sin(a) + cy * math.cos(a) + h / 2
        bw, bh = x1 - x0, y1 - y0
        subs.append((k, (nx - bw / 2, ny - bh / 2, nx + bw / 2, ny + bh / 2)))
    return _clip(_Art(im, subs))


def darken(art: _Art, gain: float = 0.35, gamma: float = 1.6) -> _Art:
    arr = np.asarray(art.image, dtype=np.float32) / 255.0
    arr = np.clip(gain * arr ** gamma, 0, 1)
    return _Art(Image.fromarray((arr * 255 + 0.5).astype(np.uint8)), list(art.subjects))


def mirror(art: _Art) -> _Art:
    w = art.image.width
    return _Art(art.image.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                [(k, (w - x1, y0, w - x0, y1)) for k, (x0, y0, x1, y1) in art.subjects])


def scale(art: _Art, s: float) -> _Art:
    im = art.image.resize((max(1, round(art.image.width * s)), max(1, round(art.image.height * s))),
                          Image.Resampling.LANCZOS)
    return _Art(im, [(k, tuple(v * s for v in b)) for k, b in art.subjects])


def title(art: _Art, text: str, where: str = "bottom", size_share: float = 0.09,
          fill: tuple[int, int, int] = (255, 255, 255), font_path: str = FONT) -> _Art:
    """Print a title across the art with Noto Sans Bold, with a soft shadow, and label its box."""
    im = art.image.copy()
    w, h = im.size
    font = ImageFont.truetype(font_path, max(10, round(h * size_share)))
    d = ImageDraw.Draw(im)
    l, t, r, b = d.textbbox((0, 0), text, font=font)
    x = (w - (r - l)) // 2 - l
    y = {"bottom": h - (b - t) - round(h * 0.06), "top": round(h * 0.05), "middle": (h - (b - t)) // 2}[where] - t
    shadow = Image.new("L", im.size, 0)
    ImageDraw.Draw(shadow).text((x + 2, y + 2), text, font=font, fill=200)
    im.paste((0, 0, 0), (0, 0), shadow.filter(ImageFilter.GaussianBlur(2)))
    d = ImageDraw.Draw(im)
    d.text((x, y), text, font=font, fill=fill)
    bb = d.textbbox((x, y), text, font=font)
    return _Art(im, list(art.subjects) + [("text", tuple(float(v) for v in bb))])


def titled_at(name: str, text: str, where: str, width: int) -> tuple[Image.Image, tuple[float, ...]]:
    """A base photograph scaled to `width` (LANCZOS, as large key art is) with a crisp title
    printed at that size; returns the image and the title's box (x0, y0, x1, y1)."""
    img = base(name).image
    scaled = img.resize((width, round(width * img.height / img.width)), Image.Resampling.LANCZOS)
    art = title(_Art(scaled, []), text, where=where)
    return art.image, art.subjects[-1][1]


# --- the set --------------------------------------------------------------------------------

PEOPLE = ("astronaut", "hopper", "camera")
NO_FACE_TEXTURES = ("grass", "gravel", "brick", "hubble")
NO_FACE_SCENES = ("flower", "china", "coffee", "rocket", "motorcycle")


def _items() -> list[tuple[str, str, _Art]]:
    items: list[tuple[str, str, _Art]] = []
    for p in PEOPLE:
        items.append((f"{p}", "plain", base(p)))
        items.append((f"{p}-mirror", "plain", mirror(base(p))))
        for side in ("top", "left", "right"):
            items.append((f"{p}-cut-{side}", "edge", cut_by_edge(base(p), side)))
        for a in (-20, 20):
            items.append((f"{p}-rot{a:+d}", "rotated", rotate(base(p), a)))
        items.append((f"{p}-dark", "dark", darken(base(p))))
        items.append((f"{p}-lowres", "lowres", scale(base(p), 0.3)))
    # Small faces: the photo pasted at a fraction of a large canvas.
    items.append(("astronaut-small", "small", place(backdrop((1600, 1000)), [(base("astronaut"), 0.9, (1050, 300))])))
    items.append(("hopper-small", "small", place(backdrop((1800, 1200), "coffee"), [(base("hopper"), 0.55, (120, 700))])))
    # Groups: faces far apart on a wide canvas.
    items.append(("group-wide", "group", place(backdrop((2100, 700)), [
        (base("astronaut"), 1.2, (20, 40)), (base("hopper"), 1.0, (1500, 80))])))
    items.append(("group-three", "group", place(backdrop((1800, 900), "flower"), [
        (base("hopper"), 0.9, (40, 180)), (base("astronaut"), 0.95, (640, 60)), (crop(base("camera"), (100, 40, 420, 380)), 1.4, (1250, 260))])))
    # Titles printed over the art (faces must still be found, titles must be found as text).
    items.append(("astronaut-title", "text", title(base("astronaut"), "SPACE WALK")))
    items.append(("hopper-title", "text", title(base("hopper"), "THE ADMIRAL", where="bottom", size_share=0.07)))
    items.append(("flower-title", "text", title(base("flower"), "Spring Bloom", where="top")))
    items.append(("coffee-title", "text", title(base("coffee"), "MORNING CUP", where="top", size_share=0.08,
                                               fill=(250, 240, 220))))
    items.append(("rocket-title", "text", title(base("rocket"), "LIFTOFF", where="top", size_share=0.1)))
    items.append(("china-title", "text", title(base("china"), "Summer Palace", where="top", size_share=0.08,
                                               fill=(20, 24, 40), font_path=SERIF)))
    # Animal faces.
    cat = base("chelsea")
    items.append(("chelsea", "animal", cat))
    items.append(("chelsea-mirror", "animal", mirror(cat)))
    items.append(("chelsea-dark", "animal", darken(base("chelsea"), 0.5, 1.3)))
    items.append(("chelsea-rot+15", "animal", rotate(base("chelsea"), 15)))
    items.append(("chelsea-poster", "animal", place(backdrop((900, 1200), "coffee"), [(base("chelsea"), 1.6, (90, 120))])))
    items.append(("chelsea-title", "animal", title(base("chelsea"), "WHISKERS", where="top", size_share=0.1)))
    # No faces at all.
    for n in NO_FACE_TEXTURES:
        items.append((n, "texture", base(n)))
    for n in NO_FACE_SCENES:
        items.append((n, "scene", base(n)))
    items.append(("flower-big", "scene", scale(base("flower"), 2.5)))
    return items


def _label(name: str, category: str, art: _Art) -> Labelled:
    subs = tuple((k, (round(x0), round(y0), round(x1 - x0), round(y1 - y0))) for k, (x0, y0, x1, y1) in art.subjects)
    return Labelled(name, category, art.image, subs, any(k == "text" for k, _ in subs))


def subject_set() -> list[Labelled]:
    """Every labelled image of the evaluation (about 55), built in a second or two."""
    return [_label(n, c, a) for n, c, a in _items()]


def key_art_set() -> list[tuple[str, Image.Image, dict]]:
    """Varied key art for contact sheets: people at the frame edges, groups, animals, products,
    titles printed in the art, low resolution. info: category and labelled boxes."""
    pick = ("astronaut", "hopper-cut-top", "astronaut-cut-left", "camera-cut-right", "group-wide", "group-three",
            "astronaut-small", "chelsea", "chelsea-poster", "coffee-title", "motorcycle", "rocket",
            "astronaut-title", "hopper-lowres", "flower-title", "astronaut-rot+20")
    by_name = {x.name: x for x in subject_set()}
    return [(n, by_name[n].image, {"category": by_name[n].category,
                                   "subjects": [{"kind": k, "box": list(b)} for k, b in by_name[n].subjects]})
            for n in pick]
