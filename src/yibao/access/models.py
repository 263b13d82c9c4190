"""Sign-in sessions and the throttle's failure counts (tokens stored only as their SHA-256)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String
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
