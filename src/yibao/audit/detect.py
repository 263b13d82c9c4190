"""The code behind the audit's rules (rules.yaml): each detector reads a period's settlements, visits and fee lines
with set-based SQL (the database does the joining and grouping) and returns its hits; line rules share one
candidate query and judge each candidate line in Python (`judge_line`), which the national hooks 3101/3102 call on
the lines of their message as well.

A hit's `vola_amt` is what the lines or settlements it is about cost; `fund_amt` what the funds paid of it (for a
line rule: the lines' in-scope amount, at most what the funds paid on the settlement) — what a recovery can take.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, extract, func, or_, select
from sqlalchemy.orm import Session, aliased

from yibao.audit.models import SwapListEntry, SwapListRecord
from yibao.audit.rules import Rule, RuleBook
from yibao.db import sql_money, tuned_for_batch
from yibao.enrollment.models import Enrollment
from yibao.glossary import MedType
from yibao.institutions.models import CatalogueItem, Device, DeviceRecord, Doctor, Institution
from yibao.institutions.service import device_problem
from yibao.kit.batches import chunks
from yibao.kit.dates import age_on
from yibao.kit.money import ZERO
from yibao.people.models import Person
from yibao.settlement.models import (
    FeeDetail,
    FeeStatus,
    Settlement,
    SettlementKind,
    SettlementStatus,
    Visit,
    VisitStatus,
)
from yibao.statements import Db, Read

INPATIENT = (MedType.INPATIENT.value, MedType.MATERNITY_INPATIENT.value)
SCAN_MEMO = "audit_scan_memo"  # session.info: what several detectors of one scan read once


@dataclass(frozen=True, slots=True)
class Scope:
    """What a scan looks at: settlements with a service date in [start, end]."""

    start: dt.date
    end: dt.date


@dataclass(slots=True)
class Hit:
    rule_id: str
    key: str  # what it is about, with the rule: the finding's fingerprint
    service_date: dt.date
    content: str
    vola_amt: Decimal = ZERO
    fund_amt: Decimal = ZERO
    fixmedins_code: str | None = None
    psn_no: str | None = None
    mdtrt_id: str | None = None
    setl_id: str | None = None
    dr_code: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"{self.rule_id}|{self.key}".encode()).hexdigest()


Detector = Callable[[Session, Rule, Scope], list[Hit]]


# Joins by the one unique key (setl_id, mdtrt_id are unique): a join on the whole primary key makes PostgreSQL
# multiply the columns' selectivities and expect one row where there are millions.
_LINE_OF_SETTLEMENT = FeeDetail.setl_id == Settlement.setl_id
_VISIT_OF_SETTLEMENT = Visit.mdtrt_id == Settlement.mdtrt_id


def _settled(scope: Scope, *, manual: bool = False) -> ColumnElement[bool]:
    kinds = (SettlementKind.SETTLE.value, SettlementKind.MANUAL.value) if manual else (SettlementKind.SETTLE.value,)
    return and_(Settlement.kind.in_(kinds), Settlement.status == SettlementStatus.VALID.value,
                Settlement.service_date >= scope.start, Settlement.service_date <= scope.end)


def _money(value: object) -> Decimal:
    return sql_money(value) if value is not None else ZERO


# ---------------------------------------------------------------------------------------------------
# Line rules: one candidate query, a judge per rule


@dataclass(frozen=True, slots=True)
class LineFacts:
    """A fee line with what the line rules judge it by (from the tables, or from a 3101/3102 message)."""

    feedetl_sn: str
    code: str
    name: str
    cnt: Decimal
    pric: Decimal
    amount: Decimal
    in_scope: Decimal
    when: dt.datetime
    dr_code: str | None
    dr_registered: bool  # the billing doctor is registered at the institution (or none is named)
    institution_kind: str
    category: str
    price_ceiling: Decimal | None
    norm_cnt: Decimal | None
    lmt_sex: str | None
    lmt_age_min: int | None
    lmt_age_max: int | None
    lmt_diagnoses: str | None
    lmt_first_line: str | None
    lmt_scope: str | None
    sex: str
    birth_date: dt.date
    dise_codg: str | None
    swap_prices: tuple[tuple[str, Decimal], ...] = ()  # the swap list's goods for this code: (name, price)


SCOPE_LABELS = {"injury": "工伤", "maternity": "生育"}


def _sw01(rule: Rule, line: LineFacts) -> str | None:
    if line.institution_kind == "pharmacy" and line.category == "service":
        return f"零售药店结算诊疗服务项目【{line.name}】"
    return None


def _sw02(rule: Rule, line: LineFacts) -> str | None:
    tolerance = rule.decimal("price_tolerance")
    for goods, price in line.swap_prices:
        if abs(line.pric - price) <= tolerance:
            return f"【{line.name}】单价 {line.pric:.2f} 元与串换对照表中自费商品【{goods}】售价相同"
    return None


def _sw03(rule: Rule, line: LineFacts) -> str | None:
    factor = rule.decimal("price_factor")
    if line.price_ceiling is not None and line.price_ceiling > 0 and line.pric > line.price_ceiling * factor:
        return f"【{line.name}】单价 {line.pric:.2f} 元超过目录限价 {line.price_ceiling:.2f} 元的 {factor} 倍"
    if line.norm_cnt is not None and line.cnt > line.norm_cnt * rule.decimal("count_factor"):
        return f"【{line.name}】数量 {line.cnt.normalize():f} 超过常规上限 {line.norm_cnt.normalize():f}"
    return None


def _rd01(rule: Rule, line: LineFacts) -> str | None:
    if line.lmt_sex and line.sex != line.lmt_sex and line.lmt_scope != "maternity":
        wanted = "男性" if line.lmt_sex == "1" else "女性"
        return f"【{line.name}】限{wanted}使用，参保人性别不符"
    return None


def _rd02(rule: Rule, line: LineFacts) -> str | None:
    age = age_on(line.birth_date, line.when.date())
    low, high = line.lmt_age_min, line.lmt_age_max
    if (low is not None and age < low) or (high is not None and age > high):
        limit = f"{low if low is not None else 0}–{high if high is not None else ''}岁"
        return f"【{line.name}】限 {limit} 使用，参保人 {age} 岁"
    return None


def _rd03(rule: Rule, line: LineFacts) -> str | None:
    if not line.lmt_diagnoses:
        return None
    prefixes = [p.strip().upper() for p in line.lmt_diagnoses.split(",") if p.strip()]
    diagnosis = (line.dise_codg or "").upper()
    if not any(diagnosis.startswith(p) for p in prefixes):
        return f"【{line.name}】限适应症（{'、'.join(prefixes)}），本次诊断 {line.dise_codg or '未填写'} 不符"
    return None


def _rd05(rule: Rule, line: LineFacts) -> str | None:
    if line.lmt_scope and line.lmt_scope in rule.param("scopes"):
        return f"【{line.name}】限{SCOPE_LABELS.get(line.lmt_scope, line.lmt_scope)}保险支付，居民医保不予支付"
    return None


def _mm01(rule: Rule, line: LineFacts) -> str | None:
    if line.lmt_scope == "maternity" and line.sex == "1":
        return f"生育项目【{line.name}】用于男性参保人"
    return None


def _nd01(rule: Rule, line: LineFacts) -> str | None:
    if line.dr_code and not line.dr_registered:
        return f"开单医师 {line.dr_code} 不是本机构登记的医保医师"
    return None


LINE_JUDGES: dict[str, Callable[[Rule, LineFacts], str | None]] = {
    "SW01": _sw01, "SW02": _sw02, "SW03": _sw03, "RD01": _rd01, "RD02": _rd02, "RD03": _rd03, "RD05": _rd05,
    "MM01": _mm01, "ND01": _nd01,
}
LINE_RULES = (*LINE_JUDGES, "RD04")  # RD04 judges a line against the person's earlier lines (first_line_hits)


def judge_line(rules: Iterable[Rule], line: LineFacts) -> list[tuple[Rule, str]]:
    """The line rules among `rules` that the line breaks, each with what is wrong."""
    found = []
    for rule in rules:
        judge = LINE_JUDGES.get(rule.id)
        reason = judge(rule, line) if judge is not None else None
        if reason:
            found.append((rule, reason))
    return found


Swaps = dict[str, tuple[tuple[str, Decimal], ...]]  # covered code → the swap list's goods: (name, price)
_ALL_SWAPS = Read(SwapListRecord, SwapListEntry)
_SWAPS = Read(SwapListRecord, SwapListEntry, among=SwapListEntry.covered_code)


def swap_prices(db: Db, codes: Sequence[str] | None = None) -> Swaps:
    """The swap list's goods by covered code: of `codes`, or the whole list (None)."""
    if codes is not None and not codes:
        return {}
    rows = _ALL_SWAPS.all(db) if codes is None else _SWAPS.all(db, values=sorted(set(codes)))
    found: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for row in rows:
        found[row.covered_code].append((row.goods_name, row.goods_price))
    return {code: tuple(goods) for code, goods in found.items()}


def line_of(item: Any, *, sn: str, cnt: Decimal, pric: Decimal, amount: Decimal, in_scope: Decimal,
            when: dt.datetime, dr_code: str | None, dr_registered: bool, institution_kind: str, sex: str,
            birth_date: dt.date, dise_codg: str | None, swaps: Swaps) -> LineFacts:
    """A line's facts from its catalogue item (a mapped item or its record) and what the line and visit say."""
    return LineFacts(
        feedetl_sn=sn, code=item.code, name=item.name, cnt=cnt, pric=pric, amount=amount, in_scope=in_scope,
        when=when, dr_code=dr_code, dr_registered=dr_registered, institution_kind=institution_kind,
        category=item.category, price_ceiling=item.price_ceiling, norm_cnt=item.norm_cnt, lmt_sex=item.lmt_sex,
        lmt_age_min=item.lmt_age_min, lmt_age_max=item.lmt_age_max, lmt_diagnoses=item.lmt_diagnoses,
        lmt_first_line=item.lmt_first_line, lmt_scope=item.lmt_scope, sex=sex, birth_date=birth_date,
        dise_codg=dise_codg, swap_prices=swaps.get(item.code, ()))


@dataclass(slots=True)
class _Visit:
    """The line hits of one rule at one visit, summed."""

    first: Any
    reasons: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    amount: Decimal = ZERO
    in_scope: Decimal = ZERO


def _line_arms(rules: dict[str, Rule], swaps: Swaps) -> list[ColumnElement[bool]]:
    """What makes a settled line worth judging, as precise as SQL can say it cheaply: an item with a restriction
    the person or the visit must meet (judged in Python), a price or quantity beyond the item's own ceiling or
    norm (SW03), a price at a swap-list price of its code (SW02), a service at a pharmacy (SW01), a billing doctor
    not registered at the settling institution (ND01)."""
    item, doctor = CatalogueItem, _REGISTERED
    arms: list[ColumnElement[bool]] = [or_(*(getattr(item, name).is_not(None) for name in RESTRICTIONS))]
    if "SW03" in rules:
        rule = rules["SW03"]
        arms += [and_(item.price_ceiling > 0, FeeDetail.pric > item.price_ceiling * rule.decimal("price_factor")),
                 and_(item.norm_cnt.is_not(None), FeeDetail.cnt > item.norm_cnt * rule.decimal("count_factor"))]
    if "SW02" in rules and swaps:
        tolerance = rules["SW02"].decimal("price_tolerance")
        arms += [and_(FeeDetail.med_list_codg == code,
                      or_(*(FeeDetail.pric.between(price - tolerance, price + tolerance) for _, price in goods)))
                 for code, goods in sorted(swaps.items())]
    if "SW01" in rules:
        arms.append(and_(Institution.kind == "pharmacy", item.category == "service"))
    if "ND01" in rules:
        arms.append(and_(FeeDetail.bilg_dr_codg.is_not(None), doctor.dr_code.is_(None)))
    return arms


RESTRICTIONS = ("lmt_sex", "lmt_age_min", "lmt_age_max", "lmt_diagnoses", "lmt_first_line", "lmt_scope")
_REGISTERED = aliased(Doctor, name="registered")


def _candidate_lines(session: Session, scope: Scope, rules: dict[str, Rule], swaps: Swaps) -> list[Any]:
    """The settled lines of the period any chosen line rule could hit, with their item and institution kind: one
    pass over the period's settlements and lines (PostgreSQL's parallel workers share it) that joins the small
    tables (catalogue, registered doctors, institutions) and filters (`_line_arms`)."""
    item, doctor = CatalogueItem, _REGISTERED
    candidates = (
        select(FeeDetail.psn_no, FeeDetail.mdtrt_id, FeeDetail.feedetl_sn, FeeDetail.med_list_codg,
               FeeDetail.cnt, FeeDetail.pric, FeeDetail.det_item_fee_sumamt, FeeDetail.inscp_scp_amt,
               FeeDetail.fee_ocur_time, FeeDetail.bilg_dr_codg, Settlement.setl_id, Settlement.fund_pay_sumamt,
               Settlement.service_date, Settlement.fixmedins_code, Institution.kind.label("institution_kind"),
               doctor.dr_code.label("registered_dr"), item.code, item.name, item.category, item.price_ceiling,
               item.norm_cnt, *(getattr(item, name) for name in RESTRICTIONS))
        .select_from(Settlement)
        .join(FeeDetail, _LINE_OF_SETTLEMENT)
        .join(item, item.code == FeeDetail.med_list_codg)
        .outerjoin(Institution, Institution.fixmedins_code == Settlement.fixmedins_code)
        .outerjoin(doctor, and_(doctor.dr_code == FeeDetail.bilg_dr_codg,
                                doctor.fixmedins_code == Settlement.fixmedins_code))
        .where(_settled(scope), FeeDetail.status == FeeStatus.ACTIVE.value, FeeDetail.det_item_fee_sumamt > 0,
               or_(*_line_arms(rules, swaps))))
    return list(session.execute(candidates))


@dataclass(frozen=True, slots=True)
class _Persons:
    """The candidates' persons (sex, birth date) and visits' diagnoses, read after them by key (a join in the
    candidates' pass would look them up for every line)."""

    persons: dict[str, tuple[str, dt.date]]
    diagnoses: dict[str, str | None]


def _persons(session: Session, rows: Sequence[Any]) -> _Persons:
    persons: dict[str, tuple[str, dt.date]] = {}
    for chunk in chunks(sorted({row.psn_no for row in rows})):
        persons |= {psn: (sex, birth) for psn, sex, birth in session.execute(
            select(Person.psn_no, Person.sex, Person.birth_date).where(Person.psn_no.in_(chunk)))}
    diagnoses: dict[str, str | None] = {}
    for chunk in chunks(sorted({row.mdtrt_id for row in rows})):
        diagnoses |= {mdtrt: dise for mdtrt, dise in session.execute(select(Visit.mdtrt_id, Visit.dise_codg).where(
            Visit.mdtrt_id.in_(chunk)))}
    return _Persons(persons, diagnoses)


def line_facts(row: Any, found: _Persons, swaps: Swaps) -> LineFacts:
    """A candidate line's facts (the row carries its catalogue item's columns)."""
    sex, birth = found.persons[row.psn_no]
    return line_of(row, sn=row.feedetl_sn, cnt=Decimal(row.cnt), pric=Decimal(row.pric),
                   amount=_money(row.det_item_fee_sumamt), in_scope=_money(row.inscp_scp_amt),
                   when=row.fee_ocur_time, dr_code=row.bilg_dr_codg, dr_registered=row.registered_dr is not None,
                   institution_kind=row.institution_kind or "", sex=sex, birth_date=birth,
                   dise_codg=found.diagnoses.get(row.mdtrt_id), swaps=swaps)


def first_line_missing(session: Session, rule: Rule, wanted: Sequence[tuple[str, LineFacts]]) -> list[int]:
    """Of the (psn_no, line) pairs of 限二线 items, the places of those with no first-line item billed to the
    person within the lookback days up to the line (RD04)."""
    days = dt.timedelta(days=int(rule.param("lookback_days")))
    persons = sorted({psn for psn, _ in wanted})
    codes = sorted({code.strip() for _, line in wanted for code in (line.lmt_first_line or "").split(",")
                    if code.strip()})
    tried: dict[str, list[tuple[str, dt.datetime]]] = defaultdict(list)
    for chunk in chunks(persons):
        for psn, code, when in session.execute(
                select(FeeDetail.psn_no, FeeDetail.med_list_codg, FeeDetail.fee_ocur_time).where(
                    FeeDetail.psn_no.in_(chunk), FeeDetail.med_list_codg.in_(codes),
                    FeeDetail.status == FeeStatus.ACTIVE.value, FeeDetail.det_item_fee_sumamt > 0)):
            tried[psn].append((code, when))
    missing = []
    for place, (psn, line) in enumerate(wanted):
        first = {code.strip() for code in (line.lmt_first_line or "").split(",")}
        if not any(code in first and line.when - days <= when <= line.when for code, when in tried[psn]):
            missing.append(place)
    return missing


def detect_lines(session: Session, rules: Sequence[Rule], scope: Scope) -> list[Hit]:
    """Every line rule among `rules` over the period's settled lines: one hit per rule and visit."""
    wanted = [rule for rule in rules if rule.id in LINE_RULES]
    swaps = swap_prices(session)
    second_line = next((rule for rule in wanted if rule.id == "RD04"), None)
    visits: dict[tuple[str, str], _Visit] = {}
    second: list[tuple[Any, LineFacts]] = []

    def add(rule: Rule, row: Any, line: LineFacts, reason: str) -> None:
        found = visits.setdefault((rule.id, row.mdtrt_id), _Visit(row))
        found.reasons.append(reason)
        found.lines.append(line.feedetl_sn)
        found.amount += line.amount
        found.in_scope += line.in_scope

    rows = _candidate_lines(session, scope, {rule.id: rule for rule in wanted}, swaps)
    found_persons = _persons(session, rows)
    for row in rows:
        line = line_facts(row, found_persons, swaps)
        for rule, reason in judge_line(wanted, line):
            add(rule, row, line, reason)
        if second_line is not None and line.lmt_first_line:
            second.append((row, line))
    if second_line is not None and second:
        for place in first_line_missing(session, second_line, [(row.psn_no, line) for row, line in second]):
            row, line = second[place]
            add(second_line, row, line, f"【{line.name}】限二线用药，此前未用一线药物（{line.lmt_first_line}）")
    hits = []
    for (rule_id, mdtrt_id), found in visits.items():
        row = found.first
        hits.append(Hit(
            rule_id, f"{mdtrt_id}", row.service_date, "；".join(dict.fromkeys(found.reasons))[:500],
            found.amount, min(found.in_scope, _money(row.fund_pay_sumamt)), row.fixmedins_code, row.psn_no,
            mdtrt_id, row.setl_id, row.bilg_dr_codg, {"lines": found.lines}))
    return hits


# ---------------------------------------------------------------------------------------------------
# Visit and settlement rules


def _settlement_hit(rule: Rule, row: Any, key: str, content: str, **evidence: Any) -> Hit:
    return Hit(rule.id, key, row.service_date, content[:500], _money(row.medfee_sumamt),
               _money(row.fund_pay_sumamt), row.fixmedins_code, row.psn_no, row.mdtrt_id, row.setl_id,
               getattr(row, "dr_code", None), evidence)


SETTLEMENT_COLUMNS = (Settlement.setl_id, Settlement.psn_no, Settlement.mdtrt_id, Settlement.fixmedins_code,
                      Settlement.service_date, Settlement.medfee_sumamt, Settlement.fund_pay_sumamt)


def _settlements_of(session: Session, scope: Scope, key: Any, values: set[Any]) -> list[Any]:
    """The scope's settled settlements whose `key` is among `values` (the few a grouping found), by chunks."""
    found: list[Any] = []
    for chunk in chunks(sorted(values)):
        found += session.execute(select(*SETTLEMENT_COLUMNS, Settlement.setl_time).where(
            _settled(scope), key.in_(chunk))).all()
    return found


def fv01(session: Session, rule: Rule, scope: Scope) -> list[Hit]:
    """The same person settled at several institutions on one day."""
    least = int(rule.param("institutions"))
    # at least as many settlements as institutions: one hashed grouping finds the few days to look at
    days = set(session.execute(select(Settlement.psn_no, Settlement.service_date).where(_settled(scope))
                               .group_by(Settlement.psn_no, Settlement.service_date).having(func.count() >= least)))
    rows = sorted((row for row in _settlements_of(session, scope, Settlement.psn_no, {psn for psn, _ in days})
                   if (row.psn_no, row.service_date) in days), key=lambda r: (r.psn_no, r.service_date, r.setl_time))
    grouped: dict[tuple[str, dt.date], list[Any]] = defaultdict(list)
    for row in rows:
        grouped[(row.psn_no, row.service_date)].append(row)
    hits = []
    for (psn, day), found in grouped.items():
        places = sorted({r.fixmedins_code for r in found})
        if len(places) < least:
            continue
        hits.append(Hit(rule.id, f"{psn}|{day}", day, f"同日在 {len(places)} 家定点机构结算：{'、'.join(places)}",
                        sum((_money(r.medfee_sumamt) for r in found), ZERO),
                        sum((_money(r.fund_pay_sumamt) for r in found), ZERO), None, psn, None, None, None,
                        {"settlements": [r.setl_id for r in found], "institutions": places}))
    return hits


def _overlapping(session: Session, rule: Rule, scope: Scope, *, outpatient: bool) -> list[Hit]:
    """A settled visit (outpatient, FV02; or inpatient, MM02) that began during an inpatient stay at another
    institution: the stays that could overlap the period (few, materialised first) joined to the period's settled
    visits of their persons."""
    stays = (select(Visit.psn_no, Visit.mdtrt_id, Visit.fixmedins_code, Visit.begntime, Visit.endtime).where(
        Visit.med_type.in_(INPATIENT), Visit.status != VisitStatus.CANCELLED.value,
        Visit.begntime < dt.datetime.combine(scope.end + dt.timedelta(days=1), dt.time()),
        or_(Visit.endtime.is_(None), Visit.endtime >= dt.datetime.combine(scope.start, dt.time())))
        .cte("stays").prefix_with("MATERIALIZED"))
    kind = Visit.med_type.not_in(INPATIENT) if outpatient else Visit.med_type.in_(INPATIENT)
    query = (select(*SETTLEMENT_COLUMNS, Visit.begntime.label("at"), stays.c.mdtrt_id.label("stay_id"),
                    stays.c.fixmedins_code.label("stay_at"), stays.c.begntime.label("stay_begin"))
             .join(Visit, _VISIT_OF_SETTLEMENT)
             .join(stays, and_(stays.c.psn_no == Settlement.psn_no, stays.c.mdtrt_id != Visit.mdtrt_id,
                               stays.c.fixmedins_code != Settlement.fixmedins_code, stays.c.begntime < Visit.begntime,
                               or_(stays.c.endtime.is_(None), stays.c.endtime > Visit.begntime)))
             .where(_settled(scope), kind)
             .order_by(Settlement.setl_id, stays.c.begntime))
    what = "门诊或购药" if outpatient else "住院"
    hits: dict[str, Hit] = {}
    for row in session.execute(query):
        if row.setl_id not in hits:  # the first stay it fell in
            hits[row.setl_id] = _settlement_hit(
                rule, row, row.setl_id, f"{row.at:%Y-%m-%d %H:%M} 在 {row.fixmedins_code} {what}，其时正在 "
                f"{row.stay_at} 住院（{row.stay_begin:%Y-%m-%d} 入院）", stay=row.stay_id, stay_at=row.stay_at)
    return list(hits.values())


def fv02(session: Session, rule: Rule, scope: Scope) -> list[Hit]:
    return _overlapping(session, rule, scope, outpatient=True)


def mm02(session: Session, rule: Rule, scope: Scope) -> list[Hit]:
    return _overlapping(session, rule, scope, outpatient=False)


def _daily_counts(session: Session, key: Any, scope: Scope, since: dt.date) -> dict[str, dict[dt.date, int]]:
    """Settlements (人次) per `key` (an institution or an attending doctor) and service date."""
    query = (select(key, Settlement.service_date, func.count())
             .where(_settled(Scope(since, scope.end)), key.is_not(None)).group_by(key, Settlement.service_date))
    if key.table is not Settlement.__table__:
        query = query.join(Visit, _VISIT_OF_SETTLEMENT)
    counts: dict[str, dict[dt.date, int]] = defaultdict(dict)
    for who, day, heads in session.execute(query):
        counts[who][day] = int(heads)
    return counts


def fv03(session: Session, rule: Rule, scope: Scope) -> list[Hit]:
    """An institution's or a doctor's settlements (人次) of a day far above its own daily average of the days
    before."""
    history = int(rule.param("history_days"))
    factor, least = rule.decimal("factor"), int(rule.param("minimum"))
    since = scope.start - dt.timedelta(days=history)
    hits = []
    first = since.toordinal()
    for label, key in (("机构", Settlement.fixmedins_code), ("医师", Visit.atddr_no)):
        for who, days in _daily_counts(session, key, scope, since).items():
            dense = [0] * (scope.end.toordinal() - first + 1)
            for day, heads in days.items():
                dense[day.toordinal() - first] = heads
            running = list(accumulate(dense, initial=0))  # running[i]: the settlements of the days before day i
            for day, heads in days.items():
                at = day.toordinal() - first
                if day < scope.start or heads < least:
                    continue
                baseline = Decimal(running[at] - running[at - history]) / history
                if baseline > 0 and heads > baseline * factor:
                    hits.append(Hit(rule.id, f"{label}|{who}|{day}", day,
                                    f"{label} {who} {day} 接诊 {heads} 人次，前 {history} 天日均 "
                                    f"{baseline.quantize(Decimal('0.01'))} 人次", ZERO, ZERO,
                                    who if label == "机构" else None, None, None, None,
                                    who if label == "医师" else None,
                                    {"heads": heads, "baseline": str(baseline.quantize(Decimal('0.01')))}))
    return hits


def fv04(session: Session, rule: Rule, scope: Scope) -> list[Hit]:
    """Many persons with identical fee lines (items, count of lines, amount) at one institution on one day. Two
    steps: settlements of one institution and day with the same total for enough persons (identical lines have
    the same total: the settlements table alone), then their lines compared."""
    least, min_lines = int(rule.param("persons")), int(rule.param("min_lines"))
    keys = (Settlement.fixmedins_code, Settlement.service_date, Settlement.medfee_sumamt)
    groups = {(code, day, _money(total)) for code, day, total in session.execute(  # persons counted below
        select(*keys).where(_settled(scope)).group_by(*keys).having(func.count() >= least))}
    same_total = sorted((row for row in _settlements_of(session, scope, Settlement.service_date,
                                                        {day for _, day, _ in groups})
                         if (row.fixmedins_code, row.service_date, _money(row.medfee_sumamt)) in groups),
                        key=lambda r: (r.fixmedins_code, r.service_date, r.setl_id))
    signatures: dict[str, tuple[Any, ...]] = {}
    wanted = {row.setl_id for row in same_total}
    for chunk in chunks(same_total):  # by the persons (the lines' key begins with psn_no), then the settlements
        lines: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for setl_id, code, cnt, amount in session.execute(
                select(FeeDetail.setl_id, FeeDetail.med_list_codg, FeeDetail.cnt, FeeDetail.det_item_fee_sumamt)
                .where(FeeDetail.psn_no.in_(sorted({row.psn_no for row in chunk})),
                       FeeDetail.mdtrt_id.in_(sorted({row.mdtrt_id for row in chunk})),
                       FeeDetail.status == FeeStatus.ACTIVE.value)):
            if setl_id is not None and setl_id in wanted:
                lines[setl_id].append((code, str(Decimal(cnt).normalize()), str(_money(amount))))
        signatures |= {setl_id: tuple(sorted(found)) for setl_id, found in lines.items() if len(found) >= min_lines}
    grouped: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for row in same_total:
        if row.setl_id in signatures:
            grouped[(row.fixmedins_code, row.service_date, signatures[row.setl_id])].append(row)
    hits = []
    for (code, day, signature), found in grouped.items():
        persons = sorted({r.psn_no for r in found})
        if len(persons) < least:
            continue
        digest = hashlib.sha256(repr(signature).encode()).hexdigest()[:16]
        hits.append(Hit(rule.id, f"{code}|{day}|{digest}", day,
                        f"{code} {day} 有 {len(persons)} 名参保人费用明细完全相同（{len(signature)} 条，每人 "
                        f"{_money(found[0].medfee_sumamt)} 元）",
                        sum((_money(r.medfee_sumamt) for r in found), ZERO),
                        sum((_money(r.fund_pay_sumamt) for r in found), ZERO), code, None, None, None, None,
                        {"settlements": [r.setl_id for r in found], "persons": persons}))
    return hits


def nd01_visits(session: Session, rule: Rule, scope: Scope) -> list[Hit]:
    """A visit whose attending doctor is not registered at the institution (the line part is a line rule)."""
    registered = aliased(Doctor)
    query = (select(*SETTLEMENT_COLUMNS, Visit.atddr_no.label("dr_code"))
             .join(Visit, _VISIT_OF_SETTLEMENT)
             .outerjoin(registered, and_(registered.dr_code == Visit.atddr_no,
                                         registered.fixmedins_code == Visit.fixmedins_code))
             .where(_settled(scope), Visit.atddr_no.is_not(None), registered.dr_code.is_(None)))
    return [_settlement_hit(rule, row, f"{row.mdtrt_id}|attending",
                            f"接诊医师 {row.dr_code} 不是 {row.fixmedins_code} 登记的医保医师")
            for row in session.execute(query)]


def nd02(session: Session, rule: Rule, scope: Scope) -> list[Hit]:
    """Settlements at night at institutions that are not open then (pharmacies, community centres)."""
    hour = extract("hour", Settlement.setl_time)
    query = (select(*SETTLEMENT_COLUMNS, Settlement.setl_time)
             .join(Institution, Institution.fixmedins_code == Settlement.fixmedins_code)
             .where(_settled(scope), Institution.kind.in_(rule.param("kinds")),
                    hour >= int(rule.param("night_from")), hour < int(rule.param("night_to"))))
    return [_settlement_hit(rule, row, row.setl_id, f"{row.setl_time:%Y-%m-%d %H:%M} 在非营业时间结算")
            for row in session.execute(query)]


def nd03(session: Session, rule: Rule, scope: Scope) -> list[Hit]:
    """Settlements from a terminal that was not one of the institution's then, at institutions that register
    their terminals, from the first registration on (rules.yaml ASSUMPTION)."""
    since = (select(Device.fixmedins_code, func.min(Device.registered_at).label("first"))
             .group_by(Device.fixmedins_code).subquery())
    query = (select(*SETTLEMENT_COLUMNS, Settlement.setl_time, Settlement.dev_no, *(
                 column.label(f"device_{column.key}") for column in Device.__table__.c))
             .join(since, and_(since.c.fixmedins_code == Settlement.fixmedins_code,
                               since.c.first <= Settlement.setl_time))
             .outerjoin(Device, Device.dev_no == Settlement.dev_no)
             .where(_settled(scope), Settlement.dev_no.is_not(None),
                    or_(Device.dev_no.is_(None), Device.fixmedins_code != Settlement.fixmedins_code,
                        Device.registered_at > Settlement.setl_time, Device.retired_at <= Settlement.setl_time)))
    hits = []
    for row in session.execute(query):
        device = (None if row.device_dev_no is None else DeviceRecord(*(
            getattr(row, f"device_{column.key}") for column in Device.__table__.c)))
        reason = device_problem(row.dev_no, row.fixmedins_code, device, row.setl_time)
        if reason is not None:
            hits.append(_settlement_hit(rule, row, f"{row.mdtrt_id}|{row.dev_no}", reason, dev_no=row.dev_no))
    return hits


def mm04(session: Session, rule: Rule, scope: Scope) -> list[Hit]:
    """Settlements (direct or manual) of care after the person's registered death: the few persons with a death
    date first, then their settlements by key (a join would look up the person of every settlement)."""
    died: dict[str, dt.date] = {psn: day for psn, day in session.execute(select(Person.psn_no, Person.death_date).where(
        Person.death_date.is_not(None), Person.death_date < scope.end)) if day is not None}
    hits = []
    for chunk in chunks(sorted(died)):
        for row in session.execute(select(*SETTLEMENT_COLUMNS).where(_settled(scope, manual=True),
                                                                     Settlement.psn_no.in_(chunk))):
            if row.service_date > died[row.psn_no]:
                hits.append(_settlement_hit(rule, row, row.setl_id, death_content(row.service_date,
                                                                                  died[row.psn_no])))
    return hits


def death_content(day: dt.date, died: dt.date) -> str:
    return f"{day} 结算时参保人已于 {died} 死亡"


def mm03(session: Session, rule: Rule, scope: Scope) -> list[Hit]:
    """Settlements (direct or manual) on a day the person had no live enrollment (cancelled or refunded since)."""
    covered = exists().where(Enrollment.psn_no == Settlement.psn_no, Enrollment.status == "active",
                             Enrollment.benefit_start <= Settlement.service_date,
                             Enrollment.benefit_end >= Settlement.service_date)
    query = select(*SETTLEMENT_COLUMNS).where(_settled(scope, manual=True), ~covered)
    return [_settlement_hit(rule, row, row.setl_id, f"{row.service_date} 结算时参保人无有效参保（参保已撤销或未缴费）")
            for row in session.execute(query)]


READMISSION_LOOKBACK = dt.timedelta(days=365)  # how far before the period IP01 looks for the earlier stay


def _inpatient_stays(session: Session, scope: Scope) -> list[Any]:
    """The settled stays of the scope and of the year before it (IP01's earlier stays), read once per scan (IP01
    and IP02 both walk them)."""
    memo = session.info.setdefault(SCAN_MEMO, {})
    if ("stays", scope) not in memo:
        memo[("stays", scope)] = _read_stays(session, Scope(scope.start - READMISSION_LOOKBACK, scope.end))
    return list(memo[("stays", scope)])


def _read_stays(session: Session, scope: Scope) -> list[Any]:
    query = (select(*SETTLEMENT_COLUMNS, Visit.begntime, Visit.endtime, Visit.dise_codg, Visit.dise_name,
                    Visit.atddr_no.label("dr_code"))
             .join(Visit, _VISIT_OF_SETTLEMENT)
             .where(_settled(scope), Settlement.med_type.in_(INPATIENT), Visit.med_type.in_(INPATIENT))
             .order_by(Settlement.psn_no, Visit.begntime))
    return list(session.execute(query))


def ip01(session: Session, rule: Rule, scope: Scope) -> list[Hit]:
    """Readmission for the same main diagnosis within the days after a discharge (分解住院)."""
    days = int(rule.param("days"))
    stays = _inpatient_stays(session, scope)
    hits: list[Hit] = []
    last: dict[tuple[str, str], Any] = {}
    for row in stays:
        earlier = last.get((row.psn_no, row.dise_codg))
        gap = (row.begntime.date() - earlier.endtime.date()).days if earlier and earlier.endtime else None
        if earlier and row.dise_codg and gap is not None and gap <= days and row.service_date >= scope.start:
            hits.append(_settlement_hit(rule, row, row.setl_id,
                                        f"{earlier.endtime:%Y-%m-%d} 出院后 {gap} 天以同一诊断"
                                        f"（{row.dise_name or row.dise_codg}）再次入院", earlier=earlier.setl_id))
        last[(row.psn_no, row.dise_codg)] = row
    return hits


def ip02(session: Session, rule: Rule, scope: Scope) -> list[Hit]:
    """Stays too short and too cheap to have needed admission (ASSUMPTION: rules.yaml thresholds)."""
    longest, cheapest = int(rule.param("max_days")), rule.decimal("max_amount")
    hits = []
    for row in _inpatient_stays(session, scope):
        if row.endtime is None or row.service_date < scope.start:
            continue
        days = (row.endtime.date() - row.begntime.date()).days
        if days <= longest and _money(row.medfee_sumamt) < cheapest:
            hits.append(_settlement_hit(rule, row, row.setl_id,
                                        f"住院 {days} 天、医疗费 {_money(row.medfee_sumamt)} 元，不符合入院指征"))
    return hits


def ip03(session: Session, rule: Rule, scope: Scope) -> list[Hit]:
    """A manual claim for the same person, hospital, day and amount as an earlier one (the receipt claimed twice)."""
    query = (select(*SETTLEMENT_COLUMNS, Settlement.place, Settlement.setl_time)
             .where(_settled(Scope(scope.start - dt.timedelta(days=366), scope.end), manual=True),
                    Settlement.kind == SettlementKind.MANUAL.value)
             .order_by(Settlement.psn_no, Settlement.setl_time, Settlement.setl_id))
    seen: dict[tuple[Any, ...], Any] = {}
    hits = []
    for row in session.execute(query):
        key = (row.psn_no, (row.place or "").strip(), row.service_date, _money(row.medfee_sumamt))
        if key in seen and row.service_date >= scope.start:
            hits.append(_settlement_hit(rule, row, row.setl_id,
                                        f"与 {seen[key].setl_id} 同一医院（{row.place}）、同日、同金额重复报销",
                                        earlier=seen[key].setl_id))
        seen.setdefault(key, row)
    return hits


DETECTORS: dict[str, Detector] = {
    "FV01": fv01, "FV02": fv02, "FV03": fv03, "FV04": fv04, "MM02": mm02, "MM03": mm03, "MM04": mm04, "IP01": ip01,
    "IP02": ip02, "IP03": ip03, "ND02": nd02, "ND03": nd03,
}


def detect(session: Session, book: RuleBook, rules: Sequence[str] | None, scope: Scope) -> list[Hit]:
    """Every hit of the chosen rules (all when None) over the scope."""
    chosen = [rule for rule in book.rules if rules is None or rule.id in rules]
    try:
        with tuned_for_batch(session):
            hits = detect_lines(session, chosen, scope) if any(rule.id in LINE_RULES for rule in chosen) else []
            for rule in chosen:
                if rule.id in DETECTORS:
                    hits += DETECTORS[rule.id](session, rule, scope)
                if rule.id == "ND01":
                    hits += nd01_visits(session, rule, scope)
    finally:
        session.info.pop(SCAN_MEMO, None)
    return hits


def period_size(session: Session, scope: Scope) -> tuple[int, int]:
    """The period's settlements and their fee lines."""
    settlements = session.scalar(select(func.count()).select_from(Settlement).where(_settled(scope, manual=True)))
    lines = session.scalar(select(func.count()).select_from(Settlement).join(FeeDetail, _LINE_OF_SETTLEMENT)
                           .where(_settled(scope)))
    return int(settlements or 0), int(lines or 0)
