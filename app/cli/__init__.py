"""Flask CLI commands, one module per command or group:

    render-matrix   the pure pipeline into a folder (no Redis, no DB)       render_matrix.py
    contact-sheet   one labelled grid of a request's rendered variants      contact_sheet.py
    reconcile       re-enqueue lost work                                    reconcile.py
    create-user     a person (and an API token)                             users.py
    demo            the sample campaign through the API and a worker        demo.py
    blobs ...       the blob store: info, migrate-to-s3                     blobs.py
    queues          depth, workers and failed jobs of each queue            queues.py
"""
from __future__ import annotations

from flask import Flask

from . import blobs, contact_sheet, demo, queues, reconcile, render_matrix, users


def register_cli(app: Flask) -> None:
    for module in (render_matrix, contact_sheet, reconcile, users, demo, blobs, queues):
        app.cli.add_command(module.command)
