"""The ledger's tables (ARCHITECTURE.md convention 5): balanced double-entry journal entries; a correction is a
new entry, never an update or a delete. The family mutual-aid network (POLICY.md §11): networks, their members,
the family's accounts (whose balances are the ledger's) and the employee-insurance system's daily files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from yibao.access.trail import trailed
from yibao.db import Base


class JournalEntry(Base):
    """A balanced double-entry journal entry for one fund movement (ARCHITECTURE.md convention 5)."""

    __tablename__ = "journal_entries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    psn_no: Mapped[str | None] = mapped_column(String(20), index=True)
    setl_id: Mapped[str | None] = mapped_column(String(30), index=True)
    memo: Mapped[str] = mapped_column(String(200))
    reverses_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_at: Mapped[dt.datetime]


class Posting(Base):
    __tablename__ = "postings"

    entry_id: Mapped[str] = mapped_column(ForeignKey("journal_entries.id"), primary_key=True)
    line: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(40), index=True)
    amount: Mapped[Decimal]  # debit positive, credit negative; an entry's postings sum to zero


class JournalEntryRecord(NamedTuple):
    """A journal entry as written.

    Fields: the columns of `journal_entries`."""
    id: str
    psn_no: str | None
    setl_id: str | None
    memo: str
    reverses_id: str | None
    created_at: dt.datetime


# ---------------------------------------------------------------------------------------------------
# The family mutual-aid network (家庭共济网, POLICY.md §11)


class FamilyNetwork(Base):
    """A network an employee-insured initiator (发起人) builds with parents, spouse and children."""

    __tablename__ = "family_networks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    initiator_psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), index=True)
    status: Mapped[str] = mapped_column(String(12))  # active / dissolved
    channel: Mapped[str] = mapped_column(String(12))  # app / window / kiosk (S18: 宁波医保通、窗口、自助机)
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[dt.datetime]
    dissolved_at: Mapped[dt.datetime | None]
    dissolved_by: Mapped[str | None] = mapped_column(String(50))


@trailed("家庭共济成员")
class FamilyMember(Base):
    """A person's membership of a network; a person is in at most one network (the partial unique index).
    A member who leaves keeps the row, with `left_at`."""

    __tablename__ = "family_members"

    network_id: Mapped[str] = mapped_column(ForeignKey("family_networks.id"), primary_key=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), primary_key=True)
    relationship: Mapped[str] = mapped_column(String(10))  # self / parent / spouse / child (of the initiator)
    proof: Mapped[str | None] = mapped_column(String(60))  # the household record or document shown
    position: Mapped[int]  # in the order of use; the initiator is 1
    shown: Mapped[bool]  # agrees that the other members see the balance of their account
    joined_at: Mapped[dt.datetime]
    left_at: Mapped[dt.datetime | None]
    left_reason: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index("uq_family_members_live_psn", "psn_no", unique=True, sqlite_where=text("left_at IS NULL"),
              postgresql_where=text("left_at IS NULL")),
    )


class FamilyAccount(Base):
    """A family account of a person: `historical:<psn_no>` (历年个账, kept from the employee-insurance system's
    files) or `mutual:<psn_no>` (共济健康账户, opened in a network). Its balance is the ledger's (the postings to
    `account`); the row is what a payment locks."""

    __tablename__ = "family_accounts"

    account: Mapped[str] = mapped_column(String(40), primary_key=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # historical / mutual
    network_id: Mapped[str | None] = mapped_column(String(32))
    opened_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]


class HistoricalFile(Base):
    """A daily balance and movement file of the employee-insurance system, imported once (by its file id)."""

    __tablename__ = "historical_files"

    file_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    day: Mapped[dt.date] = mapped_column(unique=True)
    lines: Mapped[int]
    movement: Mapped[Decimal]  # the file's movements added up
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[dt.datetime]


class HistoricalMovement(Base):
    """One line of a daily file as posted: the employee system's own movement of a person's historical account
    and the balance it reported."""

    __tablename__ = "historical_movements"

    file_id: Mapped[str] = mapped_column(ForeignKey("historical_files.file_id"), primary_key=True)
    psn_no: Mapped[str] = mapped_column(String(20), primary_key=True)
    line: Mapped[int]
    movement: Mapped[Decimal]
    balance: Mapped[Decimal]
    entry_id: Mapped[str | None] = mapped_column(String(32), index=True)


class FamilyMemberRecord(NamedTuple):
    """Fields: the columns of `family_members`."""
    network_id: str
    psn_no: str
    relationship: str
    proof: str | None
    position: int
    shown: bool
    joined_at: dt.datetime
    left_at: dt.datetime | None
    left_reason: str | None


class FamilyAccountRecord(NamedTuple):
    """Fields: the columns of `family_accounts`."""
    account: str
    psn_no: str
    kind: str
    network_id: str | None
    opened_at: dt.datetime
    closed_at: dt.datetime | None
