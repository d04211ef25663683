"""Baked-in text: MSER character candidates, checked for strokes, grouped into lines (OpenCV core).

Tesseract is a test-only dependency, and the EAST/DB text detectors need weights that no
registry package ships for OpenCV, so the app uses this geometric method. It serves as a
keep-out map and for removal suggestions, never to delete pixels on its own.

Why the checks: petals, leaves and fabric folds also give MSER regions of letter-like size in
rows. Lettering differs in three ways that are cheap to test: a character is a stroke of
nearly constant width, thin against its height (stroke-width transform, approximated by the
distance transform along the region's ridge); the characters of one line share a stroke width
and an ink colour; and they sit on one baseline or cap line; a line has one ink along it, and is either clearly
two-tone, ink on ground (its grey levels split by Otsu into two classes far apart for their
spread), or painted in a flat ink (white on a busy, light background is not two-tone). On the
evaluation set titles printed over photos separated by >= 4.4 or had flat ink (<= 9.2), while
false lines on roof tiles separated by <= 3.65 with textured "ink" (>= 33), and on grass had
no one ink (spread 41). Candidates are suppressed with a
vectorised NMS (boxes.nms), which took 2.1 s as a Python loop on a 24 MP key art.
"""
from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from ..geometry import Box
from .boxes import downscaled, nms

TEXT_MAX_SIDE = 1024
MAX_STROKE_CV = 0.55        # stroke width spread (std / mean) along a character's ridge
MAX_STROKE_RATIO = 0.3      # stroke width / character height
MIN_CHARS = 3
MIN_SEPARATION = 4.2        # a line's two tones (Otsu): mean gap / pooled spread within each tone
MAX_INK_SPREAD = 25.0       # grey-level spread of the characters' mean ink along a line
CHROMA_GAIN = 2.0          # a*/b* contrast gain around neutral (128)
CHROMA_MIN_RANGE = 24      # a colour channel spanning less than this (of 255) holds no coloured lettering
FLAT_INK = 15.0             # ... or, below MIN_SEPARATION, the median grey spread inside a character
# A found line is completed along its row by letter-shaped regions within COMPLETE_GAP line
# heights of its ends, inside its height band (+/- COMPLETE_BAND), at least COMPLETE_MIN_H of its
# height, with an ink within COMPLETE_INK grey levels and a stroke within a factor COMPLETE_STROKE.
COMPLETE_GAP = 1.2
COMPLETE_GAP_ALIGNED = 4.0  # ... or within this many for a letter on the line's baseline and cap line
COMPLETE_ALIGN = 0.1        # (its top and bottom within this share of the line's height of its letters' medians)
COMPLETE_BAND = 0.2
COMPLETE_MIN_H = 0.35
COMPLETE_INK = 40.0
COMPLETE_STROKE = 2.0


def _stroke(mask: np.ndarray) -> tuple[float, float]:
    """(stroke width, its coefficient of variation) of a binary region, from the distance
    transform sampled on its ridge (pixels that are local maxima of the distance)."""
    dist = cv2.distanceTransform(np.pad(mask, 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
    ridge = (dist > 0) & (dist >= cv2.dilate(dist, np.ones((3, 3), np.uint8)))
    vals = dist[ridge]
    if vals.size < 3:
        return 0.0, 9.0
    mean = float(vals.mean())
    return 2.0 * mean, float(vals.std()) / max(mean, 1e-6)


def _char_candidates(grey: np.ndarray, strict: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Letter-like MSER regions: boxes (x0, y0, x1, y1), per-box (stroke width, ink grey mean,
    ink grey std), and whether each passes the stroke checks (all do when not `strict`)."""
    h, w = grey.shape
    mser = cv2.MSER_create(5, 20, max(60, int(h * w * 0.004)))
    boxes, feats, sizes = [], [], []
    # One call finds dark and light regions alike: OpenCV's MSER on an 8-bit image makes both
    # passes (its regions on 255 - grey are the same list), so the inverted plane is not run.
    regions, rects = mser.detectRegions(grey)
    for pts, (x, y, bw, bh) in zip(regions, rects):
        if bh < 8 or bh > h * 0.25 or not 0.08 <= bw / bh <= 1.6:
            continue
        if x <= 1 or y <= 1 or x + bw >= w - 1 or y + bh >= h - 1:
            continue  # cut by the frame: folds and edges, rarely lettering
        fill = len(pts) / float(bw * bh)
        if 0.15 <= fill <= 0.92:
            boxes.append((x, y, x + bw, y + bh))
            feats.append(pts)
            sizes.append(bw * bh)
    if not boxes:
        return np.zeros((0, 4)), np.zeros((0, 3)), np.zeros(0, bool)
    arr = np.array(boxes, dtype=np.float64)
    keep = nms(arr, np.array(sizes, dtype=np.float64), 0.5, over="min")
    out_boxes, out_feats, ok = [], [], []
    for i in keep:
        x0, y0, x1, y1 = (int(v) for v in arr[i])
        pts = feats[i]
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        mask[pts[:, 1] - y0, pts[:, 0] - x0] = 1
        sw, cv = _stroke(mask)
        ok.append(not strict or (cv <= MAX_STROKE_CV and sw <= MAX_STROKE_RATIO * (y1 - y0)))
        out_boxes.append(arr[i])
        ink = grey[pts[:, 1], pts[:, 0]]
        out_feats.append((sw, float(ink.mean()), float(ink.std())))
    return np.array(out_boxes).reshape(-1, 4), np.array(out_feats).reshape(-1, 3), np.array(ok, bool)


def _group_lines(chars: np.ndarray, feats: np.ndarray, strict: bool = True) -> list[Box]:
    """Chain character boxes of similar height, stroke and ink on one baseline into text lines."""
    order = np.argsort(chars[:, 0], kind="stable")
    chars, feats = chars[order], feats[order]
    n = len(chars)
    used = np.zeros(n, bool)
    lines: list[tuple[float, float, float, float]] = []
    for i in range(n):
        if used[i]:
            continue
        members, last = [i], i
        for j in range(i + 1, n):
            if used[j]:
                continue
            lx0, ly0, lx1, ly1 = chars[last]
            dx0, dy0, dx1, dy1 = chars[j]
            lh, dh = ly1 - ly0, dy1 - dy0
            gap = dx0 - lx1
            if gap > 1.0 * max(lh, dh):
                if dx0 > lx1 + 3 * lh:
                    break
                continue
            same_h = max(dh, lh) / max(1.0, min(dh, lh)) < 1.5
            cy_close = abs((dy0 + dy1) / 2 - (ly0 + ly1) / 2) < 0.35 * max(dh, lh)
            sw_a, sw_b = feats[last, 0], feats[j, 0]
            same_stroke = max(sw_a, sw_b) / max(1e-6, min(sw_a, sw_b)) < 2.0
            same_ink = abs(feats[last, 1] - feats[j, 1]) < 40
            if same_h and cy_close and gap > -0.1 * lh and (not strict or (same_stroke and same_ink)):
                members.append(j)
                used[j] = True
                last = j
        if len(members) < MIN_CHARS:
            continue
        m = chars[members]
        heights = np.sort(m[:, 3] - m[:, 1])
        med = heights[len(heights) // 2]
        aligned = min(float(m[:, 1].std()), float(m[:, 3].std())) < 0.12 * med
        u = (m[:, 0].min(), m[:, 1].min(), m[:, 2].max(), m[:, 3].max())
        # Text is a row of similar marks sharing a baseline or cap line, longer than tall.
        one_ink = not strict or float(feats[members, 1].std()) <= MAX_INK_SPREAD
        if u[2] - u[0] >= 1.5 * (u[3] - u[1]) and heights[-1] <= 2.0 * heights[0] and aligned and one_ink:
            used[i] = True
            lines.append(u)
    if not lines:
        return []
    arr = np.array(lines, dtype=np.float64)
    areas = (arr[:, 2] - arr[:, 0]) * (arr[:, 3] - arr[:, 1])
    keep = nms(arr, areas, 0.3, over="min")
    return [Box(int(arr[k, 0]), int(arr[k, 1]), int(arr[k, 2] - arr[k, 0]), int(arr[k, 3] - arr[k, 1])) for k in keep]


def _inside(chars: np.ndarray, line: Box) -> np.ndarray:
    """Which character boxes (x0, y0, x1, y1) lie within the line's box (a pixel of slack)."""
    return ((chars[:, 0] >= line.x - 1) & (chars[:, 2] <= line.right + 1)
            & (chars[:, 1] >= line.y - 1) & (chars[:, 3] <= line.bottom + 1))


def _flat_ink(chars: np.ndarray, feats: np.ndarray, line: Box) -> float:
    """Median grey spread inside the characters of a line."""
    inside = _inside(chars, line)
    return float(np.median(feats[inside, 2])) if inside.any() else 255.0


def two_tone_separation(grey: np.ndarray, box: Box) -> float:
    """How clearly the box splits into two grey levels: Otsu's class-mean gap over the pooled
    within-class standard deviation (lettering: ink and ground; texture: a spread of greys)."""
    patch = grey[box.y:box.bottom, box.x:box.right]
    if patch.size < 4:
        return 0.0
    t, _ = cv2.threshold(patch, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    lo, hi = patch[patch <= t].astype(np.float64), patch[patch > t].astype(np.float64)
    if not lo.size or not hi.size:
        return 0.0
    pooled = np.sqrt((lo.var() * lo.size + hi.var() * hi.size) / patch.size)
    return float(hi.mean() - lo.mean()) / max(1.0, float(pooled))


def _lines_in(plane: np.ndarray, strict: bool, flat_ink: bool = True) -> list[Box]:
    """Text lines in one 8-bit plane (grey, or a colour-opponent channel). `flat_ink` also
    accepts lines in a flat ink without two clear tones (grey only: colour planes are smooth
    enough that flat patches are everywhere)."""
    found, found_feats, ok = _char_candidates(plane, strict)
    chars, feats = found[ok], found_feats[ok]
    lines = _group_lines(chars, feats, strict) if len(chars) else []
    if strict:
        lines = [b for b in lines if two_tone_separation(plane, b) >= MIN_SEPARATION
                 or (flat_ink and _flat_ink(chars, feats, b) <= FLAT_INK)]
        lines = [_completed(b, chars, feats, found, found_feats) for b in lines]
    return lines


def _completed(line: Box, chars: np.ndarray, feats: np.ndarray, found: np.ndarray, found_feats: np.ndarray) -> Box:
    """The line grown along its row over letter-shaped regions next to it that share its height
    band, ink and stroke (checked or not): a word whose letters failed the stroke checks over a
    busy ground (or a title broken by a word gap into lines too short to count) is covered
    with the rest of its line, so a plate never covers half a title."""
    inside = _inside(chars, line)
    if not inside.any():
        return line
    ink, stroke = float(np.median(feats[inside, 1])), float(np.median(feats[inside, 0]))
    x0, y0, x1, y1 = line.x, line.y, line.right, line.bottom
    h = y1 - y0
    near = ((found[:, 1] >= y0 - COMPLETE_BAND * h) & (found[:, 3] <= y1 + COMPLETE_BAND * h)
            & (found[:, 3] - found[:, 1] >= COMPLETE_MIN_H * h)
            & (np.abs(found_feats[:, 1] - ink) < COMPLETE_INK)
            & (found_feats[:, 0] >= stroke / COMPLETE_STROKE) & (found_feats[:, 0] <= stroke * COMPLETE_STROKE))
    cand = found[near]
    # A letter standing on the line's own baseline and cap line may lie further away: the
    # letters between it and the line did not stand out from their ground (white on white).
    top, base = float(np.median(chars[inside, 1])), float(np.median(chars[inside, 3]))
    aligned = ((np.abs(cand[:, 1] - top) <= COMPLETE_ALIGN * h) & (np.abs(cand[:, 3] - base) <= COMPLETE_ALIGN * h))
    reach = np.where(aligned, COMPLETE_GAP_ALIGNED, COMPLETE_GAP) * h
    grown = True
    while grown and len(cand):
        right = (cand[:, 0] <= x1 + reach) & (cand[:, 2] > x1)
        left = (cand[:, 2] >= x0 - reach) & (cand[:, 0] < x0)
        take = right | left
        grown = bool(take.any())
        if grown:
            x0, x1 = min(x0, int(cand[take, 0].min())), max(x1, int(cand[take, 2].max()))
            y0, y1 = min(y0, int(cand[take, 1].min())), max(y1, int(cand[take, 3].max()))
            cand, reach = cand[~take], reach[~take]
    return Box(x0, y0, x1 - x0, y1 - y0)


def _chroma_planes(rgb: np.ndarray) -> list[np.ndarray]:
    """Lab's a* (green-red) and b* (blue-yellow) channels at a fixed gain around neutral: lettering
    that differs from its ground in hue but hardly in brightness (yellow on light grey) is
    invisible in grey. A fixed gain (not a per-image stretch) keeps faint colour noise (a
    nebula, film grain) faint."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    out = []
    for ch in (lab[..., 1], lab[..., 2]):
        lo, hi = np.percentile(ch, (0.5, 99.5))
        if hi - lo >= CHROMA_MIN_RANGE:
            out.append(cv2.convertScaleAbs(ch, alpha=CHROMA_GAIN, beta=128 - 128 * CHROMA_GAIN))
    return out


def detect_text(image: Image.Image, strict: bool = True) -> list[Box]:
    """Boxes of lines of text baked into the art, in source pixels, padded a little.
    strict=False skips the stroke and ink checks and the colour planes: the version-2 detector,
    kept for comparison."""
    small, scale = downscaled(image, TEXT_MAX_SIDE)
    rgb = np.asarray(small.convert("RGB"))
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    lines = _lines_in(grey, strict)
    if strict:
        for plane in _chroma_planes(rgb):
            lines += _lines_in(plane, strict, flat_ink=False)
        if len(lines) > 1:
            arr = np.array([(b.x, b.y, b.right, b.bottom) for b in lines], dtype=np.float64)
            keep = nms(arr, (arr[:, 2] - arr[:, 0]) * (arr[:, 3] - arr[:, 1]), 0.3, over="min")
            lines = [lines[k] for k in keep]
    sx, sy = image.width / small.width, image.height / small.height
    out = []
    for b in lines:
        pad = max(2, round(b.h * 0.15))
        x0, y0 = max(0, b.x - pad), max(0, b.y - pad)
        x1, y1 = min(small.width, b.right + pad), min(small.height, b.bottom + pad)
        out.append(Box(round(x0 * sx), round(y0 * sy), round((x1 - x0) * sx), round((y1 - y0) * sy)))
    return out
