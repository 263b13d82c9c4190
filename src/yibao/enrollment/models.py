"""Enrollment tables: one live enrollment per person and year (a partial unique index enforces it)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from yibao.access.trail import trailed
from yibao.db import Base, Sealed
from yibao.kit.ids import new_id


@trailed("参保登记")
class Enrollment(Base):
    __tablename__ = "enrollments"

    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    year: Mapped[int]
    edition: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(20))
    student: Mapped[bool]
    channel: Mapped[str] = mapped_column(String(20))
    proxy_name: Mapped[str | None] = mapped_column(String(50))
    proxy_certno: Mapped[str | None] = mapped_column(Sealed("proxy_certno", 18))
    registration_date: Mapped[dt.date]
    timing: Mapped[str] = mapped_column(String(10))  # timely / late
    late_exception: Mapped[str | None] = mapped_column(String(30))
    event_date: Mapped[dt.date | None]
    benefit_start: Mapped[dt.date]
    benefit_end: Mapped[dt.date]
    benefit_basis: Mapped[str] = mapped_column(String(200))
    full_subsidy_class: Mapped[str | None] = mapped_column(String(30))
    personal_amount: Mapped[Decimal]
    government_amount: Mapped[Decimal]
    status: Mapped[str] = mapped_column(String(20))  # pending_payment / active / cancelled
    school_name: Mapped[str | None] = mapped_column(String(100))
    school_class: Mapped[str | None] = mapped_column(String(50))
    batch_id: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[dt.datetime]
    cancelled_at: Mapped[dt.datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index(
            "uq_enrollments_live_psn_year",
            "psn_no",
            "year",
            unique=True,
            sqlite_where=text("status != 'cancelled'"),
            postgresql_where=text("status != 'cancelled'"),
        ),
        Index("ix_enrollments_year_status", "year", "status"),
    )


class EnrollmentRecord(NamedTuple):
    """An enrollment as the hot path reads it.

    Fields: the columns of `enrollments`."""
    psn_no: str
    id: str
    year: int
    edition: str
    category: str
    student: bool
    channel: str
    proxy_name: str | None
    proxy_certno: str | None
    registration_date: dt.date
    timing: str
    late_exception: str | None
    event_date: dt.date | None
    benefit_start: dt.date
    benefit_end: dt.date
    benefit_basis: str
    full_subsidy_class: str | None
    personal_amount: Decimal
    government_amount: Decimal
    status: str
    school_name: str | None
    school_class: str | None
    batch_id: str | None
    created_by: str
    created_at: dt.datetime
    cancelled_at: dt.datetime | None
    cancel_reason: str | None


class InsuranceCertificate(Base):
    """A 参保证明 as issued (enrollment/certificate.py): kept so that the paper can be verified by its serial and
    code; `content` is what was certified (JSON, the ID number masked), `digest` its SM3."""

    __tablename__ = "insurance_certificates"

    serial: Mapped[str] = mapped_column(String(20), primary_key=True)
    code: Mapped[str] = mapped_column(String(8))
    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), index=True)
    content: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime]
    issued_by: Mapped[str] = mapped_column(String(50))
    door: Mapped[str] = mapped_column(String(10))  # console / resident
