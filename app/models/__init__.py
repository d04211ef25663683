"""SQLAlchemy 2 typed models, one module per area. The database is the source of truth."""
from .audit import AuditEvent
from .brand_kit import BrandKit
from .key_art import KeyArt
from .request import RenderRequest, Variant, VariantStatus
from .title import Title, TitleLocalization, TitleRelease

__all__ = ["AuditEvent", "BrandKit", "KeyArt", "RenderRequest", "Variant", "VariantStatus",
           "Title", "TitleLocalization", "TitleRelease"]
