"""Read logic shared by the API, the web UI and the CLI: one module per area (campaign variants
and their counts, the review inboxes and records, the audit trail), so views hold no SQL and a
count means the same thing on every page."""
