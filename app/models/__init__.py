"""SQLAlchemy 2 typed models, one module per area. The database is the source of truth."""
from .audit import AuditEvent
from .brand_kit import BrandKit
from .export import Export, ExportManifest, ExportStatus, ExportTarget, FeedCounter, FeedEntry, WebhookDelivery
from .key_art import KeyArt
from .people import ApiToken, Role, User
from .request import RenderRequest, Variant, VariantStatus
from .review import Decision, FixRequest, Flag, FlagComment
from .title import Title, TitleLocalization, TitleRelease

__all__ = ["Export", "ExportManifest", "ExportStatus", "ExportTarget", "FeedCounter", "FeedEntry", "WebhookDelivery", "ApiToken", "Decision", "FixRequest", "Flag", "FlagComment", "Role", "User", "AuditEvent", "BrandKit", "KeyArt", "RenderRequest", "Variant", "VariantStatus",
           "Title", "TitleLocalization", "TitleRelease"]
