"""Where an expand window lands on the canvas: as large as fits, flush with the side where the
photographer cut a face, or pushed aside so that text gets room when every zone would cover a
face. Pure geometry on boxes (reframe.py plans the window; this places it)."""
from __future__ import annotations

from .geometry import Box

#: A face box within this share of the art's side (at least 2 px) of its frame is cut by the frame.
CUT_EDGE = 0.01


def cut_sides(window: Box, faces, width: int, height: int) -> tuple[str, ...]:
    """The sides of an expand window where a face meets the art's own frame (the photographer
    cut it there). The art stays flush with the canvas on those sides (expand_placement), so a
    cut face is cut by the output's edge too, never continued by generated canvas: a generator
    cannot know the rest of a face, and a blurred half-face reads as damage."""
    tx, ty = max(2, round(width * CUT_EDGE)), max(2, round(height * CUT_EDGE))
    sides = []
    for f in faces:
        if not f.intersection(window):
            continue
        if f.x <= tx and window.x == 0:
            sides.append("left")
        if f.right >= width - tx and window.right == width:
            sides.append("right")
        if f.y <= ty and window.y == 0:
            sides.append("top")
        if f.bottom >= height - ty and window.bottom == height:
            sides.append("bottom")
    return tuple(s for s in ("left", "right", "top", "bottom") if s in sides)


def expand_placement(window: Box, size: tuple[int, int], anchor: str | None = None,
                     pin: tuple[str, ...] = ()) -> Box:
    """Where `window` lands on a canvas of `size`: as large as fits, centred, or pushed to the
    anchor's side (a "left" anchor keeps the art at the left and generates the right). Without
    an anchor, a side in `pin` (a face cut by the art's frame there, cut_sides) is kept at the
    canvas's edge when the opposite side is not pinned too. A reviewer's anchor wins: it was
    asked for, and the report flags a face the generated canvas then touches."""
    tw, th = size
    s = min(tw / window.w, th / window.h)
    pw, ph = min(tw, max(1, round(window.w * s))), min(th, max(1, round(window.h * s)))
    x, y = (tw - pw) // 2, (th - ph) // 2
    if anchor is None:
        x = {("left",): 0, ("right",): tw - pw}.get(tuple(p for p in pin if p in ("left", "right")), x)
        y = {("top",): 0, ("bottom",): th - ph}.get(tuple(p for p in pin if p in ("top", "bottom")), y)
    elif anchor == "left":
        x = 0
    elif anchor == "right":
        x = tw - pw
    elif anchor == "top":
        y = 0
    elif anchor == "bottom":
        y = th - ph
    return Box(x, y, pw, ph)


#: Shares of the canvas the art keeps (along the text's axis) when it makes room for text, tried in order.
ROOM_FOR_TEXT = (0.64, 0.5)


def make_room_placement(window: Box, size: tuple[int, int], text_side: str, keep: float = ROOM_FOR_TEXT[0]) -> Box:
    """Where a window goes so that a band on `text_side` (bottom, top, left, right) of the
    canvas holds no art: used when every text zone would cover a face that fills the frame."""
    w, h = size
    bw, bh = (w, h * keep) if text_side in ("top", "bottom") else (w * keep, h)
    s = min(bw / window.w, bh / window.h)
    pw, ph = max(1, round(window.w * s)), max(1, round(window.h * s))
    x = {"left": w - pw, "right": 0}.get(text_side, (w - pw) // 2)
    y = {"top": h - ph, "bottom": 0}.get(text_side, (h - ph) // 2)
    return Box(x, y, pw, ph)


def room_placements(window: Box, size: tuple[int, int], text_side: str,
                    pin: tuple[str, ...] = ()) -> list[tuple[Box, str | None]]:
    """Where a window may go when every text zone would cover a face, best first, each with the
    zone the text must then take (None: any).

    First the window at its full expand size pushed against one edge, so the whole slack the
    expand already generates lies on the other (text) side: the art loses nothing (a low-res
    close-up in a wide format keeps its full height, instead of shrinking into a smaller island
    of art in generated canvas). The side the layout preferred comes first; a pinned side
    (cut_sides) is never pulled off its edge. Then the bands of make_room_placement, which
    shrink the art (ROOM_FOR_TEXT) on the layout's side, or across it where that keeps more art
    and the text then takes that band (a bottom band left chelsea's cat an island of 346x230 px
    at the top of a 640x360 thumbnail, where a band on the left keeps it at 410x273)."""
    full = expand_placement(window, size, pin=pin)
    w, h = size
    flush = []
    if full.w < w:
        flush += [("left", Box(w - full.w, full.y, full.w, full.h)), ("right", Box(0, full.y, full.w, full.h))]
    if full.h < h:
        flush += [("top", Box(full.x, h - full.h, full.w, full.h)), ("bottom", Box(full.x, 0, full.w, full.h))]
    flush = [(side, b) for side, b in flush if side not in pin]   # the art leaves the text's side
    flush.sort(key=lambda sb: sb[0] != text_side)
    across = [side for side in (("left", "right") if text_side in ("top", "bottom") else ("top", "bottom"))
              if side not in pin]                                  # a band pulls the art off its side
    shrunk: list[tuple[Box, str | None]] = []
    for keep in ROOM_FOR_TEXT:
        own = make_room_placement(window, size, text_side, keep)
        bigger = [(b, side) for side in across if (b := make_room_placement(window, size, side, keep)).area > own.area]
        shrunk += sorted(bigger, key=lambda bs: -bs[0].area) + [(own, None)]
    return [(b, None) for _, b in flush] + shrunk
