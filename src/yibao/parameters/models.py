"""A proposed, approved or rejected amendment of one parameter of an edition (policy/amendments.py)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from yibao.db import Base
from yibao.kit.ids import new_id


class AmendmentStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


AMENDMENT_STATUS_LABELS = {AmendmentStatus.PROPOSED: "待批准", AmendmentStatus.APPROVED: "已生效",
                           AmendmentStatus.REJECTED: "已驳回"}


class PolicyAmendment(Base):
    __tablename__ = "policy_amendments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    edition: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(200))
    value: Mapped[str | None] = mapped_column(String(100))  # as entered; None: "not set"
    source: Mapped[str] = mapped_column(String(300))  # the document and clause, or "ASSUMPTION: …"
    effective_from: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(10), index=True)  # AmendmentStatus
    proposed_by: Mapped[str] = mapped_column(String(60))
    proposed_at: Mapped[dt.datetime]
    decided_by: Mapped[str | None] = mapped_column(String(60))
    decided_at: Mapped[dt.datetime | None]
    decision_note: Mapped[str | None] = mapped_column(String(200))


class PolicyAmendmentRecord(NamedTuple):
    """An amendment as the editions in force read it.

    Fields: the columns of `policy_amendments`."""
    id: str
    edition: str
    path: str
    value: str | None
    source: str
    effective_from: dt.date
    status: str
    proposed_by: str
    proposed_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str | None
