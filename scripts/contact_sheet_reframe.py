"""One 2:3 poster adapted to all 8 formats, as a contact sheet to look at.

Rows: the reframe alone (face box in green, kept source area in yellow on expanded canvases),
the full en-US render with the classical backend, and the render with the diffusers backend
(a tiny random model unless --model-dir names a real one: it proves the path, not the look).

    python scripts/contact_sheet_reframe.py --out /work/notes/contact-sheet-reframe.jpg
"""
from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--steps", type=int, default=8)
    args = ap.parse_args(argv)

    from PIL import Image, ImageDraw

    from app.config import PROJECT_ROOT
    from app.generate import get_generator
    from app.render import copy as marketing_copy
    from app.render.analyze import analyze
    from app.render.contact_sheet import contact_sheet
    from app.render.formats import FORMATS
    from app.render.kit import KitSpec
    from app.render.locales import get_locale
    from app.render.pipeline import VariantSpec, render_variant
    from app.render.reframe import plan_reframe, reframe_canvas
    from app.sample import sample_key_art_jpeg, sample_title
    from app.services.brand_kits import read_kit_folder

    source = Image.open(io.BytesIO(sample_key_art_jpeg(1024, 1536))).convert("RGB")
    analysis = analyze(source)
    spec_dict, logo = read_kit_folder(PROJECT_ROOT / "brand_kits" / "marquee-default")
    kit = KitSpec.from_dict(spec_dict, logo)
    loc = get_locale("en-US")
    sample = sample_title()
    title = next(l for l in sample["localizations"] if l["locale"] == "en-US")
    rel = next((r for r in sample.get("releases", []) if r["region"] == "US"), {})
    model_dir = args.model_dir or str(__import__("app.generate.tiny", fromlist=["x"]).build_tiny_inpaint_pipeline(
        Path(tempfile.mkdtemp()) / "tiny-sd"))
    diff = get_generator(model_dir, steps=args.steps)

    def diff_expander(image, size, placement):
        out = diff.expand(image, size, placement, "studio backdrop", seed=1)
        return out.image, out.provenance

    cells = {}
    for fmt in FORMATS.values():
        plan = plan_reframe(source.width, source.height, analysis.faces, fmt.aspect, analysis.saliency)
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
        cells[("reframe", fmt.key)] = shown
        spec = VariantSpec(fmt, loc, title["title"], kit, rating=rel.get("age_rating"), tagline=title.get("tagline"),
                           kicker=marketing_copy.kicker(rel.get("release_date"), loc.tag))
        r = render_variant(source, analysis, spec)
        cells[("classical", fmt.key)] = r.image
        print(fmt.key, plan.mode, r.report["reframe"]["placement"], r.report["flags"])
        cells[("diffusers*", fmt.key)] = render_variant(source, analysis, spec, expander=diff_expander).image
    sheet = contact_sheet(cells, ["reframe", "classical", "diffusers*"], list(FORMATS),
                          "One 2:3 poster, 8 formats (*tiny random model: proves the path, not the look)")
    sheet.save(args.out, quality=88)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
