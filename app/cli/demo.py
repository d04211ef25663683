"""`flask demo`: the sample campaign, end to end through the REST API and a real RQ worker."""
from __future__ import annotations

import io
import secrets
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask.testing import FlaskClient
from sqlalchemy import select

from ..extensions import db
from ..models import ApiToken, User, Variant
from ..render.formats import FORMATS
from ..render.locales import SUPPORTED_LOCALES
from ..sample import sample_key_art_jpeg, sample_title
from ..services.titles import title_by_slug
from .contact_sheet import write_contact_sheet


def _ok(resp, *codes: int) -> dict:
    if resp.status_code not in codes:
        raise click.ClickException(f"{resp.request.method} {resp.request.path} -> {resp.status_code}: {resp.get_data(as_text=True)}")
    return resp.get_json()


def _demo_token() -> str:
    """A fresh API token for the demo's marketing user (created on first run): the API needs one."""
    user = db.session.scalar(select(User).where(User.username == "demo-marketing"))
    if user is None:
        user = User(username="demo-marketing", role="marketing", locales=[], regions=[])
        user.set_password(secrets.token_urlsafe(24))  # nobody logs in as it; the token is what it is for
        db.session.add(user)
    token, raw = ApiToken.issue(user, "flask demo")
    db.session.add(token)
    db.session.commit()
    return raw


def submit_sample_request(client: FlaskClient) -> dict:
    """Import the kit, create (or reuse) the sample title, upload its key art and ask for every
    locale x format: the request as the API answers it."""
    kit = _ok(client.post("/api/v1/brand-kits/import", json={"folder": "marquee-default"}), 200, 201)
    data = sample_title()
    existing = title_by_slug(data["slug"])
    if existing is None:
        payload = dict(data, releases=[dict(r, release_date=str(r["release_date"])) for r in data["releases"]])
        title = _ok(client.post("/api/v1/titles", json=payload), 201)
    else:
        title = {"id": existing.id}
    art = _ok(client.post(f"/api/v1/titles/{title['id']}/key-art",
                          data={"file": (io.BytesIO(sample_key_art_jpeg()), "beyond-the-orbit.jpg")},
                          content_type="multipart/form-data"), 200, 201)
    return _ok(client.post("/api/v1/requests", json={
        "title_id": title["id"], "key_art_id": art["id"], "brand_kit_id": kit["id"],
        "locales": list(SUPPORTED_LOCALES), "formats": list(FORMATS), "requester": "demo"}), 202)


def wait_for_renders(client: FlaskClient, req: dict, timeout: int, t0: float) -> dict:
    """Poll the request's progress with a progress bar until every variant is rendered or failed."""
    with click.progressbar(length=len(req["variants"]), label="rendering") as bar:
        done = 0
        while True:
            prog = _ok(client.get(f"/api/v1/requests/{req['id']}/progress"), 200)
            finished = prog["rendered"] + prog["failed"]
            bar.update(finished - done)
            done = finished
            if finished >= prog["total"]:
                return prog
            if time.monotonic() - t0 > timeout:
                raise click.ClickException(f"timed out after {timeout}s: {prog}; is a worker running?")
            time.sleep(0.2)  # the time printed below is this precise


def run_demo(out: Path, timeout: int) -> None:
    client = current_app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {_demo_token()}"
    req = submit_sample_request(client)
    click.echo(f"request {req['id']}: {len(req['variants'])} variants queued; waiting for the worker")
    t0 = time.monotonic()
    prog = wait_for_renders(client, req, timeout, t0)
    took = time.monotonic() - t0
    click.echo(f"rendered {prog['rendered']}, failed {prog['failed']} in {took:.1f}s "
               f"({prog['total'] / took:.1f} variants/s; from the request to the last variant recorded)")
    twice = rendered_twice(req["id"])
    click.echo(f"rendered more than once (render_count > 1 for one revision; must be 0): {len(twice)}"
               + (f" {twice}" if twice else ""))
    path = write_contact_sheet(req["id"], out)
    click.echo(f"contact sheet: {path.resolve()}")
    if prog["failed"]:
        raise click.ClickException(f"{prog['failed']} variant(s) failed; see /api/v1/requests/{req['id']}")
    if twice:
        raise click.ClickException(f"{len(twice)} variant(s) were rendered more than once: {twice}")


def rendered_twice(request_id: int) -> list[int]:
    """Variants of the request with a revision rendered more than once (render_count counts one
    per revision: more than the revision number means a render was repeated)."""
    return list(db.session.scalars(select(Variant.id).where(Variant.request_id == request_id,
                                                            Variant.render_count > Variant.revision).order_by(Variant.id)))


@click.command("demo")
@click.option("--out", type=click.Path(dir_okay=False), default="var/demo-contact-sheet.jpg", show_default=True)
@click.option("--timeout", type=int, default=900, show_default=True)
@with_appcontext
def command(out: str, timeout: int) -> None:
    """Render the sample campaign (19 locales x 8 formats) through the API and a running worker."""
    run_demo(Path(out), timeout)
