"""Export targets behind one protocol: S3-compatible buckets, HTTP PUT origins, signed webhooks.

No Flask, SQLAlchemy or RQ in here: a target gets plain settings and secrets, pushes bytes and
says what it did, so it can be tested against real servers without the app.
"""
from .protocol import Asset, PutResult, RetryPolicy, Target, TargetError
from .urlguard import UrlRefused, check_url

__all__ = ["Asset", "PutResult", "RetryPolicy", "Target", "TargetError", "UrlRefused", "check_url"]
