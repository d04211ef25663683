"""Review of variant revisions: decisions (approve, undo, reopen), flags, how far a shared one
reaches and the conversation on each (threads), fixes by re-render or by generator, and the
watch on inputs changed under an approval.

Every decision is a conditional UPDATE on (id, revision, status) (transitions): two reviewers
deciding on the same revision at once cannot both win; the loser gets 409 with the current state
and nothing is overwritten. Every decision writes a Decision row and an AuditEvent (who, when,
which revision, state before and after) in the same transaction as the state change.

What review reads (inboxes, a variant's flags and history) lives in app.services.queries.review.
This package re-exports the operations so callers import them from one place."""
from __future__ import annotations

from .decisions import approve, open_for_review, reopen, undo_approval, undo_seconds_left
from .fixes import current_tagline, rerender
from .flags import FlagOutcome, flag, flag_revision
from .generator_edits import edit_job_id, edit_job_id_of, enqueue_generator_edit, generator_edit, run_generator_edit
from .input_watch import install_input_watch
from .propagation import may_flag, shared_with
from .proposals import accept_proposal
from ..review_states import (AUTO, CROP_ANCHORS, DECIDABLE, FINISHED, FIX_LEVELS, GENERATOR_OPS, REFUSED_OVERRIDE,
                     TEXT_ZONES, fix_reason)

__all__ = ["AUTO", "CROP_ANCHORS", "DECIDABLE", "FINISHED", "FIX_LEVELS", "GENERATOR_OPS", "REFUSED_OVERRIDE",
           "TEXT_ZONES", "FlagOutcome", "accept_proposal", "approve", "current_tagline", "edit_job_id",
           "edit_job_id_of", "enqueue_generator_edit", "fix_reason", "flag", "flag_revision", "generator_edit",
           "install_input_watch", "may_flag", "open_for_review", "reopen", "rerender", "run_generator_edit",
           "shared_with", "undo_approval", "undo_seconds_left"]
