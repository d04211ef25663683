"""The RQ adapter on top of the house: thin job functions and the worker entry points. Jobs
import services (and app.queueing); nothing in app/ imports jobs.

A worker's metrics directory is prepared here, before any of its modules imports the app: see
jobs/metrics_dir.py for why the order matters.
"""
from .metrics_dir import prepare_metrics_dir

prepare_metrics_dir()
