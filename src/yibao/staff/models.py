"""Staff accounts and their sign-in sessions (tokens are stored hashed)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from yibao.db import Base


class StaffUser(Base):
    __tablename__ = "staff_users"

    username: Mapped[str] = mapped_column(String(50), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(20))  # clerk / auditor / admin / readonly
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime]
    failed_sign_ins: Mapped[int] = mapped_column(default=0, server_default="0")  # since the last success
    locked_until: Mapped[dt.datetime | None]  # sign-in refused until then (too many wrong passwords)


class StaffSession(Base):
    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("staff_users.username"), index=True)
    expires_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime]
