"""Constructed care for the audit tests: settled visits and stays with the lines, doctors, times and diagnoses a
rule looks at; restricted catalogue items; a rule book with a rule's parameters tuned."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.settlement.test_services import AMOXICILLIN, COMMUNITY, fee
from yibao.audit.detect import Scope, detect
from yibao.audit.models import SwapListEntry
from yibao.audit.rules import Cited, RuleBook, rule_book
from yibao.demo import ensure_demo_institutions
from yibao.institutions.models import CatalogueItem
from yibao.institutions.service import add_catalogue_item, get_institution
from yibao.kit.clock import now
from yibao.people.service import person_record
from yibao.policy.editions import Editions
from yibao.settlement.fees import FeeIn, upload_fees
from yibao.settlement.models import Settlement, SettlementRecord
from yibao.settlement.settle import settle_visit
from yibao.settlement.visits import discharge_visit, open_visit

YEAR = Scope(dt.date(2022, 1, 1), dt.date(2022, 12, 31))
PHARMACY, TCM, XIKOU = "P33021300001", "H33021300002", "H33021300004"
FEMALE_ONLY, CHILD_ONLY, INDICATION, SECOND_LINE = "XG03TEST0001", "XR05CHILD001", "XL01LIMIT001", "XJ01SECOND01"
MATERNITY, INJURY = "XG02MATERN01", "XINJURY00001"
PARACETAMOL, BLOOD_TEST = "XN02BEA011A001010101234", "002301000010000"
RESTRICTED = (  # code, name, restrictions
    (FEMALE_ONLY, "雌二醇凝胶（限女性）", {"lmt_sex": "2"}),
    (CHILD_ONLY, "小儿氨酚黄那敏颗粒（限14岁以下）", {"lmt_age_max": 14}),
    (INDICATION, "注射用曲妥珠单抗（限乳腺癌、胃癌）", {"lmt_diagnoses": "C50,C16"}),
    (SECOND_LINE, "头孢哌酮舒巴坦（限二线）", {"lmt_first_line": AMOXICILLIN}),
    (MATERNITY, "缩宫素注射液（限生育）", {"lmt_scope": "maternity", "lmt_sex": "2"}),
    (INJURY, "烧伤敷料（限工伤）", {"lmt_scope": "injury"}),
)


def audit_world(session: Session) -> None:
    """The demo institutions, the restricted items above, a quantity norm, and a swap-list entry."""
    ensure_demo_institutions(session)
    for code, name, limits in RESTRICTED:
        item = add_catalogue_item(session, code=code, name=name, item_class="A", category="drug")
        for key, value in limits.items():
            setattr(item, key, value)
    paracetamol = session.get(CatalogueItem, PARACETAMOL)
    assert paracetamol is not None
    paracetamol.norm_cnt = Decimal("10")
    if session.get(SwapListEntry, (AMOXICILLIN, "蛋白粉（自费保健品）")) is None:  # the demo's entry (88 yuan)
        session.add(SwapListEntry(covered_code=AMOXICILLIN, goods_name="蛋白粉（自费保健品）",
                                  goods_price=Decimal("88"), source="测试", added_by="t", added_at=now()))
    session.flush()


def line(sn: str, code: str = AMOXICILLIN, *, day: str = "2022-06-15", count: str = "2", price: str = "40",
         doctor: str | None = None) -> FeeIn:
    base = fee(sn, day=day, code=code, count=count, price=price)
    return FeeIn(base.feedetl_sn, base.fee_ocur_time, base.med_list_codg, base.cnt, base.pric,
                 base.det_item_fee_sumamt, bilg_dr_codg=doctor)


def settled(session: Session, editions: Editions, psn_no: str, *, code: str = COMMUNITY, day: str = "2022-06-15",
            lines: Sequence[FeeIn] | None = None, med_type: str | None = None, until: str | None = None,
            at: str = "09:00", dev_no: str | None = None, **details: Any) -> SettlementRecord:
    """A visit (or, with `until`, an inpatient stay discharged that day) settled with its lines."""
    institution = get_institution(session, code)
    kind = med_type or ("21" if until else "41" if institution.kind == "pharmacy" else "11")
    visit = open_visit(session, editions, institution=institution, psn_no=psn_no, med_type=kind,
                       begntime=dt.datetime.fromisoformat(f"{day} {at}"), cert_type="02",
                       cert_no=person_record(session, psn_no).certno, **details)
    upload_fees(session, editions, visit, list(lines or [line("F1", day=day)]), msgid=None)
    if until:
        visit = discharge_visit(session, visit, dt.datetime.fromisoformat(f"{until} 10:00"))
    row = settle_visit(session, editions, visit, expected_total=None, msgid=None, actor="t", dev_no=dev_no)
    moment = f"{until} 10:20:00" if until else f"{day} {at}:00"
    at_time(session, row.setl_id, moment)  # stamped at its care's time, not the clock's
    return row._replace(setl_time=dt.datetime.fromisoformat(moment))


def at_time(session: Session, setl_id: str, moment: str) -> None:
    session.execute(update(Settlement).where(Settlement.setl_id == setl_id)
                    .values(setl_time=dt.datetime.fromisoformat(moment)))
    session.expire_all()


def tuned(rule_id: str, **params: Any) -> RuleBook:
    """The packaged rule book with some parameters of one rule changed (a test's smaller thresholds)."""
    book = rule_book()
    rules = []
    for rule in book.rules:
        if rule.id == rule_id:
            values = {**rule.params, **{k: Cited(value=v, source="测试") for k, v in params.items()}}
            rule = rule.model_copy(update={"params": values})
        rules.append(rule)
    return book.model_copy(update={"rules": tuple(rules)})


def hits(session: Session, rule_id: str, book: RuleBook | None = None, scope: Scope = YEAR) -> dict[str, Any]:
    """The rule's hits by key."""
    return {hit.key: hit for hit in detect(session, book or rule_book(), [rule_id], scope) if hit.rule_id == rule_id}
