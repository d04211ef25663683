"""Flask CLI commands: render without Redis, contact sheets, the reconciler, the sample campaign."""
from __future__ import annotations

import io
import time
from pathlib import Path

import click
from flask import Flask, current_app
from PIL import Image

from .render.formats import FORMATS, get_format
from .render.locales import SUPPORTED_LOCALES, get_locale


def _split(value: str, universe: tuple[str, ...] | list[str]) -> list[str]:
    return list(universe) if value == "all" else [v.strip() for v in value.split(",") if v.strip()]


def register_cli(app: Flask) -> None:
    @app.cli.command("render-matrix")
    @click.option("--key-art", "key_art", type=click.Path(exists=True, dir_okay=False), default=None,
                  help="image file; default: the sample key art")
    @click.option("--kit", default="marquee-default", show_default=True, help="folder under brand_kits/")
    @click.option("--locales", default="all", show_default=True)
    @click.option("--formats", default="all", show_default=True)
    @click.option("--out", type=click.Path(file_okay=False), required=True)
    def render_matrix(key_art: str | None, kit: str, locales: str, formats: str, out: str) -> None:
        """Render a locale x format matrix with the pure pipeline into a folder (no Redis, no DB)."""
        from .render.analyze import analyze
        from .render.contact_sheet import CELL_H, contact_sheet
        from .render.decode import DecodeError, decode
        from .render.kit import KitSpec
        from .render.pipeline import render_variant
        from .render.variant import build_variant_spec
        from .sample import sample_key_art_jpeg, sample_title
        from .services import ServiceError
        from .services.brand_kits import read_kit_folder

        try:
            spec_dict, logo = read_kit_folder(Path(current_app.config["BRAND_KITS_DIR"]) / kit)
            kit_spec = KitSpec.from_dict(spec_dict, logo)
            source = decode(Path(key_art).read_bytes() if key_art else sample_key_art_jpeg(),
                            background=kit_spec.scrim_color).image  # transparency over the kit's scrim
            locs = [get_locale(l) for l in _split(locales, SUPPORTED_LOCALES)]
            fmts = [get_format(f) for f in _split(formats, list(FORMATS))]
        except (ServiceError, DecodeError, ValueError, KeyError) as exc:
            raise click.ClickException(str(getattr(exc, "message", exc))) from None

        sample = sample_title()
        titles = {l["locale"]: l["title"] for l in sample["localizations"]}
        taglines = {l["locale"]: l.get("tagline") for l in sample["localizations"]}
        releases = {r["region"]: r for r in sample.get("releases", [])}
        out_dir = Path(out)
        out_dir.mkdir(parents=True, exist_ok=True)
        analysis = analyze(source)
        cells: dict[tuple[str, str], Image.Image] = {}
        t0 = time.perf_counter()
        with click.progressbar([(l, f) for l in locs for f in fmts], label="rendering") as cells_iter:
            for loc, fmt in cells_iter:
                rel = releases.get(loc.region, {})
                result = render_variant(source, analysis, build_variant_spec(
                    fmt, loc, kit_spec, titles.get(loc.tag, "Untitled"), rating=rel.get("age_rating"),
                    tagline=taglines.get(loc.tag), release_date=rel.get("release_date")), encodings=("jpeg",))
                (out_dir / f"{loc.tag}_{fmt.key}.jpg").write_bytes(result.encodings["jpeg"].data)
                # Keep a cell-sized copy, not 152 full canvases (the sheet shows CELL_H-high cells).
                cell = result.image.convert("RGB")
                cell.thumbnail((max(1, cell.width * CELL_H // cell.height) + 1, CELL_H + 1), Image.Resampling.LANCZOS)
                cells[(loc.tag, fmt.key)] = cell
                del result
        sheet = contact_sheet(cells, [l.tag for l in locs], [f.key for f in fmts], "Marquee contact sheet")
        sheet_path = out_dir / "contact-sheet.jpg"
        sheet.save(sheet_path, quality=88)
        click.echo(f"{len(cells)} variants in {time.perf_counter() - t0:.1f}s -> {out_dir}")
        click.echo(f"contact sheet: {sheet_path}")

    @app.cli.command("contact-sheet")
    @click.argument("request_id", type=int)
    @click.option("--out", type=click.Path(dir_okay=False), required=True)
    def contact_sheet_cmd(request_id: int, out: str) -> None:
        """Write one labelled locale x format grid of a request's rendered variants."""
        click.echo(write_contact_sheet(request_id, Path(out)))

    @app.cli.command("reconcile")
    def reconcile_cmd() -> None:
        """Re-enqueue variants whose render job was lost (Redis flushed, worker killed)."""
        from .services.reconcile import reconcile

        done = reconcile()
        click.echo(f"re-enqueued {len(done)} variant(s) or generator edit(s)")
        for d in done:
            what = f"variant {d['variant']} r{d['revision']}" if "variant" in d else f"generator edit {d['fix_request']}"
            click.echo(f"  {what}: {d['reason']}")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", type=click.Choice(["admin", "marketing", "reviewer", "integration"]), required=True)
    @click.option("--password", envvar="MARQUEE_NEW_PASSWORD", default=None,
                  help="default: asked on the terminal (or $MARQUEE_NEW_PASSWORD); not for integrations")
    @click.option("--locales", default="", help="reviewers: comma-separated locales in scope, e.g. ja-JP")
    @click.option("--regions", default="", help="reviewers: comma-separated regions in scope, e.g. JP,BR")
    @click.option("--ui-locale", default=None, help="UI language, e.g. ja or pt_BR; default: the browser's")
    @click.option("--token", "token_name", default=None, help="also issue an API token with this name (printed once)")
    def create_user_cmd(username: str, role: str, password: str | None, locales: str, regions: str,
                        ui_locale: str | None, token_name: str | None) -> None:
        """Create a person, e.g. the first admin of a new deployment (the API needs one to start)."""
        from marshmallow import ValidationError

        from .api.auth import UserIn
        from .services import ServiceError, people

        if role != "integration" and password is None:
            password = click.prompt("password", hide_input=True, confirmation_prompt=True)
        raw = {"username": username, "role": role, "password": password, "ui_locale": ui_locale,
               "locales": _split(locales, []), "regions": _split(regions, [])}
        try:
            user = people.create_user(UserIn().load(raw), actor="cli")
            token = people.issue_token(user, token_name, actor="cli")[1] if token_name else None
        except ValidationError as exc:
            raise click.ClickException(f"invalid user: {exc.messages}") from None
        except ServiceError as exc:
            raise click.ClickException(exc.message) from None
        click.echo(f"created {user.role} {user.username!r} (id {user.id})")
        if token:
            click.echo(f"API token (shown once, keep it safe): {token}")

    @app.cli.command("demo")
    @click.option("--out", type=click.Path(dir_okay=False), default="var/demo-contact-sheet.jpg", show_default=True)
    @click.option("--timeout", type=int, default=900, show_default=True)
    def demo(out: str, timeout: int) -> None:
        """Render the sample campaign (19 locales x 8 formats) through the API and a running worker."""
        from .demo import run_demo

        run_demo(Path(out), timeout)

    from .ops_cli import register_ops_cli

    register_ops_cli(app)


def write_contact_sheet(request_id: int, out: Path) -> Path:
    from .render.contact_sheet import CELL_H, contact_sheet
    from .services import blob_store
    from .services.requests import get_request

    req = get_request(request_id)
    store = blob_store()
    cells = {}
    for v in req.variants:
        if v.assets and "jpeg" in v.assets:
            img = Image.open(io.BytesIO(store.get(v.assets["jpeg"]["key"])))
            # A cell is CELL_H high: let libjpeg decode at the smallest DCT scale still above it.
            img.draft("RGB", (max(1, img.width * CELL_H // img.height), CELL_H))
            cells[(v.locale, v.format)] = img
    sheet = contact_sheet(cells, req.locales, req.formats,
                          f"{req.title.original_title} - request {req.id} - kit {req.brand_kit.slug} v{req.brand_kit.version}")
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out, quality=88)
    return out
