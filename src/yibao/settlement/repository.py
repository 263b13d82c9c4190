"""The settlement's hot aggregate: visits and their fee lines, settlements, accumulators. The only code that reads
and writes these tables on the settlement path: SQLAlchemy Core statements over the mapped tables, compiled once
per dialect (`yibao.statements`); reads return frozen records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import bindparam

from yibao.kit.money import ZERO
from yibao.policy.chain import Accumulators
from yibao.settlement.models import (
    Accumulator,
    FeeDetail,
    FeeLineRecord,
    FeeStatus,
    Settlement,
    SettlementKind,
    SettlementRecord,
    SettlementStatus,
    Visit,
    VisitRecord,
    VisitStatus,
)
from yibao.statements import Db, Insert, Read, Update, fixed

ACCUMULATOR_FIELDS: tuple[str, ...] = Accumulators._fields


class FeeSerial(NamedTuple):
    """A line the visit has had (deleted ones too): its serial, item and status."""

    feedetl_sn: str
    med_list_codg: str
    status: str


class UnsettledLine(NamedTuple):
    """What the chain needs of a line not yet in a settlement."""

    feedetl_sn: str
    init_feedetl_sn: str | None
    det_item_fee_sumamt: Decimal
    overlmt_amt: Decimal
    item_class: str
    selfpay_prop: Decimal


_VISIT_KEY = Visit.mdtrt_id == bindparam("mdtrt_id")
_VISITS = Insert(Visit)
_VISIT = Read(VisitRecord, Visit, _VISIT_KEY)
_VISIT_LOCKED = Read(VisitRecord, Visit, _VISIT_KEY, lock=True)  # PostgreSQL: FOR UPDATE
_SET_VISIT_STATUS = Update(Visit, ("status",), ("psn_no", "mdtrt_id"))
_SET_DISCHARGE = Update(Visit, ("status", "endtime", "dscg_way"), ("psn_no", "mdtrt_id"))
_SET_VISIT_INFO = Update(Visit, ("med_type", "dise_codg", "dise_name"), ("psn_no", "mdtrt_id"))
_SET_VISIT_CERTIFICATE = Update(Visit, ("mdtrt_cert_type", "mdtrt_cert_no"), ("psn_no", "mdtrt_id"))

_OF_VISIT = (FeeDetail.psn_no == bindparam("psn_no"), FeeDetail.mdtrt_id == bindparam("mdtrt_id"))
_FEE_LINES = Insert(FeeDetail)
_SERIALS = Read(FeeSerial, FeeDetail, *_OF_VISIT)
_ACTIVE_LINES = Read(FeeLineRecord, FeeDetail, *_OF_VISIT, FeeDetail.status == fixed(FeeStatus.ACTIVE),
                     order_by=(FeeDetail.created_at, FeeDetail.feedetl_sn))
_UNSETTLED = Read(UnsettledLine, FeeDetail, *_OF_VISIT, FeeDetail.status == fixed(FeeStatus.ACTIVE),
                  FeeDetail.setl_id.is_(None), order_by=(FeeDetail.created_at, FeeDetail.feedetl_sn))
_ASSIGN_LINES = Update(FeeDetail, ("setl_id",), ("psn_no", "mdtrt_id"), FeeDetail.status == fixed(FeeStatus.ACTIVE),
                       FeeDetail.setl_id.is_(None))
_RELEASE_LINES = Update(FeeDetail, ("setl_id",), ("setl_id",))
_SET_LINE_STATUS = Update(FeeDetail, ("status",), ("psn_no", "mdtrt_id", "feedetl_sn"))

_SETTLEMENTS = Insert(Settlement)
_SETTLEMENT = Read(SettlementRecord, Settlement, Settlement.setl_id == bindparam("setl_id"))
_SET_SETTLEMENT_STATUS = Update(Settlement, ("status",), ("psn_no", "setl_id"))
_SETTLEMENTS_OF = Read(SettlementRecord, Settlement, Settlement.psn_no == bindparam("psn_no"),
                       order_by=(Settlement.setl_time.desc(),))
_STANDING_OF_VISIT = Read(SettlementRecord, Settlement, Settlement.mdtrt_id == bindparam("mdtrt_id"),
                          Settlement.kind == fixed(SettlementKind.SETTLE),
                          Settlement.status == fixed(SettlementStatus.VALID))

_ACCUMULATOR_KEY = (Accumulator.psn_no == bindparam("psn_no"), Accumulator.year == bindparam("year"))
_ACCUMULATOR = Read(Accumulators, Accumulator, *_ACCUMULATOR_KEY)
_ACCUMULATOR_LOCKED = Read(Accumulators, Accumulator, *_ACCUMULATOR_KEY, lock=True)
_NEW_ACCUMULATOR = Insert(Accumulator, on_conflict_do_nothing=True)
_SET_ACCUMULATOR = Update(Accumulator, ACCUMULATOR_FIELDS, ("psn_no", "year"))

VISIT_COLUMNS = _VISITS.names
SETTLEMENT_COLUMNS = _SETTLEMENTS.names


# --- visits


def add_visit(db: Db, visit: VisitRecord) -> None:
    _VISITS.row(db, visit)


def visit(db: Db, mdtrt_id: str, *, lock: bool = False) -> VisitRecord | None:
    """The visit; `lock`: held until commit (PostgreSQL FOR UPDATE; SQLite's writer lock)."""
    return (_VISIT_LOCKED if lock else _VISIT).first(db, mdtrt_id=mdtrt_id)


def set_visit_status(db: Db, visit: VisitRecord, status: VisitStatus) -> None:
    _SET_VISIT_STATUS.run(db, key_psn_no=visit.psn_no, key_mdtrt_id=visit.mdtrt_id, status=status.value)


def set_discharge(db: Db, visit: VisitRecord, endtime: dt.datetime | None, dscg_way: str | None) -> VisitRecord:
    """The stay discharged at `endtime` (None: in hospital again)."""
    status = (VisitStatus.DISCHARGED if endtime else VisitStatus.OPEN).value
    _SET_DISCHARGE.run(db, key_psn_no=visit.psn_no, key_mdtrt_id=visit.mdtrt_id, status=status, endtime=endtime,
                       dscg_way=dscg_way)
    return visit._replace(status=status, endtime=endtime, dscg_way=dscg_way)


def set_visit_info(db: Db, visit: VisitRecord, *, med_type: str, dise_codg: str | None,
                   dise_name: str | None) -> VisitRecord:
    _SET_VISIT_INFO.run(db, key_psn_no=visit.psn_no, key_mdtrt_id=visit.mdtrt_id, med_type=med_type,
                        dise_codg=dise_codg, dise_name=dise_name)
    return visit._replace(med_type=med_type, dise_codg=dise_codg, dise_name=dise_name)


def set_visit_certificate(db: Db, visit: VisitRecord, cert_type: str, cert_no: str | None) -> VisitRecord:
    _SET_VISIT_CERTIFICATE.run(db, key_psn_no=visit.psn_no, key_mdtrt_id=visit.mdtrt_id, mdtrt_cert_type=cert_type,
                               mdtrt_cert_no=cert_no)
    return visit._replace(mdtrt_cert_type=cert_type, mdtrt_cert_no=cert_no)


# --- fee lines


def add_fee_lines(db: Db, rows: Sequence[FeeLineRecord]) -> None:
    _FEE_LINES.rows(db, rows)


def fee_serials(db: Db, visit: VisitRecord) -> list[FeeSerial]:
    """Every line the visit ever had (serial, code, status), deleted ones too."""
    return _SERIALS.all(db, psn_no=visit.psn_no, mdtrt_id=visit.mdtrt_id)


def active_lines(db: Db, visit: VisitRecord) -> list[FeeLineRecord]:
    """The visit's active lines (settled or not), in the order they were entered."""
    return _ACTIVE_LINES.all(db, psn_no=visit.psn_no, mdtrt_id=visit.mdtrt_id)


def unsettled_lines(db: Db, visit: VisitRecord) -> list[UnsettledLine]:
    """The visit's active lines not yet in a settlement, in the order they were entered."""
    return _UNSETTLED.all(db, psn_no=visit.psn_no, mdtrt_id=visit.mdtrt_id)


def set_line_status(db: Db, visit: VisitRecord, feedetl_sns: Sequence[str], status: FeeStatus) -> None:
    _SET_LINE_STATUS.run_many(db, [{"key_psn_no": visit.psn_no, "key_mdtrt_id": visit.mdtrt_id,
                                    "key_feedetl_sn": sn, "status": status.value} for sn in feedetl_sns])


def assign_lines(db: Db, visit: VisitRecord, setl_id: str) -> None:
    """The visit's active, unsettled fee lines now belong to settlement `setl_id`."""
    _ASSIGN_LINES.run(db, key_psn_no=visit.psn_no, key_mdtrt_id=visit.mdtrt_id, setl_id=setl_id)


def release_lines(db: Db, setl_id: str) -> None:
    _RELEASE_LINES.run(db, key_setl_id=setl_id, setl_id=None)


# --- settlements


def new_settlement(**values: Any) -> SettlementRecord:
    return SettlementRecord(**values)


def add_settlement(db: Db, row: SettlementRecord) -> None:
    """Insert; a second cancellation of one settlement fails on its unique index (IntegrityError)."""
    _SETTLEMENTS.row(db, row)


def settlement(db: Db, setl_id: str) -> SettlementRecord | None:
    return _SETTLEMENT.first(db, setl_id=setl_id)


def settlements_of(db: Db, psn_no: str) -> list[SettlementRecord]:
    """The person's settlements, cancellations and manual reimbursements, newest first."""
    return _SETTLEMENTS_OF.all(db, psn_no=psn_no)


def standing_settlement(db: Db, mdtrt_id: str) -> SettlementRecord | None:
    """The visit's settlement that stands (not cancelled), if it is settled."""
    return _STANDING_OF_VISIT.first(db, mdtrt_id=mdtrt_id)


def set_settlement_status(db: Db, row: SettlementRecord, status: SettlementStatus) -> None:
    _SET_SETTLEMENT_STATUS.run(db, key_psn_no=row.psn_no, key_setl_id=row.setl_id, status=status.value)


# --- accumulators


def lock_accumulators(db: Db, psn_no: str, year: int) -> Accumulators:
    """The person's accumulators for the year, locked until commit (PostgreSQL FOR UPDATE; SQLite holds the
    database write lock from BEGIN IMMEDIATE), the row created if missing, safely under concurrency."""
    row = _ACCUMULATOR_LOCKED.first(db, psn_no=psn_no, year=year)
    if row is None:
        _NEW_ACCUMULATOR.row(db, {"psn_no": psn_no, "year": year, **dict.fromkeys(ACCUMULATOR_FIELDS, ZERO)})
        row = _ACCUMULATOR_LOCKED.first(db, psn_no=psn_no, year=year)
    assert row is not None
    return row


def read_accumulators(db: Db, psn_no: str, year: int) -> Accumulators:
    return _ACCUMULATOR.first(db, psn_no=psn_no, year=year) or Accumulators()


def write_accumulators(db: Db, psn_no: str, year: int, values: Accumulators) -> None:
    """The (locked) accumulators take new values."""
    _SET_ACCUMULATOR.run(db, key_psn_no=psn_no, key_year=year,
                         **{name: getattr(values, name) for name in ACCUMULATOR_FIELDS})
