"""Import brand kits from folders on disk as immutable, numbered versions."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import yaml
from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import BrandKit
from ..render.kit import KitSpec
from . import NotFound, ServiceError, blob_store

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


def kit_folder(slug: str) -> Path:
    if not _SLUG.match(slug or ""):
        raise ServiceError(f"brand kit folder name {slug!r} must be lowercase letters, digits and dashes")
    folder = Path(current_app.config["BRAND_KITS_DIR"]) / slug
    if not (folder / "kit.yaml").is_file():
        raise NotFound(f"no brand kit folder {slug!r} with a kit.yaml under brand_kits/")
    return folder


def read_kit_folder(folder: Path) -> tuple[dict, bytes | None]:
    """Parse and check kit.yaml and read the logo; no app context needed (the CLI uses it)."""
    name = folder.name
    try:
        spec = yaml.safe_load((folder / "kit.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ServiceError(f"kit.yaml of {name!r} cannot be read: {exc}") from None
    if not isinstance(spec, dict) or "name" not in spec:
        raise ServiceError(f"kit.yaml of {name!r} must be a mapping with at least a name")
    logo_bytes = None
    logo_file = (spec.get("logo") or {}).get("file") if isinstance(spec.get("logo"), dict) else None
    if logo_file:
        path = (folder / logo_file).resolve()
        if folder.resolve() not in path.parents or not path.is_file():
            raise ServiceError(f"logo {logo_file!r} of kit {name!r} is not a file inside the kit folder")
        logo_bytes = path.read_bytes()
    try:
        KitSpec.from_dict(spec, logo_bytes)
    except (KeyError, ValueError, TypeError) as exc:
        raise ServiceError(f"kit.yaml of {name!r} is invalid: {exc}") from None
    return spec, logo_bytes


def import_kit(slug: str) -> tuple[BrandKit, bool]:
    """Import brand_kits/<slug>; returns (kit, created). Unchanged content reuses the version."""
    spec, logo_bytes = read_kit_folder(kit_folder(slug))
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode())
    digest.update(logo_bytes or b"")
    content = digest.hexdigest()
    existing = db.session.scalar(select(BrandKit).where(BrandKit.slug == slug, BrandKit.content_sha256 == content))
    if existing:
        return existing, False
    version = (db.session.scalar(select(func.max(BrandKit.version)).where(BrandKit.slug == slug)) or 0) + 1
    logo_key = blob_store().put(logo_bytes) if logo_bytes else None
    kit = BrandKit(slug=slug, version=version, name=str(spec["name"]), spec=spec, logo_key=logo_key,
                   content_sha256=content)
    db.session.add(kit)
    db.session.commit()
    return kit, True


def get_kit(kit_id: int) -> BrandKit:
    kit = db.session.get(BrandKit, kit_id)
    if kit is None:
        raise NotFound(f"brand kit {kit_id} does not exist")
    return kit


def kit_spec(kit: BrandKit) -> KitSpec:
    logo = blob_store().get(kit.logo_key) if kit.logo_key else None
    spec = dict(kit.spec)
    spec["version"] = kit.version
    return KitSpec.from_dict(spec, logo)
