"""Sign-in sessions and the throttle's failure counts (tokens stored only as their SHA-256)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from yibao.db import Base


class LoginSession(Base):
    """One signed-in browser or API client: staff (subject = username), a resident (psn_no) or a hospital
    desk (fixmedins_code, with the cashier's name as `detail`)."""

    __tablename__ = "login_sessions"
    __table_args__ = (Index("ix_login_sessions_subject", "kind", "subject"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # staff / resident / desk
    subject: Mapped[str] = mapped_column(String(50))
    detail: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]


class SignInFailure(Base):
    """Wrong passwords counted under one key (an account, an address, or the two together) since the last
    quiet period; sign-in under the key waits until `blocked_until`."""

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int]
    last_at: Mapped[dt.datetime]
    blocked_until: Mapped[dt.datetime | None]


class TrailRecord(Base):
    """One access to a person's data (access/trail.py): who, through which door, did what to whom. Append-only
    (database triggers refuse UPDATE and DELETE); `hash` = SM3 over the previous record's hash and this record,
    so an edited, removed or inserted record breaks the chain (`yibao audit-log verify`). No personal number is
    kept: the subject is the person's psn_no."""

    __tablename__ = "access_trail"
    __table_args__ = (Index("ix_access_trail_subject", "subject", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime]
    actor_kind: Mapped[str] = mapped_column(String(12))  # staff / institution / desk / resident / system
    actor: Mapped[str] = mapped_column(String(60))
    door: Mapped[str] = mapped_column(String(12))  # console / rest / gateway / desk / resident / cli
    action: Mapped[str] = mapped_column(String(10))  # lookup / view / search / export / change
    subject: Mapped[str | None] = mapped_column(String(20))  # psn_no
    what: Mapped[str] = mapped_column(String(200))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class TrailHead(Base):
    """The chain's end: the last record's seq and hash, one row (id 1). Appending locks it, so records are
    chained in one order by every process; a removed last record is found by the head pointing past it."""

    __tablename__ = "access_trail_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
