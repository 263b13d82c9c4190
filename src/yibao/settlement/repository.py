"""The settlement's hot aggregate (visits and their fee lines, settlements, accumulators): the only code that
writes these tables on the settlement path. Statements are prepared once per dialect and run on the session's
own transaction (`yibao.rawsql`); reads return read-only records with the ORM attribute names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from yibao import rawsql
from yibao.kit.money import ZERO
from yibao.policy.chain import Accumulators
from yibao.settlement.models import Accumulator, FeeDetail, Settlement, Visit, VisitStatus

ACCUMULATOR_FIELDS = ("outpatient", "inpatient", "special_disease", "serious_illness_burden", "assistance_selfpay")

_VISITS = rawsql.Insert(Visit)
_VISIT = rawsql.select(Visit, where="mdtrt_id = ?")
_VISIT_LOCKED = rawsql.select(Visit, where="mdtrt_id = ?", lock=True)  # PostgreSQL: FOR UPDATE
_SET_VISIT_STATUS = rawsql.Statement("UPDATE visits SET status = ? WHERE mdtrt_id = ?")
_FEE_DETAILS = rawsql.Insert(FeeDetail)
_LINES_OF_VISIT = rawsql.select(FeeDetail, "feedetl_sn med_list_codg status", "psn_no = ? AND mdtrt_id = ?")
_UNSETTLED_LINES = rawsql.select(
    FeeDetail, "feedetl_sn init_feedetl_sn det_item_fee_sumamt overlmt_amt item_class selfpay_prop",
    "psn_no = ? AND mdtrt_id = ? AND status = 'active' AND setl_id IS NULL", order="created_at, feedetl_sn")
_ASSIGN_LINES = rawsql.Statement("UPDATE fee_details SET setl_id = ? WHERE psn_no = ? AND mdtrt_id = ? "
                                 "AND status = 'active' AND setl_id IS NULL")
_RELEASE_LINES = rawsql.Statement("UPDATE fee_details SET setl_id = NULL WHERE setl_id = ?")
_SETTLEMENTS = rawsql.Insert(Settlement)
_ACCUMULATOR = rawsql.select(Accumulator, " ".join(ACCUMULATOR_FIELDS), "psn_no = ? AND year = ?")
_ACCUMULATOR_LOCKED = rawsql.select(Accumulator, " ".join(ACCUMULATOR_FIELDS), "psn_no = ? AND year = ?", lock=True)
_NEW_ACCUMULATOR = rawsql.Insert(Accumulator, on_conflict_do_nothing=True)
_SET_ACCUMULATOR = rawsql.Statement(
    f"UPDATE accumulators SET {', '.join(f'{name} = ?' for name in ACCUMULATOR_FIELDS)} WHERE psn_no = ? AND year = ?")

VISIT_COLUMNS = _VISITS.names
SETTLEMENT_COLUMNS = _SETTLEMENTS.names


# --- visits


def new_visit(**values: Any) -> Visit:
    """A visit record (every column named)."""
    visit: Visit = _VISITS.make(**values)
    return visit


def add_visit(session: Session, visit: Visit) -> None:
    _VISITS.row(session, visit)


def visit(session: Session, mdtrt_id: str, *, lock: bool = False) -> Visit | None:
    """The visit as a read-only record; `lock`: held until commit (PostgreSQL FOR UPDATE; SQLite's writer lock)."""
    found: Visit | None = (_VISIT_LOCKED if lock else _VISIT).first(session, mdtrt_id)
    return found


def set_visit_status(session: Session, visit: Visit, status: VisitStatus) -> None:
    _SET_VISIT_STATUS.run(session, status.value, visit.mdtrt_id)
    rawsql.forget(session, Visit, visit.psn_no, visit.mdtrt_id)


# --- fee lines


def new_fee_line(**values: Any) -> FeeDetail:
    row: FeeDetail = _FEE_DETAILS.make(**values)
    return row


def add_fee_lines(session: Session, rows: Sequence[FeeDetail]) -> None:
    _FEE_DETAILS.rows(session, rows)


def fee_serials(session: Session, visit: Visit) -> list[Any]:
    """Every line the visit ever had (serial, code, status), deleted ones too."""
    return _LINES_OF_VISIT.all(session, visit.psn_no, visit.mdtrt_id)


def unsettled_lines(session: Session, visit: Visit) -> list[Any]:
    """The visit's active lines not yet in a settlement, in the order they were entered."""
    return _UNSETTLED_LINES.all(session, visit.psn_no, visit.mdtrt_id)


def assign_lines(session: Session, visit: Visit, setl_id: str) -> None:
    """The visit's active, unsettled fee lines now belong to settlement `setl_id`."""
    _ASSIGN_LINES.run(session, setl_id, visit.psn_no, visit.mdtrt_id)


def release_lines(session: Session, setl_id: str) -> None:
    _RELEASE_LINES.run(session, setl_id)


# --- settlements


def new_settlement(**values: Any) -> Settlement:
    row: Settlement = _SETTLEMENTS.make(**values)
    return row


def add_settlement(session: Session, row: Settlement) -> None:
    """Insert; a second cancellation of one settlement fails on its unique index (IntegrityError)."""
    _SETTLEMENTS.row(session, row)


# --- accumulators


def lock_accumulators(session: Session, psn_no: str, year: int) -> Accumulators:
    """The person's accumulators for the year, locked until commit (PostgreSQL FOR UPDATE; SQLite holds the
    database write lock from BEGIN IMMEDIATE), the row created if missing, safely under concurrency."""
    row = _ACCUMULATOR_LOCKED.first(session, psn_no, year)
    if row is None:
        _NEW_ACCUMULATOR.row(session, (psn_no, year, *(ZERO for _ in ACCUMULATOR_FIELDS)))
        row = _ACCUMULATOR_LOCKED.first(session, psn_no, year)
    assert row is not None
    return Accumulators(*row)


def read_accumulators(session: Session, psn_no: str, year: int) -> Accumulators:
    row = _ACCUMULATOR.first(session, psn_no, year)
    return Accumulators() if row is None else Accumulators(*row)


def write_accumulators(session: Session, psn_no: str, year: int, values: Accumulators) -> None:
    """The (locked) accumulators take new values."""
    rawsql.forget(session, Accumulator, psn_no, year)
    _SET_ACCUMULATOR.run(session, *(getattr(values, name) for name in ACCUMULATOR_FIELDS), psn_no, year)
