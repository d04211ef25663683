"""Conversations on flags: each flag is a thread the reviewer and marketing reply in, and that a
reviewer (or an admin) resolves. Every reply and resolution is audited on the variant.
Reading a thread is app.services.queries.review (comments, comments_by_flag)."""
from __future__ import annotations

from sqlalchemy import update

from ...extensions import db
from ...models import AuditEvent, Flag, FlagComment, User
from .. import Conflict, NotFound, ServiceError
from ..review_states import MAX_COMMENT as MAX_BODY


def _flag(flag_id: int) -> Flag:
    flag = db.session.get(Flag, flag_id)
    if flag is None:
        raise NotFound(f"flag {flag_id} does not exist")
    return flag


def _audit(user: User, flag: Flag, action: str, **detail) -> None:
    db.session.add(AuditEvent(actor=user.username, action=action, entity_type="variant", entity_id=flag.variant_id,
                              revision=flag.revision, detail={"flag_id": flag.id, **detail}))


def reply(flag_id: int, user: User, body: str, lang: str | None = None) -> FlagComment:
    body = (body or "").strip()
    if not body:
        raise ServiceError("a reply needs some text", status=422)
    if len(body) > MAX_BODY:
        raise ServiceError(f"the comment is longer than {MAX_BODY} characters", status=422)
    flag = _flag(flag_id)
    c = FlagComment(flag_id=flag.id, author=user.username, body=body, lang=lang)
    db.session.add(c)
    _audit(user, flag, "review.flag_reply", comment=body)
    if flag.status == "resolved":  # a reply reopens the conversation
        flag.status = "open"
    db.session.commit()
    return c


def resolve(flag_id: int, user: User) -> Flag:
    flag = _flag(flag_id)
    res = db.session.execute(update(Flag).where(Flag.id == flag.id, Flag.status != "resolved")
                             .values(status="resolved").execution_options(synchronize_session=False))
    if res.rowcount != 1:
        db.session.rollback()
        raise Conflict(f"flag {flag_id} is already resolved")
    _audit(user, flag, "review.flag_resolved")
    db.session.commit()
    db.session.refresh(flag)
    return flag
