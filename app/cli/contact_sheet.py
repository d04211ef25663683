"""`flask contact-sheet REQUEST_ID --out FILE`: one labelled locale x format grid of a request."""
from __future__ import annotations

import io
from pathlib import Path

import click
from flask.cli import with_appcontext
from PIL import Image

from ..render.contact_sheet import CELL_H, contact_sheet
from ..services import blob_store
from ..services.requests import get_request


def write_contact_sheet(request_id: int, out: Path) -> Path:
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


@click.command("contact-sheet")
@click.argument("request_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False), required=True)
@with_appcontext
def command(request_id: int, out: str) -> None:
    """Write one labelled locale x format grid of a request's rendered variants."""
    click.echo(write_contact_sheet(request_id, Path(out)))
