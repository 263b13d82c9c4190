"""The ledger (ARCHITECTURE.md convention 5): every fund movement is one balanced journal entry of postings
(debit positive, credit negative); a correction is a reversing entry, never an update or a delete. Balances are
derived from the postings.

Accounts are named `kind:key`: `fund:390100` (the funds of the glossary), `institution:<fixmedins_code>` (what
the fund owes a hospital or pharmacy), `person:<psn_no>` (what a person paid or is paid).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from yibao.accounts.models import JournalEntry, JournalEntryRecord, Posting
from yibao.errors import Named, NotFound
from yibao.kit.clock import now
from yibao.kit.ids import new_id
from yibao.kit.money import ZERO
from yibao.statements import Db, Insert, Read


class EntryOf(NamedTuple):
    id: str
    psn_no: str | None


class PostingLine(NamedTuple):
    account: str
    amount: Decimal


_JOURNAL_ENTRIES = Insert(JournalEntry)
_POSTINGS = Insert(Posting)
_ENTRY_OF_SETTLEMENT = Read(EntryOf, JournalEntry, JournalEntry.setl_id == bindparam("setl_id"),
                            JournalEntry.reverses_id.is_(None))
_POSTINGS_OF_ENTRY = Read(PostingLine, Posting, Posting.entry_id == bindparam("entry_id"), order_by=(Posting.line,))


class NoJournalEntry(Named, NotFound):
    code = "no_journal_entry"
    default_field = "setl_id"
    template = "结算 {setl_id} 没有记账凭证"


def person_account(psn_no: str) -> str:
    return f"person:{psn_no}"


def institution_account(fixmedins_code: str) -> str:
    return f"institution:{fixmedins_code}"


def post_journal(
    session: Db,
    *,
    psn_no: str | None,
    setl_id: str | None,
    memo: str,
    postings: Sequence[tuple[str, Decimal]],
    reverses: str | None = None,
) -> JournalEntryRecord:
    """One balanced entry; an unbalanced one is a bug and refused outright."""
    lines = [(account, amount) for account, amount in postings if amount != 0]
    if sum((amount for _, amount in lines), ZERO) != 0:
        raise AssertionError(f"unbalanced journal entry: {lines}")
    entry = JournalEntryRecord(id=new_id(), psn_no=psn_no, setl_id=setl_id, memo=memo[:200], reverses_id=reverses,
                               created_at=now())
    _JOURNAL_ENTRIES.row(session, entry)
    _POSTINGS.rows(session, [{"entry_id": entry.id, "line": number, "account": account, "amount": amount}
                             for number, (account, amount) in enumerate(lines, start=1)])
    return entry


def reverse_entry_of(session: Db, setl_id: str, *, by_setl_id: str, memo: str) -> JournalEntryRecord:
    """The reversing entry of the (unreversed) entry that posted settlement `setl_id`."""
    entry = _ENTRY_OF_SETTLEMENT.first(session, setl_id=setl_id)
    if entry is None:
        raise NoJournalEntry(setl_id=setl_id)
    postings = _POSTINGS_OF_ENTRY.all(session, entry_id=entry.id)
    return post_journal(
        session,
        psn_no=entry.psn_no,
        setl_id=by_setl_id,
        memo=memo,
        postings=[(p.account, -p.amount) for p in postings],
        reverses=entry.id,
    )


def ledger_balances(session: Session) -> dict[str, Decimal]:
    """Balance of every account, derived from the postings."""
    return {
        account: Decimal(total)
        for account, total in session.execute(
            select(Posting.account, func.sum(Posting.amount)).group_by(Posting.account)
        )
    }


def unbalanced_entries(session: Session) -> list[str]:
    """Entries whose postings do not add up to zero (there must be none)."""
    return list(
        session.scalars(
            select(Posting.entry_id)
            .group_by(Posting.entry_id)
            .having(func.abs(func.sum(Posting.amount)) > Decimal("0.001"))
        )
    )

