#!/usr/bin/env python
"""Contact sheet of the varied key-art set: each art x 8 formats x (en-US, ar-SA, ja-JP).

People at frame edges, groups, animals, products, text printed in the art, low resolution:
the set of tests/subject_set.py (key_art_set). A cell framed in red carries a severe flag
(text or logo over a face, baked-in text left visible, a face cut). Look at it after every
change to the pipeline.

    .venv/bin/python scripts/eval_contact_sheet.py            # -> var/eval-contact-sheet.jpg
    .venv/bin/python scripts/eval_contact_sheet.py --only chelsea,astronaut --out /tmp/sheet.jpg
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

SEVERE = {"text_over_face", "logo_over_face", "baked_text_visible", "generated_touches_face"}
LOCALES = ["en-US", "ar-SA", "ja-JP"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "var" / "eval-contact-sheet.jpg"))
    ap.add_argument("--only", default="", help="comma-separated art names (default: the whole set)")
    ap.add_argument("--locales", default=",".join(LOCALES))
    args = ap.parse_args(argv)

    from PIL import ImageDraw

    from app.render.analyze import analyze
    from app.render.contact_sheet import contact_sheet
    from app.render.formats import FORMATS
    from subject_set import key_art_set
    from text_helpers import spec_for
    from app.render.pipeline import render_variant

    only = {n for n in args.only.split(",") if n}
    arts = [a for a in key_art_set() if not only or a[0] in only]
    locales = args.locales.split(",")
    cells, rows, severe = {}, [], []
    t0 = time.perf_counter()
    for name, image, _info in arts:
        analysis = analyze(image)
        for tag in locales:
            row = f"{name[:14]} {tag}"
            rows.append(row)
            for fmt in FORMATS:
                result = render_variant(image, analysis, spec_for(tag, fmt), encodings=())
                img = result.image
                bad = SEVERE & set(result.report["flags"]) | ({"face_cut"} if not result.report["faces_whole"] else set())
                if bad:
                    severe.append((name, tag, fmt, sorted(bad)))
                    img = img.copy()
                    ImageDraw.Draw(img).rectangle((0, 0, img.width - 1, img.height - 1), outline=(230, 20, 20),
                                                  width=max(6, img.width // 60))
                cells[(row, fmt)] = img
    sheet = contact_sheet(cells, rows, list(FORMATS),
                          title=f"{len(arts)} key arts x {len(FORMATS)} formats x {len(locales)} locales")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out, "JPEG", quality=82)
    print(f"{len(cells)} variants in {time.perf_counter() - t0:.0f} s -> {out}")
    print(f"severe flags: {len(severe)}")
    for s in severe:
        print("  ", *s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
