"""One export job, start to end: claim the export, push the files and the manifest (storage
targets) or deliver the webhook, and record how it ended. Every outcome is a state of the
export; only a bug also fails the RQ job."""
from __future__ import annotations

from ...export.protocol import TargetError
from ...export.urlguard import UrlRefused
from ...extensions import db
from ...models import Export
from ...models.export import STORAGE_KINDS, ExportStatus
from ..export_targets import SecretMissing, build_target
from .backoff import RetryLater, defer
from .claims import LostClaim, claim, finish
from .manifests import publish_manifest
from .pushing import ExportImpossible, Superseded, push_assets
from .webhooks import deliver_webhook, release_webhooks, supersede_webhooks


def _send(exp: Export, token: str) -> bool:
    """The export's work at its target; True if this attempt recorded it done."""
    target = build_target(exp.target)
    if exp.target.kind not in STORAGE_KINDS:
        return deliver_webhook(exp, target, token)
    push_assets(exp, target, token)
    publish_manifest(exp, target, token)
    done = finish(exp.id, token, ExportStatus.DONE.value)
    if done:
        release_webhooks(exp.variant_id, exp.revision)
    return done


def run_export(export_id: int) -> str:
    """Run one export; returns 'done', 'failed', 'retrying' (next try scheduled), 'superseded' or
    'skipped' (not ours to run)."""
    token = claim(export_id)
    if token is None:
        return "skipped"
    exp = db.session.get(Export, export_id)
    db.session.refresh(exp)
    try:
        return "done" if _send(exp, token) else "skipped"
    except LostClaim:
        db.session.rollback()
        return "skipped"
    except RetryLater as later:
        db.session.rollback()
        return "retrying" if defer(exp, token, later) else "skipped"
    except Superseded as exc:
        db.session.rollback()
        finish(export_id, token, ExportStatus.SUPERSEDED.value, str(exc))
        supersede_webhooks(exp.variant_id, exp.revision)
        return "superseded"
    except (TargetError, UrlRefused, SecretMissing, ExportImpossible) as exc:
        db.session.rollback()
        prefix = "url refused: " if isinstance(exc, UrlRefused) else ""
        finish(export_id, token, ExportStatus.FAILED.value, f"{exp.target.kind} target {exp.target.name!r}: "
               f"{prefix}{exc}")
        return "failed"
    except Exception as exc:  # a bug: record it on the export, and let RQ see the job fail too
        db.session.rollback()
        finish(export_id, token, ExportStatus.FAILED.value, f"{type(exc).__name__}: {exc}")
        raise
