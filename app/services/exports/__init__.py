"""Exports: approved variant revisions pushed to targets, then a manifest per request, then webhooks.

The database says what must be pushed where (one Export row per target, variant and revision);
Redis only carries the work. A job claims its export with a conditional UPDATE and a token and
keeps a heartbeat in the database, so a duplicate job or the orphan of a lost worker can never
record twice, and the reconciler re-enqueues whatever the database says is pending or stale.
Targets skip objects already there with the same checksum, so a re-run sends nothing twice.

One module per job, each importing only those above it in this list:

- records: what they all share (the approved state, the audit trail, times read back)
- queries: the reads the API, the UI and the CLI show (lists, counts, manifests, the feed's rows)
- enqueue: exports onto the `export` queue
- feed: the pull feed (sequence numbers in commit order, and the page integrations read)
- claims: one attempt holds an export (claim, heartbeat, finish)
- backoff: a try against a target, and a retry scheduled instead of slept through
- pushing: the files of a revision to a storage target
- manifests: the manifest of a request at a target, published under a lock in the database
- webhooks: the event announced once the files are out
- running: one export job, start to end
- scheduling: approvals become exports (and retries, on demand)
- reconcile: Redis made to agree with the database
"""
