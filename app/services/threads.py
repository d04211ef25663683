"""Conversations on flags: each flag is a thread the reviewer and marketing reply in, and that a
reviewer (or an admin) resolves. Every reply and resolution is audited on the variant."""
from __future__ import annotations

from sqlalchemy import select, update

from ..extensions import db
from ..models import AuditEvent, Flag, FlagComment, User
from . import Conflict, NotFound, ServiceError

MAX_BODY = 4000


def _flag(flag_id: int) -> Flag:
    flag = db.session.get(Flag, flag_id)
    if flag is None:
        raise NotFound(f"flag {flag_id} does not exist")
    return flag


def _audit(user: User, flag: Flag, action: str, **detail) -> None:
    db.session.add(AuditEvent(actor=user.username, action=action, entity_type="variant", entity_id=flag.variant_id,
                              revision=flag.revision, detail={"flag_id": flag.id, **detail}))


def comments(flag_id: int) -> list[FlagComment]:
    return list(db.session.scalars(select(FlagComment).where(FlagComment.flag_id == flag_id)
                                   .order_by(FlagComment.id)))


def comments_by_flag(flag_ids: list[int]) -> dict[int, list[FlagComment]]:
    """The threads of a page's flags in one query."""
    out: dict[int, list[FlagComment]] = {i: [] for i in flag_ids}
    if flag_ids:
        for c in db.session.scalars(select(FlagComment).where(FlagComment.flag_id.in_(flag_ids))
                                    .order_by(FlagComment.id)):
            out[c.flag_id].append(c)
    return out


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
