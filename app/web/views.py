"""Where the page modules of the web UI used to live (blueprint, campaign_views, variant_views,
decision_views, login_views, labels). Kept only for app.web.exports_views, which imports the
blueprint and its helpers from here; once it imports them from .blueprint this module goes."""
from __future__ import annotations

from .blueprint import DECIDERS, FIXERS, PEOPLE, bp, run_service

__all__ = ["DECIDERS", "FIXERS", "PEOPLE", "bp", "run_service"]
