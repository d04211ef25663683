"""One 2:3 poster adapted to all 8 formats, as a contact sheet to look at.

Rows: the reframe alone (face box in green, kept source area in yellow on expanded canvases),
the full en-US render with the classical backend, and the render with the diffusers backend
(a tiny random model unless --model-dir names a real one: it proves the path, not the look).

    python scripts/contact_sheet_reframe.py --out /work/notes/contact-sheet-reframe.jpg

With --sheet styles: the classical extension styles (blur_backdrop, palette, mirror) side by
side, each art placed whole on a poster, a story and a banner, so seams and mirrored ghosts
can be judged by eye (add --crops DIR for full-resolution crops around each seam).

    python scripts/contact_sheet_reframe.py --sheet styles --out /work/notes/extension-styles.jpg
"""
from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw  # noqa: E402
from skimage import data  # noqa: E402

from app.generate import get_generator  # noqa: E402
from app.generate.tiny import build_tiny_inpaint_pipeline  # noqa: E402
from app.render.analyze import Analysis, analyze  # noqa: E402
from app.render.contact_sheet import contact_sheet  # noqa: E402
from app.render.formats import FORMATS, Format  # noqa: E402
from app.render.geometry import Box  # noqa: E402
from app.render.kit import EXTENSION_STYLES  # noqa: E402
from app.render.pipeline import render_variant  # noqa: E402
from app.render.reframe import Expander, Reframe, plan_reframe, reframe_canvas  # noqa: E402
from app.sample import astronaut, sample_key_art_jpeg  # noqa: E402
from scripts.sample_render import sample_spec  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--sheet", choices=("formats", "styles"), default="formats")
    ap.add_argument("--crops", default=None, help="with --sheet styles: a folder for full-size seam crops")
    args = ap.parse_args(argv)
    if args.sheet == "styles":
        return styles_sheet(args.out, args.crops)
    return formats_sheet(args.out, args.model_dir, args.steps)


def _diffusers_expander(model_dir: str | None, steps: int) -> Expander:
    """The diffusers backend as an expander (a tiny random model unless a directory is named)."""
    model_dir = model_dir or str(build_tiny_inpaint_pipeline(Path(tempfile.mkdtemp()) / "tiny-sd"))
    diff = get_generator(model_dir, steps=steps)

    def expand(image, size, placement):
        out = diff.expand(image, size, placement, "studio backdrop", seed=1)
        return out.image, out.provenance

    return expand


def _reframe_cell(source: Image.Image, analysis: Analysis, fmt: Format) -> tuple[Image.Image, Reframe]:
    """The reframe alone: face boxes in green, the kept source area in yellow."""
    plan = plan_reframe(source.width, source.height, analysis.faces, fmt.aspect, analysis.saliency,
                        lettering=analysis.text_boxes)
    framed = reframe_canvas(source, plan, (fmt.width, fmt.height))
    shown = framed.canvas.copy()
    d = ImageDraw.Draw(shown)
    lw = max(3, fmt.width // 300)
    for f in analysis.faces:
        b = f.scaled(framed.scale).shifted(framed.offset.x, framed.offset.y)
        d.rectangle((b.x, b.y, b.right, b.bottom), outline=(0, 255, 0), width=lw)
    if framed.placement:
        p = framed.placement
        d.rectangle((p.x, p.y, p.right - 1, p.bottom - 1), outline=(255, 220, 0), width=lw)
    return shown, plan


def formats_sheet(out: str, model_dir: str | None, steps: int) -> int:
    source = Image.open(io.BytesIO(sample_key_art_jpeg(1024, 1536))).convert("RGB")
    analysis = analyze(source)
    diff_expander = _diffusers_expander(model_dir, steps)
    cells = {}
    for fmt in FORMATS.values():
        cells[("reframe", fmt.key)], plan = _reframe_cell(source, analysis, fmt)
        spec = sample_spec("en-US", fmt.key)
        r = render_variant(source, analysis, spec)
        cells[("classical", fmt.key)] = r.image
        print(fmt.key, plan.mode, r.report["reframe"]["placement"], r.report["flags"])
        cells[("diffusers*", fmt.key)] = render_variant(source, analysis, spec, expander=diff_expander).image
    sheet = contact_sheet(cells, ["reframe", "classical", "diffusers*"], list(FORMATS),
                          "One 2:3 poster, 8 formats (*tiny random model: proves the path, not the look)")
    sheet.save(out, quality=88)
    print(out)
    return 0


def style_arts() -> dict[str, Image.Image]:
    """Real photographs of three shapes: wide with towers at the edges (ghost bait), two faces
    on a 2:1 art (what a group shot gives a story), and a 2:3 portrait (for the banner)."""
    pair = Image.new("RGB", (1024, 512))
    pair.paste(astronaut(), (0, 0))
    pair.paste(astronaut(), (512, 0))
    return {"rocket 3:2": Image.fromarray(data.rocket()), "pair 2:1": pair,
            "astronaut 2:3": astronaut().crop((85, 0, 427, 512))}


def styles_sheet(out: str, crops: str | None) -> int:
    cells, rows = {}, []
    formats = ["poster", "story", "banner"]
    for art_name, art in style_arts().items():
        for style in EXTENSION_STYLES:
            row = f"{art_name.split()[0]}\n{style.split('_')[0]}"
            rows.append(row)
            for key in formats:
                fmt = FORMATS[key]
                t0 = time.perf_counter()
                framed = reframe_canvas(art, Reframe("expand", Box(0, 0, art.width, art.height)),
                                        (fmt.width, fmt.height), extension=style)
                ms = (time.perf_counter() - t0) * 1000
                cells[(row, key)] = framed.canvas
                p = framed.placement
                print(f"{art_name:14} {style:13} {key:7} placement {p.as_list()} "
                      f"generated {1 - p.area / (fmt.width * fmt.height):.0%} scale {framed.scale:.2f} {ms:.0f} ms")
                if crops:
                    _seam_crops(framed.canvas, p, Path(crops) / f"{art_name.split()[0]}-{key}-{style}")
    sheet = contact_sheet(cells, rows, formats, "Whole art placed, the rest extended: blur_backdrop / palette / mirror")
    sheet.save(out, quality=90)
    print(out)
    return 0


def _seam_crops(canvas, p, stem: Path) -> None:
    """Full-resolution 800 px squares centred on the middle of each seam."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    w, h = canvas.size
    half = 400
    for side, (cx, cy) in {"top": (p.x + p.w // 2, p.y), "bottom": (p.x + p.w // 2, p.bottom),
                           "left": (p.x, p.y + p.h // 2), "right": (p.right, p.y + p.h // 2)}.items():
        if (side == "top" and p.y == 0) or (side == "bottom" and p.bottom == h) \
                or (side == "left" and p.x == 0) or (side == "right" and p.right == w):
            continue
        x0, y0 = min(max(0, cx - half), max(0, w - 2 * half)), min(max(0, cy - half), max(0, h - 2 * half))
        canvas.crop((x0, y0, x0 + 2 * half, y0 + 2 * half)).save(f"{stem}-{side}.png")


if __name__ == "__main__":
    raise SystemExit(main())
