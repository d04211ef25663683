"""How an expanded canvas is filled without a model: three extension styles, pure pixel math.

- "blur_backdrop": what surrounds the art's subject (its border ring's colours carried inwards)
  scaled to cover the canvas, heavily blurred and dimmed, behind the sharp art; a feather band
  carries the colours at the art's edge out into that backdrop, so there is no seam and nothing
  of the art is repeated as a ghost;
- "palette": the same feather into a gradient of the art's own dominant colours;
- "mirror": the art reflected across each seam, blurred more the further from the source.

The first two are computed on a canvas a few times smaller than the output (everything there is
soft) and upscaled once, so they cost a fraction of "mirror". The render uses this in-process
(extension.classical_expander); app.generate's classical backend wraps it as a Generator, and
the diffusers backend starts from the mirror fill.
"""
from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from .analyze import dominant_palette
from .geometry import Box

#: Short side of the low-resolution canvas "blur_backdrop" and "palette" are computed on.
WORK_SIDE = 360
#: The feather band, as a fraction of the canvas's short side: art-edge colours -> backdrop.
FEATHER = 0.15
#: Brightness of the backdrop far from the art, relative to the art (it must never outshine it).
BACKDROP_DIM = 0.45
#: Blur of the art's edge colours at the seam, growing outwards (fraction of the short side).
EDGE_SIGMA = 0.012
#: How far the art's outermost pixels fade into the generated side (fraction of the short side).
SEAM_REACH = 0.005
#: Distance over which the backdrop darkens to BACKDROP_DIM (fraction of the short side).
DIM_REACH = 0.3
#: The border ring of the art whose colours make the backdrop (fraction of its short side),
#: worked out on a copy of the art no larger than SURROUND_SIDE.
RING = 0.12
SURROUND_SIDE = 256


def mirror_extend(image: np.ndarray, canvas: tuple[int, int], placement: Box) -> np.ndarray:
    """The placed image reflected outwards to fill the canvas (numpy 'symmetric' padding)."""
    w, h = canvas
    p = placement
    pad = ((p.y, h - p.bottom), (p.x, w - p.right), (0, 0))
    return np.pad(image, pad, mode="symmetric")


def soft_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur; large sigmas run on a downscaled copy (same look, a fraction of the time)."""
    h, w = img.shape[:2]
    f = max(1, int(sigma // 3))
    if f == 1:
        return cv2.GaussianBlur(img, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REFLECT).astype(np.float32)
    small = cv2.resize(img, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigmaX=sigma / f, borderType=cv2.BORDER_REFLECT)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)


def graded_blur(filled: np.ndarray, new_area: np.ndarray) -> np.ndarray:
    """Blur each new pixel by how far it is from the source: crisp at the seam, soft far away."""
    h, w = new_area.shape
    dist = cv2.distanceTransform(new_area.astype(np.uint8), cv2.DIST_L2, 5)
    unit = max(4.0, min(w, h) / 40.0)
    sigmas = [0.0, unit * 0.5, unit * 1.5, unit * 4.0, unit * 10.0]
    reach = [0.0, unit * 1.0, unit * 4.0, unit * 10.0, unit * 24.0]
    layers = [filled.astype(np.float32)]
    for s in sigmas[1:]:
        layers.append(soft_blur(filled, s))
    out = layers[0].copy()
    for i in range(1, len(layers)):
        t = np.clip((dist - reach[i - 1]) / max(reach[i] - reach[i - 1], 1e-6), 0.0, 1.0)[..., None]
        out = out * (1 - t) + layers[i] * t
    # Far from the source, darken gently so the generated wash never outshines the art.
    fade = np.clip(dist / (unit * 30.0), 0.0, 1.0)[..., None] * 0.25
    out = out * (1 - fade)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _smoothstep(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def box_distance(rect: Box, box: Box) -> np.ndarray:
    """Euclidean distance (px) of each pixel centre of `rect` (canvas coordinates) from `box`:
    0 inside, growing outwards."""
    xs = np.arange(rect.x, rect.right, dtype=np.float32) + 0.5
    ys = np.arange(rect.y, rect.bottom, dtype=np.float32) + 0.5
    dx = np.maximum(np.maximum(box.x - xs, xs - box.right), 0.0)
    dy = np.maximum(np.maximum(box.y - ys, ys - box.bottom), 0.0)
    return np.sqrt(dx[None, :] ** 2 + dy[:, None] ** 2)


def _work_canvas(canvas: tuple[int, int], placement: Box) -> tuple[tuple[int, int], Box]:
    """The low-resolution canvas and placement everything soft is computed on."""
    w, h = canvas
    f = max(1.0, min(w, h) / WORK_SIDE)
    sw, sh = max(1, round(w / f)), max(1, round(h / f))
    x0, y0 = min(sw - 1, round(placement.x / f)), min(sh - 1, round(placement.y / f))
    x1, y1 = max(x0 + 1, round(placement.right / f)), max(y0 + 1, round(placement.bottom / f))
    return (sw, sh), Box(x0, y0, min(sw, x1) - x0, min(sh, y1) - y0)


def _normalised_blur(weighted: np.ndarray, weight: np.ndarray, sigma: float) -> np.ndarray:
    """A normalised convolution: the blur of colours already multiplied by their weight, over the
    blur of the weight. Each pixel gets the average colour of the weighted pixels nearest to it,
    smoothly, wherever it lies, with no streaks and no reflected shapes."""
    return soft_blur(weighted, sigma) / np.maximum(soft_blur(weight, sigma), 1e-6)[..., None]


def _edge_colours(art: np.ndarray, size: tuple[int, int], box: Box, sigma: float) -> np.ndarray:
    """The art's colours carried out past its edges (_normalised_blur of the art's footprint)."""
    w, h = size
    num = np.zeros((h, w, 3), np.float32)
    den = np.zeros((h, w), np.float32)
    num[box.y:box.bottom, box.x:box.right] = art
    den[box.y:box.bottom, box.x:box.right] = 1.0
    return _normalised_blur(num, den, sigma)


def _diffused_edge(art: np.ndarray, size: tuple[int, int], box: Box, dist: np.ndarray, sigma0: float,
                   levels: int = 5) -> np.ndarray:
    """The art's edge colours spread outwards, averaged over a wider stretch of the edge the
    further out a pixel lies (blur ~ distance): a dark shape at the edge fades into its
    surroundings instead of leaving a smudge."""
    sigmas = [sigma0 * 2 ** k for k in range(levels)]
    layers = [_edge_colours(art, size, box, s) for s in sigmas]
    reach = [0.0] + [2.0 * s for s in sigmas[1:]]
    out = layers[0]
    for k in range(1, levels):
        t = _smoothstep((dist - reach[k - 1]) / max(reach[k] - reach[k - 1], 1e-6))[..., None]
        out = out * (1 - t) + layers[k] * t
    return out


def _surroundings(art: np.ndarray) -> np.ndarray:
    """The art with its middle replaced by the colours of its border ring (_normalised_blur of
    the ring, carried inwards): what surrounds the subject, without the subject."""
    h, w = art.shape[:2]
    ring = max(1, round(min(w, h) * RING))
    inside = np.zeros((h, w), np.float32)
    inside[ring:h - ring, ring:w - ring] = 1.0
    if not inside.any():
        return art
    weight = 1.0 - inside
    fill = _normalised_blur(art.astype(np.float32) * weight[..., None], weight, max(2.0, min(w, h) * 0.25))
    return np.where(inside[..., None] > 0, fill, art.astype(np.float32)).astype(np.uint8)


def _cover_backdrop(placed: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """What surrounds the art's subject (_surroundings) scaled to cover `size` (centred) and
    heavily blurred, as float RGB (soft_extend dims it with the distance from the art). The
    whole art there left its subject as a blob: a close-up's face, blown up to cover a banner,
    beside the sharp one."""
    w, h = size
    cover = max(w / placed.width, h / placed.height)
    cw, ch = max(w, round(placed.width * cover)), max(h, round(placed.height * cover))
    f = min(1.0, SURROUND_SIDE / max(placed.size))   # everything here ends up heavily blurred
    small = cv2.resize(np.asarray(placed), (max(1, round(placed.width * f)), max(1, round(placed.height * f))),
                       interpolation=cv2.INTER_AREA)
    big = cv2.resize(_surroundings(small), (cw, ch), interpolation=cv2.INTER_LINEAR)
    x, y = (cw - w) // 2, (ch - h) // 2
    return soft_blur(big[y:y + h, x:x + w], max(2.0, min(w, h) * 0.1))


def _rgb(hex_colour: str) -> np.ndarray:
    v = hex_colour.lstrip("#")
    return np.array([int(v[i:i + 2], 16) for i in (0, 2, 4)], np.float32)


def _palette_backdrop(art: np.ndarray, size: tuple[int, int], box: Box, placed: Image.Image) -> np.ndarray:
    """A gradient of the art's dominant colours: at each side of the art, the palette colour
    closest to that edge's average, darkening towards the canvas border into the deepest of
    the main colours."""
    w, h = size
    colours = [(_rgb(c), share) for c, share in dominant_palette(placed, k=5)]
    main = [c for c, share in colours if share >= 0.08] or [colours[0][0]]
    deep = min(main, key=lambda c: float(c @ np.array([0.299, 0.587, 0.114], np.float32))) * 0.6

    def nearest(strip: np.ndarray) -> np.ndarray:
        mean = strip.reshape(-1, 3).mean(axis=0)
        return min((c for c, _ in colours), key=lambda c: float(((c - mean) ** 2).sum()))

    band = max(1, round(min(box.w, box.h) * 0.15))
    near = {"top": nearest(art[:band]), "bottom": nearest(art[-band:]),
            "left": nearest(art[:, :band]), "right": nearest(art[:, -band:])}
    xs, ys = np.arange(w, dtype=np.float32) + 0.5, np.arange(h, dtype=np.float32) + 0.5
    out = np.zeros((h, w, 3), np.float32)
    weight = np.zeros((h, w), np.float32)
    # Each side fills the area beyond it; where two sides meet (corners) their gradients average.
    sides = (("top", (box.y - ys) / max(box.y, 1), None), ("bottom", (ys - box.bottom) / max(h - box.bottom, 1), None),
             ("left", None, (box.x - xs) / max(box.x, 1)), ("right", None, (xs - box.right) / max(w - box.right, 1)))
    for name, ty, tx in sides:
        t = np.broadcast_to(ty[:, None] if ty is not None else tx[None, :], (h, w))
        inside = t > 0
        if not inside.any():
            continue
        s = _smoothstep(t)[..., None]
        out += np.where(inside[..., None], near[name] * (1 - s) + deep * s, 0.0)
        weight += inside
    return out / np.maximum(weight, 1.0)[..., None]


def _along(delta: np.ndarray, sigma: float = 0.8) -> np.ndarray:
    """A seam's colour gap smoothed along the seam, so what it carries out is soft, not streaks."""
    return cv2.GaussianBlur(delta[:, None, :], (0, 0), sigmaX=0.1, sigmaY=sigma,
                            borderType=cv2.BORDER_REFLECT)[:, 0, :]


def match_edges(canvas: np.ndarray, art: np.ndarray, placement: Box, reach: float) -> None:
    """Close the last gap at each seam, in place: the difference between the art's outermost
    row (or column) and the first generated one is added to the generated side, fading over
    `reach` px, so the seam is continuous at the pixel level (the soft layer was made at low
    resolution). Only a strip a few `reach` deep is touched."""
    h, w = canvas.shape[:2]
    p = placement
    depth = max(1, round(3 * reach))
    for side in ("top", "bottom", "left", "right"):
        room = {"top": p.y, "bottom": h - p.bottom, "left": p.x, "right": w - p.right}[side]
        n = min(depth, room)
        if n <= 0:
            continue
        fade = np.exp(-(np.arange(n, dtype=np.float32) + 0.5) / reach)   # half a pixel past the art's last
        if side == "top":
            strip = canvas[p.y - n:p.y, p.x:p.right]            # rows p.y-n .. p.y-1, nearest last
            delta = _along(art[0].astype(np.float32) - strip[-1].astype(np.float32))
            strip[:] = np.clip(strip + delta[None] * fade[::-1, None, None] + 0.5, 0, 255).astype(np.uint8)
        elif side == "bottom":
            strip = canvas[p.bottom:p.bottom + n, p.x:p.right]  # nearest first
            delta = _along(art[-1].astype(np.float32) - strip[0].astype(np.float32))
            strip[:] = np.clip(strip + delta[None] * fade[:, None, None] + 0.5, 0, 255).astype(np.uint8)
        elif side == "left":
            strip = canvas[p.y:p.bottom, p.x - n:p.x]
            delta = _along(art[:, 0].astype(np.float32) - strip[:, -1].astype(np.float32))
            strip[:] = np.clip(strip + delta[:, None] * fade[None, ::-1, None] + 0.5, 0, 255).astype(np.uint8)
        else:
            strip = canvas[p.y:p.bottom, p.right:p.right + n]
            delta = _along(art[:, -1].astype(np.float32) - strip[:, 0].astype(np.float32))
            strip[:] = np.clip(strip + delta[:, None] * fade[None, :, None] + 0.5, 0, 255).astype(np.uint8)


def soft_extend(placed: Image.Image, canvas: tuple[int, int], placement: Box, style: str,
                seed: int = 0) -> np.ndarray:
    """The whole canvas for "blur_backdrop" or "palette" (uint8 RGB, art area included but
    only approximately: the caller pastes the exact pixels over it)."""
    size, box = _work_canvas(canvas, placement)
    w, h = size
    art = cv2.resize(np.asarray(placed), (box.w, box.h), interpolation=cv2.INTER_AREA).astype(np.float32)
    short = min(w, h)
    back = (_cover_backdrop(placed, size) if style == "blur_backdrop"
            else _palette_backdrop(art, size, box, placed))
    dist = box_distance(Box(0, 0, *size), box)
    feather = max(3.0, short * FEATHER)
    near = _diffused_edge(art, size, box, dist, max(1.0, short * EDGE_SIGMA))
    b = _smoothstep(dist / feather)[..., None]
    soft = near * (1 - b) + back * b
    if style == "blur_backdrop":
        # Darken gently with the distance from the art, so the backdrop recedes without a step.
        soft *= 1.0 - (1.0 - BACKDROP_DIM) * _smoothstep(dist / max(feather, short * DIM_REACH))[..., None]
    # A faint, seeded dither so wide smooth gradients do not band once quantised and encoded.
    soft += np.random.default_rng(seed).uniform(-0.5, 0.5, soft.shape).astype(np.float32)
    soft = np.clip(soft + 0.5, 0, 255).astype(np.uint8)
    return cv2.resize(soft, tuple(canvas), interpolation=cv2.INTER_LINEAR) if size != tuple(canvas) else soft
