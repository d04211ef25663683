"""Export targets: validate settings, create/update/delete, and build the live Target from a row.

Secrets stay in the environment: a target stores the NAMES of the variables that hold them and
the values are read only when a job connects, so neither the API nor a log ever carries them.
"""
from __future__ import annotations

import os
import re
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..export.http_put import MODES, HttpPutTarget
from ..export.s3 import S3Target
from ..export.urlguard import UrlRefused, check_url
from ..export.webhook import WebhookTarget, secret_key
from ..extensions import db
from ..models import AuditEvent, Export, ExportTarget
from ..models.export import TargetKind
from ..render.encode import ENCODINGS
from ..render.formats import FORMATS
from . import Conflict, NotFound, ServiceError

ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")
OPTION_KEYS = {
    "s3": {"bucket", "prefix", "region", "public_base_url"},
    "http-put": {"headers", "public_base_url", "mode"},
    "webhook": set(),
}
SECRET_KEYS = {"s3": {"access_key_id", "secret_access_key"}, "http-put": {"headers"}, "webhook": {"secret"}}


def _invalid(message: str, **details: object) -> ServiceError:
    return ServiceError(message, status=422, **details)


def _allow_private() -> bool:
    return bool(current_app.config["EXPORT_ALLOW_PRIVATE"])


def _check_env_names(kind: str, refs: dict[str, Any]) -> None:
    unknown = set(refs) - SECRET_KEYS[kind]
    if unknown:
        raise _invalid(f"secret_refs for a {kind} target take {', '.join(sorted(SECRET_KEYS[kind]))}; "
                       f"unknown: {', '.join(sorted(unknown))}")
    names = list(refs.get("headers", {}).values()) if kind == "http-put" else list(refs.values())
    if kind == "http-put" and not isinstance(refs.get("headers", {}), dict):
        raise _invalid("secret_refs.headers maps header names to environment variable names")
    for name in names:
        if not isinstance(name, str) or not ENV_NAME.match(name):
            raise _invalid(f"secret_refs must name environment variables (A-Z, 0-9, _), got {name!r}")


def validate(kind: str, url: str | None, options: dict[str, Any], refs: dict[str, Any],
             regions: list[str] | None, formats: list[str] | None, encodings: list[str] | None = None) -> None:
    """Refuse bad settings with a 422 naming the problem; the URL guard runs here, before any use."""
    if kind not in OPTION_KEYS:
        raise _invalid(f"kind must be one of {', '.join(k.value for k in TargetKind)}")
    unknown = set(options) - OPTION_KEYS[kind]
    if unknown:
        raise _invalid(f"options for a {kind} target take {', '.join(sorted(OPTION_KEYS[kind])) or 'nothing'}; "
                       f"unknown: {', '.join(sorted(unknown))}")
    _check_env_names(kind, refs)
    if kind == "s3":
        if not options.get("bucket"):
            raise _invalid("an s3 target needs options.bucket")
        if bool(refs.get("access_key_id")) != bool(refs.get("secret_access_key")):
            raise _invalid("give both secret_refs.access_key_id and secret_refs.secret_access_key, or neither")
    elif not url:
        raise _invalid(f"a {kind} target needs a url")
    if kind == "http-put" and options.get("mode", "put") not in MODES:
        raise _invalid(f"options.mode must be one of {', '.join(MODES)}")
    if kind == "webhook" and not refs.get("secret"):
        raise _invalid("a webhook target needs secret_refs.secret: the environment variable holding whsec_...")
    for u in filter(None, [url, options.get("public_base_url")]):
        try:
            check_url(u, allow_private=_allow_private()) if u == url else _check_scheme(u)
        except UrlRefused as exc:
            raise _invalid(f"url refused: {exc}", url=u) from None
    bad_formats = [f for f in formats or [] if f not in FORMATS]
    if bad_formats:
        raise _invalid(f"unknown format(s) {', '.join(map(repr, bad_formats))}; known: {', '.join(FORMATS)}")
    bad_regions = [r for r in regions or [] if not re.fullmatch(r"[A-Za-z]{2}", r)]
    if bad_regions:
        raise _invalid(f"regions are two-letter codes; got {', '.join(map(repr, bad_regions))}")
    _check_encodings(encodings)


def _check_encodings(encodings: list[str] | None) -> None:
    """None is the default (JPEG and WebP); a list names at least one known encoding, once each."""
    if encodings is None:
        return
    if not encodings:
        raise _invalid(f"encodings must name at least one of {', '.join(ENCODINGS)}, or be omitted for jpeg "
                       "and webp")
    bad = [e for e in encodings if e not in ENCODINGS]
    if bad:
        raise _invalid(f"unknown encoding(s) {', '.join(map(repr, bad))}; known: {', '.join(ENCODINGS)}")
    if len(set(encodings)) != len(encodings):
        raise _invalid(f"encodings name each encoding once; got {', '.join(encodings)}")


def _check_scheme(url: str) -> None:
    """A public URL is only printed, never fetched by us; it still has to be http(s)."""
    if not url.startswith(("https://", "http://")):
        raise UrlRefused("public_base_url must be an http(s) URL")


def create_target(data: dict[str, Any], actor: str) -> ExportTarget:
    kind, url = data["kind"], data.get("url")
    options, refs = data.get("options") or {}, data.get("secret_refs") or {}
    validate(kind, url, options, refs, data.get("regions"), data.get("formats"), data.get("encodings"))
    if db.session.scalar(select(ExportTarget.id).where(ExportTarget.name == data["name"])) is not None:
        raise Conflict(f"an export target named {data['name']!r} exists")
    target = ExportTarget(name=data["name"], kind=kind, url=url, options=options, secret_refs=refs,
                          regions=[r.upper() for r in data["regions"]] if data.get("regions") else None,
                          formats=data.get("formats") or None, encodings=data.get("encodings"),
                          enabled=data.get("enabled", True))
    db.session.add(target)
    db.session.flush()
    db.session.add(AuditEvent(actor=actor, action="export_target.created", entity_type="export_target",
                              entity_id=target.id, detail={"name": target.name, "kind": kind}))
    db.session.commit()
    return target


def update_target(target_id: int, data: dict[str, Any], actor: str) -> ExportTarget:
    """Change some settings; the kind stays (its settings differ: make a new target instead)."""
    target = get_target(target_id)
    if data.get("kind", target.kind) != target.kind:
        raise _invalid(f"the kind of a target cannot change ({target.kind}); create a new target instead")
    data = {k: v for k, v in data.items() if k != "kind"}
    if data.get("name", target.name) != target.name and db.session.scalar(
            select(ExportTarget.id).where(ExportTarget.name == data["name"])) is not None:
        raise Conflict(f"an export target named {data['name']!r} exists")
    merged = {"url": target.url, "options": target.options, "secret_refs": target.secret_refs,
              "regions": target.regions, "formats": target.formats, "encodings": target.encodings, **data}
    validate(target.kind, merged["url"], merged["options"] or {}, merged["secret_refs"] or {},
             merged["regions"], merged["formats"], merged["encodings"])
    for key in ("url", "options", "secret_refs", "formats", "encodings", "enabled", "name"):
        if key in data:
            setattr(target, key, data[key])
    if "regions" in data:
        target.regions = [r.upper() for r in data["regions"]] if data["regions"] else None
    db.session.add(AuditEvent(actor=actor, action="export_target.updated", entity_type="export_target",
                              entity_id=target.id, detail={"fields": sorted(data)}))
    db.session.commit()
    return target


def delete_target(target_id: int, actor: str) -> None:
    target = get_target(target_id)
    if db.session.scalar(select(Export.id).where(Export.target_id == target.id).limit(1)) is not None:
        raise Conflict(f"export target {target_id} has exports on record; disable it instead (enabled: false)")
    db.session.delete(target)
    db.session.add(AuditEvent(actor=actor, action="export_target.deleted", entity_type="export_target",
                              entity_id=target_id))
    db.session.commit()


def get_target(target_id: int) -> ExportTarget:
    target = db.session.get(ExportTarget, target_id)
    if target is None:
        raise NotFound(f"export target {target_id} does not exist")
    return target


def list_targets() -> list[ExportTarget]:
    return list(db.session.scalars(select(ExportTarget).order_by(ExportTarget.id)))


class SecretMissing(Exception):
    """A referenced environment variable is unset: a configuration error, not worth retrying."""


def _secret(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SecretMissing(f"environment variable {name} (referenced by the target) is not set")
    return value


def build_target(row: ExportTarget) -> S3Target | HttpPutTarget | WebhookTarget:
    """The live target for a row, secrets read from the environment now."""
    cfg = current_app.config
    common = {"allow_private": bool(cfg["EXPORT_ALLOW_PRIVATE"]), "timeout_s": float(cfg["EXPORT_TIMEOUT_S"])}
    opts, refs = row.options or {}, row.secret_refs or {}
    if row.kind == TargetKind.S3.value:
        return S3Target(bucket=opts["bucket"], prefix=opts.get("prefix", ""), region=opts.get("region") or "us-east-1",
                        endpoint_url=row.url or None, public_base_url=opts.get("public_base_url"),
                        access_key_id=_secret(refs["access_key_id"]) if refs.get("access_key_id") else None,
                        secret_access_key=_secret(refs["secret_access_key"]) if refs.get("secret_access_key") else None,
                        **common)
    if row.kind == TargetKind.HTTP_PUT.value:
        headers = {**(opts.get("headers") or {}),
                   **{h: _secret(env) for h, env in (refs.get("headers") or {}).items()}}
        return HttpPutTarget(base_url=row.url, headers=headers, public_base_url=opts.get("public_base_url"),
                             mode=opts.get("mode", "put"), **common)
    secret = _secret(refs["secret"])
    try:
        secret_key(secret)
    except ValueError as exc:
        raise SecretMissing(f"environment variable {refs['secret']}: {exc}") from None
    return WebhookTarget(url=row.url, secret=secret, **common)
