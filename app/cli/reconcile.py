"""`flask reconcile`: the reconciler once, by hand (workers run it in their maintenance step)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..services.reconcile import reconcile


@click.command("reconcile")
@with_appcontext
def command() -> None:
    """Re-enqueue variants whose render job was lost (Redis flushed, worker killed)."""
    done = reconcile()
    click.echo(f"re-enqueued {len(done)} variant(s) or generator edit(s)")
    for d in done:
        what = f"variant {d['variant']} r{d['revision']}" if "variant" in d else f"generator edit {d['fix_request']}"
        click.echo(f"  {what}: {d['reason']}")
