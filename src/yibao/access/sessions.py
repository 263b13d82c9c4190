"""Server-side sessions: the browser holds a random token (in an HttpOnly cookie) or an API client a bearer
token; the server holds its hash, so that sign-out, a password change or a disabled account ends it at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from yibao.access.models import LoginSession
from yibao.errors import Unauthorized
from yibao.kit.clock import now


class Kind(StrEnum):
    STAFF = "staff"
    RESIDENT = "resident"
    DESK = "desk"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, kind: Kind, subject: str, *, hours: float, detail: str | None = None) -> str:
    """A new session; returns its token (given to the client once, kept here only as its hash)."""
    token = secrets.token_urlsafe(32)
    moment = now()
    session.execute(delete(LoginSession).where(LoginSession.expires_at < moment))
    session.add(LoginSession(token_hash=token_hash(token), kind=kind.value, subject=subject, detail=detail,
                             created_at=moment, expires_at=moment + dt.timedelta(hours=hours)))
    session.flush()
    return token


def live_session(session: Session, kind: Kind, token: str | None) -> LoginSession:
    """The live session of this kind the token opens; refused (401) when signed out, expired or revoked."""
    row = session.get(LoginSession, token_hash(token)) if token else None
    if row is None or row.kind != kind.value or row.expires_at < now():
        raise Unauthorized("登录已失效，请重新登录", code="signed_out")
    return row


def close_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash(token)))


def close_all(session: Session, kind: Kind, subject: str, *, keep: str | None = None) -> int:
    """End every session of one subject (a password changed or reset, an account disabled), except `keep`
    (the token of the session that made the change). Returns how many ended."""
    condition = (LoginSession.kind == kind.value) & (LoginSession.subject == subject)
    if keep:
        condition &= LoginSession.token_hash != token_hash(keep)
    ended = session.scalars(select(LoginSession.token_hash).where(condition)).all()
    session.execute(delete(LoginSession).where(condition))
    return len(ended)
