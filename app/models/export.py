"""Export targets, one Export row per (target, variant, revision), webhook deliveries, the pull feed.

The database decides what has to be pushed where; Redis only carries the work. Secrets are
never stored: a target names the environment variables that hold them.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Timestamped, utcnow
from .request import Variant


class TargetKind(str, enum.Enum):
    S3 = "s3"
    HTTP_PUT = "http-put"
    WEBHOOK = "webhook"


STORAGE_KINDS = (TargetKind.S3.value, TargetKind.HTTP_PUT.value)


class ExportStatus(str, enum.Enum):
    WAITING = "waiting"    # a webhook waiting for the assets it announces
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SUPERSEDED = "superseded"   # the revision was un-approved or re-rendered before it could leave


class ExportTarget(Timestamped, db.Model):
    """Where approved assets go. `secret_refs` holds environment variable NAMES, never values."""

    __tablename__ = "export_target"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    #: S3 endpoint (empty for AWS itself), HTTP PUT base URL or webhook URL.
    url: Mapped[str | None] = mapped_column(String(2000))
    #: bucket, prefix, region, public_base_url, headers, mode: non-secret settings.
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: {"access_key_id": "ENV", "secret_access_key": "ENV"} / {"secret": "ENV"} / {"headers": {"Authorization": "ENV"}}
    secret_refs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    regions: Mapped[list[str] | None] = mapped_column(JSON)
    formats: Mapped[list[str] | None] = mapped_column(JSON)
    #: Encodings delivered (jpeg, webp, avif); None: the default, JPEG and WebP.
    encodings: Mapped[list[str] | None] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    @property
    def is_storage(self) -> bool:
        return self.kind in STORAGE_KINDS

    def matches(self, locale: str, fmt: str) -> bool:
        """Region and format filters; no filter means everything."""
        region = locale.rsplit("-", 1)[-1].upper() if "-" in locale else ""
        if self.regions and region not in {r.upper() for r in self.regions}:
            return False
        return not self.formats or fmt in self.formats


class Export(Timestamped, db.Model):
    """One approved variant revision pushed to one target. Unique, so re-running never duplicates."""

    __tablename__ = "export"
    __table_args__ = (UniqueConstraint("target_id", "variant_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("export_target.id"), index=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[int] = mapped_column(ForeignKey("render_request.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ExportStatus.PENDING.value, index=True)
    #: Tries made against the target, all objects of this export together.
    tries: Mapped[int] = mapped_column(Integer, default=0)
    #: Failed tries in a row (reset by a success); the export fails when it reaches EXPORT_MAX_TRIES.
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: After a retryable failure: when the next try is due (the job is scheduled in RQ for then, and
    #: the reconciler enqueues it if Redis lost that schedule).
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Objects actually sent (an object already there with the same checksum is not).
    sent: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    #: {"jpeg": {"key", "url", "sha256", "bytes", "mime", "sent"}, ...}
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The RQ job that runs (or will run) the export's next try, for the reconciler to look up.
    job_id: Mapped[str | None] = mapped_column(String(120))
    #: Token of the job attempt that holds the export; a stale attempt can no longer record.
    attempt: Mapped[str | None] = mapped_column(String(32))
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    target: Mapped[ExportTarget] = relationship()
    variant: Mapped[Variant] = relationship()


class WebhookDelivery(Timestamped, db.Model):
    """One webhook event. Its id and body are fixed when created: every retry sends the same."""

    __tablename__ = "webhook_delivery"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("export.id", ondelete="CASCADE"), unique=True)
    event_type: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    tries: Mapped[int] = mapped_column(Integer, default=0)
    response_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ExportManifest(db.Model):
    """The manifest of one request at one storage target; its row is also the publish lock."""

    __tablename__ = "export_manifest"
    __table_args__ = (UniqueConstraint("target_id", "request_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("export_target.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("render_request.id", ondelete="CASCADE"))
    key: Mapped[str | None] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(2000))
    sha256: Mapped[str | None] = mapped_column(String(64))
    entries: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lock_holder: Mapped[str | None] = mapped_column(String(32))
    lock_expires: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FeedEntry(Timestamped, db.Model):
    """An approved variant revision in the pull feed. `seq` is the cursor: it moves forward each
    time the entry changes (approved, a file arrived at a target, superseded), so a puller asking
    "what changed since N" sees the entry again with its new URLs."""

    __tablename__ = "export_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    variant: Mapped[Variant] = relationship()


class FeedCounter(db.Model):
    """One row: the last feed sequence number handed out. Taking the next one locks the row until
    the transaction commits, so sequence order is commit order and a cursor never skips an entry
    committed late (an autoincrement id can: a lower id may become visible after a higher one)."""

    __tablename__ = "export_feed_counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
