"""Settlement operations (POLICY.md §5–§9, §7a): visits, fee lines, pre-settle, settle, cancel, manual
reimbursement, accumulators and the ledger. Service functions flush, never commit; the door commits once.

Every check that refuses a settlement says which rule refused it: not insured or outside the benefit
period, institution not designated / suspended / terminated, care elsewhere without a filing, a
special-disease claim without a valid filing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yibao import rawsql
from yibao.db import sql_money
from yibao.enrollment.models import Enrollment
from yibao.enrollment.service import coverage_on, live_enrollment
from yibao.errors import Conflict, InvalidInput, NotFound, Refused
from yibao.filings.service import cross_region_filing_on, special_disease_filings_on
from yibao.institutions.models import Institution
from yibao.institutions.service import REGIONS, catalogue_lookup, check_designated, institution_record
from yibao.kit.clock import now
from yibao.kit.ids import new_id, random_digits
from yibao.kit.money import ZERO, round_money
from yibao.people.models import Person
from yibao.people.service import assistance_class_on, certificates_of, person_record
from yibao.policy.chain import AMOUNT_FIELDS, Accumulators, Claim, FeeLine, Insured, ItemClass, split_line
from yibao.policy.chain import Settlement as Computed
from yibao.policy.chain import settle as run_chain
from yibao.policy.editions import Benefit, Edition, Editions, Level
from yibao.settlement.models import Accumulator, FeeDetail, JournalEntry, Posting, Settlement, Visit

# med_type → benefit (INTERFACE.md code tables; POLICY.md §7a codes)
BENEFIT_BY_MED_TYPE: dict[str, Benefit] = {
    "11": Benefit.OUTPATIENT,
    "12": Benefit.OUTPATIENT,
    "13": Benefit.OUTPATIENT,
    "41": Benefit.OUTPATIENT,
    "14": Benefit.SPECIAL_DISEASE,
    "21": Benefit.INPATIENT,
}
MED_TYPE_LABELS = {
    "11": "普通门诊",
    "12": "门诊挂号",
    "13": "急诊",
    "14": "门诊特殊病种",
    "21": "普通住院",
    "41": "定点药店购药",
}
FUND_ACCOUNTS = (
    ("hifp_pay", "fund:390100", "统筹基金"),
    ("hifmi_pay", "fund:390200", "大病保险"),
    ("maf_pay", "fund:610100", "医疗救助"),
)
ACCUMULATOR_FIELDS = ("outpatient", "inpatient", "special_disease", "serious_illness_burden", "assistance_selfpay")


# ---------------------------------------------------------------------------------------------------
# Statements of the settlement hot path (rawsql: the ORM's tables and types, without its per-call cost)

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
_JOURNAL_ENTRIES = rawsql.Insert(JournalEntry)
_POSTINGS = rawsql.Insert(Posting)
_ENTRY_OF_SETTLEMENT = rawsql.select(JournalEntry, "id psn_no", "setl_id = ? AND reverses_id IS NULL")
_POSTINGS_OF_ENTRY = rawsql.select(Posting, "account amount", "entry_id = ?", order="line")


# ---------------------------------------------------------------------------------------------------
# Who, where, when: the checks before any money is computed


@dataclass(frozen=True, slots=True)
class Standing:
    person: Person
    enrollment: Enrollment
    insured: Insured
    edition: Edition


def not_insured_reason(session: Session, psn_no: str, day: dt.date) -> str:
    enrollment = live_enrollment(session, psn_no, day.year)
    if enrollment is None:
        return f"{day.year} 年度未参保"
    if enrollment.status != "active":
        return f"{day.year} 年度参保费用未缴纳，参保登记尚未生效"
    return f"{day} 不在待遇享受期（{enrollment.benefit_start} 至 {enrollment.benefit_end}）"


def standing_on(session: Session, editions: Editions, psn_no: str, day: dt.date) -> Standing:
    """The person's standing for care on `day`: insured, in the benefit period, category and classes."""
    person = person_record(session, psn_no)
    enrollment = coverage_on(session, psn_no, day)
    if enrollment is None:
        raise Refused(
            f"{person.name} 不能享受医保待遇：{not_insured_reason(session, psn_no, day)}",
            field="psn_no",
            code="not_insured",
        )
    special = bool(special_disease_filings_on(session, psn_no, day))
    insured = Insured(enrollment.category, special, assistance_class_on(certificates_of(session, psn_no), day))
    return Standing(person, enrollment, insured, editions.on(day))


def check_place(session: Session, standing: Standing, institution: Institution, day: dt.date) -> None:
    """Where care may be settled (POLICY.md §9): designated and not suspended; care in a region the edition
    lists needs a cross-region filing; across provinces also a cross-province designated institution."""
    check_designated(institution, day)
    rules = standing.edition.care_elsewhere
    if institution.region not in rules.filing_required_in.value:
        return
    if cross_region_filing_on(session, standing.person.psn_no, day) is None:
        raise Refused(
            f"在{REGIONS[institution.region]}就医须先办理异地就医备案（{rules.filing_required_in.source}）",
            field="fixmedins_code",
            code="no_cross_region_filing",
        )
    if (
        institution.region == "other_province"
        and rules.cross_province_needs_designated_institution.value
        and not institution.cross_province_designated
    ):
        raise Refused(
            f"{institution.name} 不是跨省异地就医定点医疗机构",
            field="fixmedins_code",
            code="not_cross_province_designated",
        )


def check_benefit(standing: Standing, benefit: Benefit) -> None:
    if benefit is Benefit.SPECIAL_DISEASE and not standing.insured.special_disease_patient:
        raise Refused(
            "门诊特殊病种待遇须有有效的门诊特病备案（POLICY.md §5、§9）",
            field="med_type",
            code="no_special_disease_filing",
        )


# ---------------------------------------------------------------------------------------------------
# Visits and fee lines


def new_mdtrt_id(session: Session, admdvs: str) -> str:
    """Division + time + random digits (unique index as the guard): no counter row that every visit in
    the district would queue on."""
    return f"{admdvs}{now():%y%m%d%H%M%S}{random_digits(10)}"


def open_visit(
    session: Session,
    editions: Editions,
    *,
    institution: Institution,
    psn_no: str,
    med_type: str,
    begntime: dt.datetime,
    cert_type: str,
    cert_no: str | None,
    **details: Any,
) -> Visit:
    """Register an outpatient visit (2201) or an admission (2401) after the eligibility checks."""
    if med_type not in BENEFIT_BY_MED_TYPE:
        raise InvalidInput(f"医疗类别 {med_type!r} 不受理（可选：{'、'.join(BENEFIT_BY_MED_TYPE)}）", field="med_type")
    day = begntime.date()
    standing = standing_on(session, editions, psn_no, day)
    check_place(session, standing, institution, day)
    check_benefit(standing, BENEFIT_BY_MED_TYPE[med_type])
    fields = dict.fromkeys(_VISITS.names) | details
    visit: Visit = _VISITS.make(**fields | {
        "psn_no": psn_no,
        "mdtrt_id": new_mdtrt_id(session, institution.admdvs),
        "fixmedins_code": institution.fixmedins_code,
        "med_type": med_type,
        "insutype": "390",
        "begntime": begntime,
        "status": "open",
        "mdtrt_cert_type": cert_type,
        "mdtrt_cert_no": cert_no,
        "created_at": now(),
    })
    _VISITS.row(session, visit)
    return visit


def discharge_visit(visit: Visit, endtime: dt.datetime, *, dscg_way: str | None = None) -> None:
    """出院 (2402): an open inpatient stay ends; its settlement is then computed on the discharge date."""
    if visit.med_type != "21" or visit.status != "open":
        raise Conflict(f"就诊 {visit.mdtrt_id} 不是在院的住院就诊", field="mdtrt_id")
    if endtime < visit.begntime:
        raise InvalidInput("出院时间早于入院时间", field="endtime")
    visit.endtime, visit.status = endtime, "discharged"
    visit.dscg_way = dscg_way


def get_visit(session: Session, mdtrt_id: str, *, institution: str | None = None, psn_no: str | None = None) -> Visit:
    """A visit by mdtrt_id (the ORM object, for changing it); an institution sees only its own visits."""
    return _own_visit(session.scalar(select(Visit).where(Visit.mdtrt_id == mdtrt_id)), mdtrt_id, institution, psn_no)


def visit_record(session: Session, mdtrt_id: str, *, institution: str | None = None,
                 psn_no: str | None = None) -> Visit:
    """The same visit as a read-only record (fee upload and settlement read it on every call)."""
    return _own_visit(_VISIT.first(session, mdtrt_id), mdtrt_id, institution, psn_no)


def _own_visit(visit: Visit | None, mdtrt_id: str, institution: str | None, psn_no: str | None) -> Visit:
    if visit is None or (institution is not None and visit.fixmedins_code != institution):
        raise NotFound(f"没有就诊 {mdtrt_id}（或不属于本机构）", field="mdtrt_id")
    if psn_no is not None and visit.psn_no != psn_no:
        raise InvalidInput(f"就诊 {mdtrt_id} 不是人员 {psn_no} 的", field="psn_no")
    return visit


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
    session: Session, editions: Editions, visit: Visit, fees: Sequence[FeeIn], *, msgid: str | None
) -> list[FeeDetail]:
    """Store fee lines and split each by the catalogue on its date (甲/乙/丙, 先行自付, 超限价)."""
    if visit.status in ("settled", "cancelled"):
        raise Conflict(
            f"就诊 {visit.mdtrt_id} 已{'结算' if visit.status == 'settled' else '撤销'}，不能再上传费用",
            field="mdtrt_id",
        )
    if not fees:
        raise InvalidInput("feedetail 不能为空", field="feedetail")
    lines = {row.feedetl_sn: row for row in _LINES_OF_VISIT.all(session, visit.psn_no, visit.mdtrt_id)}
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
    _FEE_DETAILS.rows(session, rows)
    return rows


def _fee_row(
    visit: Visit,
    fee: FeeIn,
    lines: dict[str, Any],
    catalogue: dict[str, Any],
    default_prop: Decimal,
    msgid: str | None,
) -> FeeDetail:
    where = f"费用明细 {fee.feedetl_sn}："
    if fee.feedetl_sn in lines:
        raise Conflict(where + "明细流水号重复", field="feedetl_sn")
    if fee.med_list_codg not in catalogue:
        raise InvalidInput(where + f"医保目录中没有编码 {fee.med_list_codg}", field="med_list_codg")
    if fee.init_feedetl_sn is not None:
        original = lines.get(fee.init_feedetl_sn)
        if original is None or original.status != "active" or original.med_list_codg != fee.med_list_codg:
            raise InvalidInput(
                where + f"退费对应的原明细 {fee.init_feedetl_sn} 不存在或项目不同", field="init_feedetl_sn"
            )
        if fee.cnt >= 0:
            raise InvalidInput(where + "退费明细的数量须为负数", field="cnt")
    elif fee.cnt <= 0:
        raise InvalidInput(where + "数量须大于 0（退费须填写 init_feedetl_sn）", field="cnt")
    if fee.pric < 0:
        raise InvalidInput(where + "单价不能为负数", field="pric")
    if round_money(fee.cnt * fee.pric) != fee.det_item_fee_sumamt:
        raise InvalidInput(
            where + f"明细金额 {fee.det_item_fee_sumamt} 不等于数量 × 单价 {round_money(fee.cnt * fee.pric)}",
            field="det_item_fee_sumamt",
        )
    if not _during(visit, fee.fee_ocur_time.date()):
        raise InvalidInput(where + "费用发生时间不在就诊期间", field="fee_ocur_time")
    item, prop = catalogue[fee.med_list_codg]
    ceiling = item.price_ceiling
    over = round_money((fee.pric - ceiling) * abs(fee.cnt)) if ceiling is not None and fee.pric > ceiling else ZERO
    amount = fee.det_item_fee_sumamt
    sign = -1 if amount < 0 else 1  # a return (退费) splits like its line, with the sign turned
    split = split_line(FeeLine(abs(amount), ItemClass(item.item_class), prop, over), default_prop)
    row: FeeDetail = _FEE_DETAILS.make(
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
        status="active",
        setl_id=None,
        msgid=msgid,
        created_at=now(),
    )
    return row


def _during(visit: Visit, day: dt.date) -> bool:
    """ASSUMPTION: an outpatient visit is one day, so its fees fall on the visit date; an inpatient stay's
    fees fall between admission and discharge (or today, before discharge)."""
    if visit.med_type != "21":
        return day == visit.begntime.date()
    return visit.begntime.date() <= day <= (visit.endtime.date() if visit.endtime else day)


def fee_lines_of(session: Session, visit: Visit) -> Sequence[FeeDetail]:
    """The visit's active fee lines, in the order they were entered."""
    return session.scalars(
        select(FeeDetail)
        .where(FeeDetail.psn_no == visit.psn_no, FeeDetail.mdtrt_id == visit.mdtrt_id, FeeDetail.status == "active")
        .order_by(FeeDetail.created_at, FeeDetail.feedetl_sn)
    ).all()


def fee_serials_used(session: Session, visit: Visit) -> int:
    """How many fee lines the visit has ever had (deleted ones keep their serial numbers)."""
    return int(session.scalar(select(func.count()).select_from(FeeDetail).where(
        FeeDetail.psn_no == visit.psn_no, FeeDetail.mdtrt_id == visit.mdtrt_id)) or 0)


def visit_settlement(session: Session, visit: Visit) -> Settlement | None:
    """The visit's standing settlement, if it is settled."""
    return session.scalar(select(Settlement).where(Settlement.mdtrt_id == visit.mdtrt_id, Settlement.kind == "settle",
                                                   Settlement.status == "valid"))


def delete_fees(session: Session, visit: Visit, feedetl_sns: Sequence[str] | None) -> list[str]:
    """Delete unsettled fee lines (2205/2302): the given ones, or all when none is given."""
    if visit.status == "settled":
        raise Conflict(f"就诊 {visit.mdtrt_id} 已结算，须先撤销结算再删除费用", field="mdtrt_id")
    rows = fee_lines_of(session, visit)
    wanted = set(feedetl_sns) if feedetl_sns else {row.feedetl_sn for row in rows}
    unknown = wanted - {row.feedetl_sn for row in rows}
    if unknown:
        raise NotFound(f"没有这些未结算的费用明细：{'、'.join(sorted(unknown))}", field="feedetl_sn")
    for row in rows:
        if row.feedetl_sn in wanted:
            row.status = "deleted"
    session.flush()
    return sorted(wanted)


# ---------------------------------------------------------------------------------------------------
# Computing a settlement (the policy chain over the stored lines and the locked accumulators)


@dataclass(frozen=True, slots=True)
class Prepared:
    standing: Standing
    claim: Claim
    computed: Computed
    before: Accumulators  # the year's accumulators before this claim (locked when settling)
    institution: Institution | None


def service_date(visit: Visit) -> dt.date:
    """Outpatient: the visit date; inpatient: the discharge date (POLICY.md §7a preamble)."""
    if visit.med_type == "21":
        if visit.endtime is None:
            raise Refused(
                f"住院就诊 {visit.mdtrt_id} 尚未办理出院（2402），不能结算；中途结算暂不支持", field="mdtrt_id"
            )
        return visit.endtime.date()
    return visit.begntime.date()


def claim_lines(session: Session, visit: Visit) -> tuple[FeeLine, ...]:
    """The visit's unsettled lines for the chain, each return netted against its original line."""
    net: dict[str, list[Any]] = {}
    for row in _UNSETTLED_LINES.all(session, visit.psn_no, visit.mdtrt_id):
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
        raise Refused(f"就诊 {visit.mdtrt_id} 没有待结算的费用明细", field="mdtrt_id")
    return lines


def lock_accumulator(session: Session, psn_no: str, year: int) -> Accumulators:
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


def _apply(session: Session, row: Settlement, before: Accumulators, sign: int) -> None:
    """The accumulators (locked by `lock_accumulator`) take a settlement's additions, or give them back."""
    after = [getattr(before, name) + sign * getattr(row, f"add_{name}") for name in ACCUMULATOR_FIELDS]
    rawsql.forget(session, Accumulator, row.psn_no, row.year)
    _SET_ACCUMULATOR.run(session, *after, row.psn_no, row.year)


def prepare(session: Session, editions: Editions, visit: Visit, *, lock: bool,
            institution: Institution | None = None) -> Prepared:
    """The claim of a visit through the chain; `institution`: the visit's institution if the caller has just
    read it (the gateway has), else it is read here."""
    if institution is None or institution.fixmedins_code != visit.fixmedins_code:
        institution = institution_record(session, visit.fixmedins_code)
    if institution is None:
        raise NotFound(f"没有编码为 {visit.fixmedins_code} 的定点医药机构", field="fixmedins_code")
    day = service_date(visit)
    standing = standing_on(session, editions, visit.psn_no, day)
    check_place(session, standing, institution, day)
    benefit = BENEFIT_BY_MED_TYPE[visit.med_type]
    check_benefit(standing, benefit)
    claim = Claim(visit.mdtrt_id, benefit, day, Level(institution.level), claim_lines(session, visit))
    before = (lock_accumulator if lock else read_accumulators)(session, visit.psn_no, day.year)
    computed = run_chain(standing.edition, standing.insured, claim, before)
    return Prepared(standing, claim, computed, before, institution)


def trace_json(computed: Computed) -> str:
    return json.dumps([step.as_dict() for step in computed.trace], ensure_ascii=False)


def settlement_row(
    prepared: Prepared,
    *,
    setl_id: str | None,
    kind: str,
    msgid: str | None,
    actor: str,
    med_type: str,
    mdtrt_id: str | None,
) -> Settlement:
    """The settlement as a record of the settlements table (written by the caller, or by nobody)."""
    c, standing = prepared.computed, prepared.standing
    institution = prepared.institution
    row: Settlement = _SETTLEMENTS.make(
        psn_no=standing.person.psn_no,
        setl_id=setl_id or "",
        mdtrt_id=mdtrt_id,
        fixmedins_code=institution.fixmedins_code if institution else None,
        kind=kind,
        original_setl_id=None,
        status="valid",
        year=c.year,
        edition=c.edition,
        benefit=c.benefit.value,
        med_type=med_type,
        level=prepared.claim.level.value,
        setl_time=now(),
        service_date=prepared.claim.date,
        **{name: getattr(c, name) for name in AMOUNT_FIELDS},
        acct_pay=ZERO,
        acct_mulaid_pay=ZERO,
        psn_cash_pay=c.psn_part_amt,
        **{f"add_{name}": getattr(c.added, name) for name in ACCUMULATOR_FIELDS},
        category=standing.insured.category,
        assistance_class=standing.insured.assistance_class,
        trace=trace_json(c),
        msgid=msgid,
        created_by=actor,
    )
    return row


def presettle(session: Session, editions: Editions, visit: Visit, *,
              institution: Institution | None = None) -> Settlement:
    """预结算: the settlement as it would be now, written nowhere (no side effects)."""
    if visit.status == "settled":
        raise Conflict(f"就诊 {visit.mdtrt_id} 已结算", field="mdtrt_id")
    prepared = prepare(session, editions, visit, lock=False, institution=institution)
    return settlement_row(
        prepared, setl_id=None, kind="settle", msgid=None, actor="", med_type=visit.med_type, mdtrt_id=visit.mdtrt_id
    )


def new_setl_id(admdvs: str = "330213") -> str:
    return f"{admdvs}S{now():%y%m%d%H%M%S}{random_digits(9)}"


def settle_visit(
    session: Session, editions: Editions, visit: Visit, *, expected_total: Decimal | None, msgid: str | None,
    actor: str, institution: Institution | None = None,
) -> Settlement:
    """结算: the pre-settlement's numbers, written with the accumulators and the journal, all or nothing.

    The visit row is read again under lock first (PostgreSQL FOR UPDATE; SQLite's writer lock), so two
    requests for one visit settle it once: the second finds it settled."""
    current = _VISIT_LOCKED.first(session, visit.mdtrt_id)
    if current is None:
        raise NotFound(f"没有就诊 {visit.mdtrt_id}", field="mdtrt_id")
    if current.status == "settled":
        raise Conflict(f"就诊 {visit.mdtrt_id} 已结算", field="mdtrt_id")
    if current.status == "cancelled":
        raise Conflict(f"就诊 {visit.mdtrt_id} 已撤销", field="mdtrt_id")
    prepared = prepare(session, editions, current, lock=True, institution=institution)
    if expected_total is not None and expected_total != prepared.computed.medfee_sumamt:
        raise InvalidInput(
            f"medfee_sumamt {expected_total} 与已上传费用明细合计 {prepared.computed.medfee_sumamt} 不符",
            field="medfee_sumamt",
        )
    row = settlement_row(prepared, setl_id=new_setl_id(), kind="settle", msgid=msgid, actor=actor,
                         med_type=current.med_type, mdtrt_id=current.mdtrt_id)
    _SETTLEMENTS.row(session, row)
    _apply(session, row, prepared.before, +1)
    post_settlement(session, row)
    _assign_lines(session, current, row.setl_id, "settled")
    return row


def _assign_lines(session: Session, visit: Visit, setl_id: str, status: str) -> None:
    """The visit's active, unsettled fee lines now belong to settlement `setl_id`; the visit takes `status`."""
    _ASSIGN_LINES.run(session, setl_id, visit.psn_no, visit.mdtrt_id)
    _SET_VISIT_STATUS.run(session, status, visit.mdtrt_id)
    rawsql.forget(session, Visit, visit.psn_no, visit.mdtrt_id)


def _copy_settlement(original: Settlement, *, kind: str, original_setl_id: str | None, msgid: str | None,
                     actor: str, sign: int) -> Settlement:
    """A new settlement record with the original's facts and (signed) amounts, under a new setl_id and time."""
    values = {name: getattr(original, name) for name in _SETTLEMENTS.names}
    values |= {name: sign * values[name] for name in AMOUNT_COLUMNS}
    values |= {"setl_id": new_setl_id(), "kind": kind, "original_setl_id": original_setl_id, "status": "valid",
               "setl_time": now(), "msgid": msgid, "created_by": actor}
    copy: Settlement = _SETTLEMENTS.make(**values)
    return copy


# setlinfo's money fields: the chain's amounts, then what the person's accounts and cash paid
SETLINFO_MONEY = (*AMOUNT_FIELDS, "acct_pay", "acct_mulaid_pay", "psn_cash_pay")
AMOUNT_COLUMNS = (*SETLINFO_MONEY, *(f"add_{n}" for n in ACCUMULATOR_FIELDS))


def get_settlement(session: Session, setl_id: str, *, institution: str | None = None) -> Settlement:
    row = session.scalar(select(Settlement).where(Settlement.setl_id == setl_id))
    if row is None or (institution is not None and row.fixmedins_code != institution):
        raise NotFound(f"没有结算 {setl_id}（或不属于本机构）", field="setl_id")
    return row


def cancel_settlement(
    session: Session, setl_id: str, *, institution: str | None, msgid: str | None, actor: str
) -> Settlement:
    """结算撤销: a new settlement row with every amount negated, the accumulators given back, a reversing
    journal entry; the visit's lines may then be changed and settled again."""
    original = get_settlement(session, setl_id, institution=institution)
    if original.kind == "cancel":
        raise InvalidInput("撤销记录本身不能再撤销", field="setl_id")
    if original.status == "cancelled":
        raise Conflict(f"结算 {setl_id} 已撤销", field="setl_id")
    before = lock_accumulator(session, original.psn_no, original.year)
    cancel = _copy_settlement(original, kind="cancel", original_setl_id=original.setl_id, msgid=msgid, actor=actor,
                              sign=-1)
    try:
        _SETTLEMENTS.row(session, cancel)  # one cancellation per settlement: a unique index guards it
    except IntegrityError:
        raise Conflict(f"结算 {setl_id} 已撤销", field="setl_id") from None
    _apply(session, original, before, -1)
    original.status = "cancelled"
    reverse_journal(session, original.setl_id, cancel.setl_id)
    if original.mdtrt_id is not None:
        _RELEASE_LINES.run(session, original.setl_id)
        visit = _VISIT.first(session, original.mdtrt_id)
        if visit is not None:
            _SET_VISIT_STATUS.run(session, "discharged" if visit.endtime is not None else "open", visit.mdtrt_id)
            rawsql.forget(session, Visit, visit.psn_no, visit.mdtrt_id)
    session.flush()
    return cancel


def reinstate_settlement(
    session: Session, editions: Editions, setl_id: str, *, msgid: str | None, actor: str
) -> Settlement:
    """Undo a cancellation (reversal of 2208/2305): the original settlement's amounts stand again as a new
    settlement row, the accumulators take them again, and a new journal entry posts them."""
    original = get_settlement(session, setl_id)
    if original.status != "cancelled":
        raise Conflict(f"结算 {setl_id} 未被撤销，无需恢复", field="setl_id")
    visit = _VISIT.first(session, original.mdtrt_id) if original.mdtrt_id else None
    if visit is not None and visit.status == "settled":
        raise Conflict(f"就诊 {visit.mdtrt_id} 已重新结算，不能恢复原结算", field="setl_id")
    before = lock_accumulator(session, original.psn_no, original.year)
    again = _copy_settlement(original, kind="settle", original_setl_id=None, msgid=msgid, actor=actor, sign=+1)
    _SETTLEMENTS.row(session, again)
    _apply(session, again, before, +1)
    post_settlement(session, again)
    if visit is not None:
        _assign_lines(session, visit, again.setl_id, "settled")
    return again


# ---------------------------------------------------------------------------------------------------
# 待遇测算: what a claim would pay, written nowhere (the residents' calculator)


def estimate_benefit(
    session: Session,
    editions: Editions,
    *,
    day: dt.date,
    benefit: Benefit,
    level: Level,
    lines: tuple[FeeLine, ...],
    psn_no: str | None = None,
    category: str | None = None,
) -> tuple[Computed, Accumulators]:
    """The chain on a hypothetical claim: for a signed-in person with their own category, classes and this
    year's accumulators (so a deductible already paid counts); otherwise for `category` from zero."""
    if psn_no is not None:
        standing = standing_on(session, editions, psn_no, day)
        check_benefit(standing, benefit)
        edition, insured = standing.edition, standing.insured
        before = read_accumulators(session, psn_no, day.year)
    else:
        edition = editions.on(day)
        if category not in edition.categories:
            choices = "、".join(f"{c.label}（{code}）" for code, c in edition.categories.items())
            raise InvalidInput(f"请选择参保人员类别：{choices}", field="category")
        # someone asking about special-disease care is presumed to hold the filing it needs
        insured, before = Insured(category, benefit is Benefit.SPECIAL_DISEASE), Accumulators()
    if not lines:
        raise InvalidInput("请至少填写一项医疗费用", field="amount")
    return run_chain(edition, insured, Claim("estimate", benefit, day, level, lines), before), before


# ---------------------------------------------------------------------------------------------------
# Manual reimbursement (零星报销, S18 §6): the same chain and ledger, paid to the person


def manual_reimbursement(
    session: Session,
    editions: Editions,
    *,
    psn_no: str,
    benefit: Benefit,
    service_date: dt.date,
    level: Level,
    region: str,
    lines: tuple[FeeLine, ...],
    place: str,
    actor: str,
) -> Settlement:
    """Care that could not be settled directly, claimed with receipts and computed by the same rules."""
    if region not in REGIONS:
        raise InvalidInput(f"就医地区只能是：{'、'.join(REGIONS)}", field="region")
    if not place.strip():
        raise InvalidInput("请填写就医机构或地点", field="place")
    standing = standing_on(session, editions, psn_no, service_date)
    rules = standing.edition.care_elsewhere
    if region in rules.filing_required_in.value and cross_region_filing_on(session, psn_no, service_date) is None:
        raise Refused(
            f"在{REGIONS[region]}就医的费用须先办理异地就医备案才能报销", field="region", code="no_cross_region_filing"
        )
    check_benefit(standing, benefit)
    claim = Claim(f"manual-{place[:20]}", benefit, service_date, level, lines)
    before = lock_accumulator(session, psn_no, service_date.year)
    computed = run_chain(standing.edition, standing.insured, claim, before)
    prepared = Prepared(standing, claim, computed, before, None)
    med_type = {Benefit.OUTPATIENT: "11", Benefit.SPECIAL_DISEASE: "14", Benefit.INPATIENT: "21"}[benefit]
    row = settlement_row(
        prepared, setl_id=new_setl_id(), kind="manual", msgid=None, actor=actor, med_type=med_type, mdtrt_id=None
    )
    _SETTLEMENTS.row(session, row)
    _apply(session, row, before, +1)
    post_settlement(session, row)
    return row


# ---------------------------------------------------------------------------------------------------
# The ledger


def post_journal(
    session: Session,
    *,
    psn_no: str | None,
    setl_id: str | None,
    memo: str,
    postings: Sequence[tuple[str, Decimal]],
    reverses: str | None = None,
) -> JournalEntry:
    """One balanced entry; an unbalanced one is a bug and refused outright."""
    lines = [(account, amount) for account, amount in postings if amount != 0]
    if sum((amount for _, amount in lines), ZERO) != 0:
        raise AssertionError(f"unbalanced journal entry: {lines}")
    entry: JournalEntry = _JOURNAL_ENTRIES.make(
        id=new_id(), psn_no=psn_no, setl_id=setl_id, memo=memo[:200], reverses_id=reverses, created_at=now()
    )
    _JOURNAL_ENTRIES.row(session, entry)
    _POSTINGS.rows(session, [(entry.id, number, account, amount)
                             for number, (account, amount) in enumerate(lines, start=1)])
    return entry


def settlement_postings(row: Settlement) -> list[tuple[str, Decimal]]:
    """Direct settlement: the institution is owed the whole bill, by the funds and the person; a manual
    reimbursement: the funds pay the person back."""
    funds = [(account, -getattr(row, field)) for field, account, _ in FUND_ACCOUNTS]
    if row.kind == "manual" or row.fixmedins_code is None:
        return [(f"person:{row.psn_no}", row.fund_pay_sumamt), *funds]
    return [
        (f"institution:{row.fixmedins_code}", row.medfee_sumamt),
        *funds,
        (f"person:{row.psn_no}", -row.psn_part_amt),
    ]


def post_settlement(session: Session, row: Settlement) -> JournalEntry:
    label = "零星报销" if row.kind == "manual" else "结算"
    return post_journal(
        session,
        psn_no=row.psn_no,
        setl_id=row.setl_id,
        memo=f"{label} {row.setl_id}",
        postings=settlement_postings(row),
    )


def reverse_journal(session: Session, setl_id: str, by_setl_id: str) -> JournalEntry:
    entry = _ENTRY_OF_SETTLEMENT.first(session, setl_id)
    if entry is None:
        raise NotFound(f"结算 {setl_id} 没有记账凭证", field="setl_id")
    postings = _POSTINGS_OF_ENTRY.all(session, entry.id)
    return post_journal(
        session,
        psn_no=entry.psn_no,
        setl_id=by_setl_id,
        memo=f"撤销 {setl_id}",
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
    return list(
        session.scalars(
            select(Posting.entry_id)
            .group_by(Posting.entry_id)
            .having(func.abs(func.sum(Posting.amount)) > Decimal("0.001"))
        )
    )


def settlements_of(session: Session, psn_no: str) -> Sequence[Settlement]:
    return session.scalars(
        select(Settlement).where(Settlement.psn_no == psn_no).order_by(Settlement.setl_time.desc())
    ).all()


def institution_totals(
    session: Session, code: str, begin: dt.date, end: dt.date
) -> tuple[int, Decimal, Decimal, Decimal]:
    """(settlements, medfee, fund, account pay) net of cancellations, for 3201 reconciliation."""
    count, medfee, fund, acct = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(Settlement.medfee_sumamt), 0),
            func.coalesce(func.sum(Settlement.fund_pay_sumamt), 0),
            func.coalesce(func.sum(Settlement.acct_pay), 0),
        ).where(
            Settlement.fixmedins_code == code,
            Settlement.kind == "settle",
            Settlement.status == "valid",
            Settlement.service_date >= begin,
            Settlement.service_date <= end,
        )
    ).one()
    return (
        int(count),
        sql_money(medfee),
        sql_money(fund),
        sql_money(acct),
    )
