"""The audit rules at the counter (事中: 2206/2207, 2303/2304 and the desk's settlement): the rules of rules.yaml
marked `realtime` run on the visit's unsettled lines before it is priced. A `refuse` hit refuses the settlement
with its reason (AuditRuleRefused); a `warn` hit lets it go on and, at a settlement that writes, is kept as a
finding (the batch scan then does not repeat it: same fingerprint). Everything here reads through the compiled
statements (statements.Read), so it runs on the gateway's repository-only path too.

The national hooks 3101 (事前) and 3102 (事中) judge the orders of their message with the same line judges
(`judge_orders`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, or_

from yibao.audit.detect import INPATIENT, Hit, LineFacts, death_content, judge_line, line_of, swap_prices
from yibao.audit.errors import AuditRuleRefused
from yibao.audit.models import AuditFinding, FindingRecord
from yibao.audit.rules import Realtime, Rule, RuleBook, Scene, rule_book
from yibao.audit.service import FindingStatus
from yibao.institutions.models import CatalogueItemRecord, InstitutionRecord
from yibao.institutions.service import catalogue_lookup, device_standing, doctors_of
from yibao.kit.clock import now
from yibao.kit.ids import new_id
from yibao.kit.money import ZERO
from yibao.people.service import person_record
from yibao.settlement.models import (
    FeeLineRecord,
    Settlement,
    SettlementKind,
    SettlementRecord,
    SettlementStatus,
    Visit,
    VisitRecord,
    VisitStatus,
)
from yibao.settlement.repository import active_lines
from yibao.settlement.visits import service_date
from yibao.statements import Db, Insert, Read, fixed

_STAYS_ELSEWHERE = Read(VisitRecord, Visit, Visit.psn_no == bindparam("psn_no"),
                        Visit.fixmedins_code != bindparam("code"),
                        or_(*(Visit.med_type == fixed(kind) for kind in INPATIENT)),  # (no IN: compiled once)
                        Visit.status != fixed(VisitStatus.CANCELLED), Visit.begntime < bindparam("at"),
                        or_(Visit.endtime.is_(None), Visit.endtime > bindparam("at")))
_SAME_DAY = Read(SettlementRecord, Settlement, Settlement.psn_no == bindparam("psn_no"),
                 Settlement.service_date == bindparam("day"), Settlement.kind == fixed(SettlementKind.SETTLE),
                 Settlement.status == fixed(SettlementStatus.VALID))
_FINDINGS = Insert(AuditFinding, on_conflict_do_nothing=True)


def realtime_rules(book: RuleBook) -> list[Rule]:
    return [rule for rule in book.rules if rule.realtime is not Realtime.NONE]


@dataclass(frozen=True, slots=True)
class Order:
    """A line to judge: a stored fee line, or an order of a 3101/3102 message."""

    sn: str
    code: str
    cnt: Decimal
    pric: Decimal
    amount: Decimal
    in_scope: Decimal
    when: Any
    dr_code: str | None


def facts_of(db: Db, orders: Sequence[Order], *, institution: InstitutionRecord, sex: str, birth_date: Any,
             dise_codg: str | None, day: Any) -> list[LineFacts]:
    """The line facts of the orders whose code the catalogue knows (one query each for items, doctors, swaps)."""
    codes = sorted({order.code for order in orders})
    items: dict[str, tuple[CatalogueItemRecord, Decimal | None]] = catalogue_lookup(db, codes, day)
    doctors = doctors_of(db, [order.dr_code or "" for order in orders])
    swaps = swap_prices(db, codes)
    facts = []
    for order in orders:
        if order.code not in items:
            continue
        doctor = doctors.get(order.dr_code or "")
        facts.append(line_of(
            items[order.code][0], sn=order.sn, cnt=order.cnt, pric=order.pric, amount=order.amount,
            in_scope=order.in_scope, when=order.when, dr_code=order.dr_code,
            dr_registered=order.dr_code is None or (doctor is not None
                                                    and doctor.fixmedins_code == institution.fixmedins_code),
            institution_kind=institution.kind, sex=sex, birth_date=birth_date, dise_codg=dise_codg, swaps=swaps))
    return facts


def judge_orders(facts: Sequence[LineFacts], rules: Sequence[Rule]) -> list[tuple[Rule, list[tuple[LineFacts, str]]]]:
    """The rules the lines break, each with its lines and reasons, in the rule book's order."""
    found: dict[str, list[tuple[LineFacts, str]]] = {}
    for line in facts:
        for rule, reason in judge_line(rules, line):
            found.setdefault(rule.id, []).append((line, reason))
    return [(rule, found[rule.id]) for rule in rules if rule.id in found]


def _line_order(line: FeeLineRecord) -> Order:
    return Order(line.feedetl_sn, line.med_list_codg, line.cnt, line.pric, line.det_item_fee_sumamt,
                 line.inscp_scp_amt, line.fee_ocur_time, line.bilg_dr_codg)


def check_visit(db: Db, visit: VisitRecord, institution: InstitutionRecord,
                book: RuleBook | None = None, *, unsettled: bool = True, dev_no: str | None = None) -> list[Hit]:
    """The real-time rules' hits on a visit about to be settled from terminal `dev_no` (its unsettled lines;
    `unsettled=False`: all its lines, as bench/audit.py times the check on settled visits)."""
    book = book or rule_book()
    rules = realtime_rules(book)
    person = person_record(db, visit.psn_no)
    day = service_date(visit)
    lines = [line for line in active_lines(db, visit)
             if (line.setl_id is None or not unsettled) and line.det_item_fee_sumamt > 0]
    facts = facts_of(db, [_line_order(line) for line in lines], institution=institution, sex=person.sex,
                     birth_date=person.birth_date, dise_codg=visit.dise_codg, day=day)
    hits = []
    for rule, found in judge_orders(facts, rules):
        hits.append(Hit(rule.id, visit.mdtrt_id, day, "；".join(dict.fromkeys(r for _, r in found))[:500],
                        sum((line.amount for line, _ in found), ZERO), sum((line.in_scope for line, _ in found), ZERO),
                        institution.fixmedins_code, visit.psn_no, visit.mdtrt_id, None, found[0][0].dr_code,
                        {"lines": [line.feedetl_sn for line, _ in found]}))
    hits += _visit_hits(db, visit, institution, rules, day)
    hits += _device_hits(db, visit, institution, rules, day, dev_no)
    if any(rule.id == "MM04" for rule in rules) and person.death_date is not None and day > person.death_date:
        hits.append(Hit("MM04", visit.mdtrt_id, day, death_content(day, person.death_date), psn_no=visit.psn_no,
                        mdtrt_id=visit.mdtrt_id, fixmedins_code=institution.fixmedins_code))
    return hits


def _device_hits(db: Db, visit: VisitRecord, institution: InstitutionRecord, rules: Sequence[Rule], day: Any,
                 dev_no: str | None) -> list[Hit]:
    """ND03: the message comes from a terminal that is not one of the institution's."""
    if not any(rule.id == "ND03" for rule in rules):
        return []
    reason = device_standing(db, institution.fixmedins_code, dev_no)
    if reason is None:
        return []
    return [Hit("ND03", f"{visit.mdtrt_id}|{dev_no}", day, reason, psn_no=visit.psn_no, mdtrt_id=visit.mdtrt_id,
                fixmedins_code=institution.fixmedins_code, evidence={"dev_no": dev_no})]


def _visit_hits(db: Db, visit: VisitRecord, institution: InstitutionRecord, rules: Sequence[Rule],
                day: Any) -> list[Hit]:
    """FV01 (several institutions today), FV02 / MM02 (care while in hospital elsewhere)."""
    by_id = {rule.id: rule for rule in rules}
    hits = []
    if "FV01" in by_id:
        places = {row.fixmedins_code or "" for row in _SAME_DAY.all(db, psn_no=visit.psn_no, day=day)}
        places.add(institution.fixmedins_code)
        if len(places) >= int(by_id["FV01"].param("institutions")):
            hits.append(Hit("FV01", f"{visit.psn_no}|{day}", day,
                            f"同日在 {len(places)} 家定点机构结算：{'、'.join(sorted(places))}",
                            psn_no=visit.psn_no, mdtrt_id=visit.mdtrt_id, fixmedins_code=institution.fixmedins_code))
    inpatient = visit.med_type in INPATIENT
    rule = by_id.get("MM02" if inpatient else "FV02")
    if rule is not None:
        for stay in _STAYS_ELSEWHERE.all(db, psn_no=visit.psn_no, code=institution.fixmedins_code,
                                         at=visit.begntime):
            hits.append(Hit(rule.id, visit.mdtrt_id, day,
                            f"{visit.begntime:%Y-%m-%d %H:%M} 就诊时正在 {stay.fixmedins_code} 住院"
                            f"（{stay.begntime:%Y-%m-%d} 入院）", psn_no=visit.psn_no, mdtrt_id=visit.mdtrt_id,
                            fixmedins_code=institution.fixmedins_code, evidence={"stay": stay.mdtrt_id}))
            break
    return hits


def enforce(db: Db, visit: VisitRecord, institution: InstitutionRecord, *, record: bool,
            book: RuleBook | None = None, dev_no: str | None = None) -> list[Hit]:
    """Refuse on the first `refuse` hit; otherwise return the warnings, kept as findings when `record`."""
    book = book or rule_book()
    hits = check_visit(db, visit, institution, book, dev_no=dev_no)
    for hit in hits:
        rule = book.rule(hit.rule_id)
        if rule.realtime is Realtime.REFUSE:
            raise AuditRuleRefused(rule_id=rule.id, rule_name=rule.name, content=hit.content)
    if record and hits:
        moment = now()
        _FINDINGS.rows(db, [FindingRecord(
            new_id(), hit.rule_id, book.rule(hit.rule_id).type, Scene.DURING.value, book.rule(hit.rule_id).severity,
            hit.fixmedins_code, hit.dr_code, hit.psn_no, hit.mdtrt_id, hit.setl_id, hit.service_date, hit.vola_amt,
            hit.fund_amt, hit.content, json.dumps(hit.evidence, ensure_ascii=False, default=str), hit.fingerprint,
            FindingStatus.OPEN.value, None, None, None, None, moment) for hit in hits])
    return hits
