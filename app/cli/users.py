"""`flask create-user`: a person, e.g. the first admin of a new deployment, validated by the
same schema as the API's POST /users."""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from marshmallow import ValidationError

from ..schemas.people import UserIn
from ..services import ServiceError, people
from .options import split_list


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "marketing", "reviewer", "integration"]), required=True)
@click.option("--password", envvar="MARQUEE_NEW_PASSWORD", default=None,
              help="default: asked on the terminal (or $MARQUEE_NEW_PASSWORD); not for integrations")
@click.option("--locales", default="", help="reviewers: comma-separated locales in scope, e.g. ja-JP")
@click.option("--regions", default="", help="reviewers: comma-separated regions in scope, e.g. JP,BR")
@click.option("--ui-locale", default=None, help="UI language, e.g. ja or pt_BR; default: the browser's")
@click.option("--token", "token_name", default=None, help="also issue an API token with this name (printed once)")
@with_appcontext
def command(username: str, role: str, password: str | None, locales: str, regions: str,
            ui_locale: str | None, token_name: str | None) -> None:
    """Create a person, e.g. the first admin of a new deployment (the API needs one to start)."""
    if role != "integration" and password is None:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    raw = {"username": username, "role": role, "password": password, "ui_locale": ui_locale,
           "locales": split_list(locales, []), "regions": split_list(regions, [])}
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
