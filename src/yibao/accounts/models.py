"""The ledger's tables (ARCHITECTURE.md convention 5): balanced double-entry journal entries; a correction is a
new entry, never an update or a delete. Family mutual-aid accounts (POLICY.md §11) add their accounts here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

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
