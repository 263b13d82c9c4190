"""Fee lines (费用明细, 2204/2301 upload, 2205/2302 delete): each line checked and split by the catalogue on its
date (甲/乙/丙, 先行自付, 超限价, POLICY.md §7a step 1); returns (退费) netted against their original line; a line
of an item the institution has matched (目录对照, institutions/matching.py) must carry the matched code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from yibao.institutions.errors import DoctorOutOfPoints
from yibao.institutions.matching import check_matched_codes
from yibao.institutions.service import catalogue_lookup, docked_points
from yibao.kit.clock import now
from yibao.kit.money import ZERO, round_money
from yibao.policy.chain import FeeLine, ItemClass, split_line
from yibao.policy.editions import Editions
from yibao.settlement import repository
from yibao.settlement.errors import (
    BadFeeQuantity,
    BadReturnLine,
    DuplicateFeeSerial,
    FeeAmountMismatch,
    FeeLinesNotFound,
    FeeOutsideVisit,
    NoFeeLines,
    NothingToSettle,
    NotInCatalogue,
)
from yibao.settlement.models import FeeLineRecord, FeeStatus, VisitRecord
from yibao.settlement.repository import FeeSerial
from yibao.settlement.visits import check_not_settled, check_unsettled, during_visit
from yibao.statements import Db


@dataclass(frozen=True, slots=True)
class FeeIn:
    feedetl_sn: str
    fee_ocur_time: dt.datetime
    med_list_codg: str
    cnt: Decimal
    pric: Decimal
    det_item_fee_sumamt: Decimal
    chrg_bchno: str | None = None
    rxno: str | None = None
    medins_list_codg: str | None = None
    bilg_dr_codg: str | None = None
    bilg_dr_name: str | None = None
    init_feedetl_sn: str | None = None


def upload_fees(
    session: Db, editions: Editions, visit: VisitRecord, fees: Sequence[FeeIn], *, msgid: str | None
) -> list[FeeLineRecord]:
    """Store fee lines and split each by the catalogue on its date (甲/乙/丙, 先行自付, 超限价)."""
    check_unsettled(visit, "，不能再上传费用")
    if not fees:
        raise NoFeeLines()
    lines: dict[str, FeeSerial | FeeLineRecord] = {line.feedetl_sn: line
                                                   for line in repository.fee_serials(session, visit)}
    check_matched_codes(session, visit.fixmedins_code,
                        [(fee.feedetl_sn, fee.medins_list_codg, fee.med_list_codg) for fee in fees])
    catalogues: dict[dt.date, dict[str, Any]] = {}
    for day in {fee.fee_ocur_time.date() for fee in fees}:
        catalogues[day] = catalogue_lookup(session, sorted({f.med_list_codg for f in fees}), day)
    rows = []
    for fee in fees:
        day = fee.fee_ocur_time.date()
        default = editions.on(day).first_selfpay_default.value
        row = _fee_row(visit, fee, lines, catalogues[day], default, msgid)
        lines[row.feedetl_sn] = row
        rows.append(row)
    check_prescribers(session, rows)
    repository.add_fee_lines(session, rows)
    return rows


def check_prescribers(session: Db, rows: Sequence[FeeLineRecord]) -> None:
    """A line the funds would pay (甲/乙) billed by a doctor whose points audit has docked to 0 this year is refused
    (POLICY.md §12 ASSUMPTION: at 0 points no item paid by the funds until the next year)."""
    covered = [row for row in rows if row.bilg_dr_codg and row.item_class != ItemClass.C.value
               and row.det_item_fee_sumamt > 0]
    for year in {row.fee_ocur_time.year for row in covered}:
        left = docked_points(session, [row.bilg_dr_codg or "" for row in covered], year)
        for row in covered:
            if row.fee_ocur_time.year == year and left.get(row.bilg_dr_codg or "", 1) <= 0:
                raise DoctorOutOfPoints(dr_code=row.bilg_dr_codg, year=year, feedetl_sn=row.feedetl_sn)


def check_fee(visit: VisitRecord, fee: FeeIn, lines: Mapping[str, FeeSerial | FeeLineRecord],
              catalogue: dict[str, Any]) -> None:
    """A line's own facts: a new serial, a catalogue code, a return against a live line of the same item,
    count × price = amount, and a time within the visit."""
    sn = fee.feedetl_sn
    if sn in lines:
        raise DuplicateFeeSerial(feedetl_sn=sn)
    if fee.med_list_codg not in catalogue:
        raise NotInCatalogue(feedetl_sn=sn, code=fee.med_list_codg)
    if fee.init_feedetl_sn is not None:
        original = lines.get(fee.init_feedetl_sn)
        if original is None or original.status != FeeStatus.ACTIVE or original.med_list_codg != fee.med_list_codg:
            raise BadReturnLine(feedetl_sn=sn, original=fee.init_feedetl_sn)
        if fee.cnt >= 0:
            raise BadFeeQuantity(feedetl_sn=sn, reason="退费明细的数量须为负数")
    elif fee.cnt <= 0:
        raise BadFeeQuantity(feedetl_sn=sn, reason="数量须大于 0（退费须填写 init_feedetl_sn）")
    if fee.pric < 0:
        raise BadFeeQuantity(feedetl_sn=sn, reason="单价不能为负数", field="pric")
    if round_money(fee.cnt * fee.pric) != fee.det_item_fee_sumamt:
        raise FeeAmountMismatch(feedetl_sn=sn, amount=fee.det_item_fee_sumamt, expected=round_money(fee.cnt * fee.pric))
    if not during_visit(visit, fee.fee_ocur_time.date()):
        raise FeeOutsideVisit(feedetl_sn=sn)


def _fee_row(
    visit: VisitRecord,
    fee: FeeIn,
    lines: Mapping[str, FeeSerial | FeeLineRecord],
    catalogue: dict[str, Any],
    default_prop: Decimal,
    msgid: str | None,
) -> FeeLineRecord:
    check_fee(visit, fee, lines, catalogue)
    item, prop = catalogue[fee.med_list_codg]
    ceiling = item.price_ceiling
    over = round_money((fee.pric - ceiling) * abs(fee.cnt)) if ceiling is not None and fee.pric > ceiling else ZERO
    amount = fee.det_item_fee_sumamt
    sign = -1 if amount < 0 else 1  # a return (退费) splits like its line, with the sign turned
    split = split_line(FeeLine(abs(amount), ItemClass(item.item_class), prop, over), default_prop)
    return FeeLineRecord(
        psn_no=visit.psn_no,
        mdtrt_id=visit.mdtrt_id,
        feedetl_sn=fee.feedetl_sn,
        chrg_bchno=fee.chrg_bchno,
        rxno=fee.rxno,
        fee_ocur_time=fee.fee_ocur_time,
        med_list_codg=fee.med_list_codg,
        medins_list_codg=fee.medins_list_codg,
        item_name=item.name,
        item_class=item.item_class,
        cnt=fee.cnt,
        pric=fee.pric,
        det_item_fee_sumamt=amount,
        pric_uplmt_amt=ceiling,
        selfpay_prop=split.selfpay_prop,
        fulamt_ownpay_amt=sign * split.fulamt_ownpay_amt,
        overlmt_amt=sign * split.overlmt_selfpay,
        preselfpay_amt=sign * split.preselfpay_amt,
        inscp_scp_amt=sign * split.inscp_scp_amt,
        bilg_dr_codg=fee.bilg_dr_codg,
        bilg_dr_name=fee.bilg_dr_name,
        init_feedetl_sn=fee.init_feedetl_sn,
        status=FeeStatus.ACTIVE.value,
        setl_id=None,
        msgid=msgid,
        created_at=now(),
    )


def fee_lines_of(session: Db, visit: VisitRecord) -> list[FeeLineRecord]:
    """The visit's active fee lines, in the order they were entered."""
    return repository.active_lines(session, visit)


def fee_serials_used(session: Db, visit: VisitRecord) -> int:
    """How many fee lines the visit has ever had (deleted ones keep their serial numbers)."""
    return len(repository.fee_serials(session, visit))


def lines_of_batch(session: Db, visit: VisitRecord, chrg_bchno: str) -> list[str]:
    """The serials of the visit's active lines in one charge batch (收费批次, 2205)."""
    return [line.feedetl_sn for line in repository.active_lines(session, visit) if line.chrg_bchno == chrg_bchno]


def batches_of(session: Db, visit: VisitRecord) -> set[str | None]:
    """The charge batches (chrg_bchno) of the visit's active lines."""
    return {line.chrg_bchno for line in repository.active_lines(session, visit)}


def delete_fees(session: Db, visit: VisitRecord, feedetl_sns: Sequence[str] | None) -> list[str]:
    """Delete unsettled fee lines (2205/2302): the given ones, or all when none is given."""
    check_not_settled(visit, "删除费用")
    active = {row.feedetl_sn for row in repository.active_lines(session, visit)}
    wanted = set(feedetl_sns) if feedetl_sns else active
    unknown = wanted - active
    if unknown:
        raise FeeLinesNotFound(serials="、".join(sorted(unknown)))
    repository.set_line_status(session, visit, sorted(wanted), FeeStatus.DELETED)
    return sorted(wanted)


def restore_fee_lines(session: Db, visit: VisitRecord, feedetl_sns: Sequence[str], status: FeeStatus) -> None:
    """Reversal (2601) of an upload (the lines deleted) or a deletion (the lines active again)."""
    check_not_settled(visit, "冲正费用交易")
    repository.set_line_status(session, visit, feedetl_sns, status)


def claim_lines(session: Db, visit: VisitRecord) -> tuple[FeeLine, ...]:
    """The visit's unsettled lines for the chain, each return netted against its original line."""
    net: dict[str, list[Any]] = {}
    for row in repository.unsettled_lines(session, visit):
        root = row.init_feedetl_sn or row.feedetl_sn
        entry = net.setdefault(root, [ZERO, ZERO, row.item_class, row.selfpay_prop])
        entry[0] += row.det_item_fee_sumamt
        entry[1] += row.overlmt_amt
    lines = tuple(
        FeeLine(amount, ItemClass(cls), prop if cls == "B" else None, overlimit)
        for amount, overlimit, cls, prop in net.values()
        if amount != 0
    )
    if not lines:
        raise NothingToSettle(mdtrt_id=visit.mdtrt_id)
    return lines
