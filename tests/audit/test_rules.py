"""Each audit rule (rules.yaml, POLICY.md §12) on both databases: a constructed case that should hit and one beside
it that should not; a scan keeps each hit once however often it runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tests.audit.helpers import (
    BLOOD_TEST,
    CHILD_ONLY,
    FEMALE_ONLY,
    INDICATION,
    INJURY,
    MATERNITY,
    PARACETAMOL,
    PHARMACY,
    SECOND_LINE,
    TCM,
    XIKOU,
    at_time,
    audit_world,
    hits,
    line,
    settled,
    tuned,
)
from tests.gateway.his import insured
from tests.settlement.test_services import COMMUNITY, PEOPLES, refused
from yibao.audit import service
from yibao.audit.models import AuditFinding
from yibao.audit.rules import parse_rules, rule_book
from yibao.enrollment.models import Enrollment
from yibao.institutions.models import Device
from yibao.institutions.service import register_device, retire_device
from yibao.people.service import record_death
from yibao.policy.chain import FeeLine, ItemClass
from yibao.policy.editions import Benefit, Editions, Level
from yibao.settlement.manual import manual_reimbursement

DOCTOR = f"D{COMMUNITY}01"  # the demo's doctor of the community centre


@pytest.fixture
def world(session: Session) -> Session:
    audit_world(session)
    return session


def test_the_rule_book_names_every_parameter_with_its_source() -> None:
    book = rule_book()
    assert {rule.type for rule in book.rules} == set(book.types)
    assert all(p.source for rule in book.rules for p in rule.params.values())
    assert book.doctor_points.per_year.value == 12 and "ASSUMPTION" in book.doctor_points.per_year.source
    with pytest.raises(ValueError, match="违规类型"):
        parse_rules("legal_basis: x\nsource: y\ntypes: {}\nsanctions: {}\n"
                    "doctor_points: {per_year: {value: 12, source: ab}, at_zero: {value: x, source: ab}}\n"
                    "rules: [{id: XX01, name: n, type: nope, scene: after, severity: '1', realtime: none, params: {}}]")


# --- 虚增服务人头 / 虚假就医


def test_fv01_several_institutions_on_one_day(world: Session, editions: Editions) -> None:
    many, two = insured(world), insured(world)
    for code in (COMMUNITY, PEOPLES, TCM):
        settled(world, editions, many.psn_no, code=code)
    for code in (COMMUNITY, PEOPLES):
        settled(world, editions, two.psn_no, code=code)
    found = hits(world, "FV01")
    assert list(found) == [f"{many.psn_no}|2022-06-15"]
    assert len(found[f"{many.psn_no}|2022-06-15"].evidence["settlements"]) == 3


def test_fv02_outpatient_care_while_in_hospital_elsewhere(world: Session, editions: Editions) -> None:
    person = insured(world)
    settled(world, editions, person.psn_no, code=PEOPLES, day="2022-06-10", until="2022-06-20")
    during = settled(world, editions, person.psn_no, day="2022-06-15")
    after = settled(world, editions, person.psn_no, day="2022-06-25")
    found = hits(world, "FV02")
    assert during.setl_id in found and after.setl_id not in found
    assert found[during.setl_id].evidence["stay_at"] == PEOPLES


def test_fv03_a_day_far_above_the_institutions_own_history(world: Session, editions: Editions) -> None:
    book = tuned("FV03", minimum=3, factor=2)
    people = [insured(world) for _ in range(4)]
    settled(world, editions, people[0].psn_no, code=XIKOU, day="2022-06-01")
    settled(world, editions, people[1].psn_no, code=XIKOU, day="2022-06-05")
    for person in people:  # 4 on the 20th against a baseline of 2/28 a day
        settled(world, editions, person.psn_no, code=XIKOU, day="2022-06-20")
    for person in people[:2]:  # the community centre: 2 a day is below the minimum of 3
        settled(world, editions, person.psn_no, day="2022-06-20")
    found = hits(world, "FV03", book)
    assert f"机构|{XIKOU}|2022-06-20" in found
    assert not any(COMMUNITY in key for key in found)
    assert found[f"机构|{XIKOU}|2022-06-20"].evidence["heads"] == 4


def test_fv04_many_persons_with_identical_fee_lines(world: Session, editions: Editions) -> None:
    book = tuned("FV04", persons=3)
    same = [line("F1"), line("F2", PARACETAMOL, count="1", price="5"), line("F3", BLOOD_TEST, count="1", price="25")]
    for _ in range(3):
        settled(world, editions, insured(world).psn_no, lines=same)
    for _ in range(2):  # two more at the people's hospital: fewer than three
        settled(world, editions, insured(world).psn_no, code=PEOPLES, lines=same)
    other = [line("F1", count="3"), *same[1:]]
    settled(world, editions, insured(world).psn_no, lines=other)
    found = list(hits(world, "FV04", book).values())
    assert len(found) == 1 and found[0].fixmedins_code == COMMUNITY and len(found[0].evidence["persons"]) == 3


# --- 串换


def test_sw01_a_pharmacy_billing_a_service(world: Session, editions: Editions) -> None:
    person = insured(world)
    service_line = settled(world, editions, person.psn_no, code=PHARMACY,
                           lines=[line("F1"), line("F2", BLOOD_TEST, count="1", price="25")])
    drugs = settled(world, editions, person.psn_no, code=PHARMACY, day="2022-06-16",
                    lines=[line("F1", day="2022-06-16")])
    clinic = settled(world, editions, person.psn_no, lines=[line("F1", BLOOD_TEST, count="1", price="25")])
    found = hits(world, "SW01")
    assert list(found) == [service_line.mdtrt_id]
    hit = found[service_line.mdtrt_id]
    assert hit.evidence["lines"] == ["F2"] and str(hit.vola_amt) == "25.00"
    assert drugs.mdtrt_id not in found and clinic.mdtrt_id not in found


def test_sw02_a_covered_item_billed_at_a_self_pay_goods_price(world: Session, editions: Editions) -> None:
    person = insured(world)
    swapped = settled(world, editions, person.psn_no, lines=[line("F1", count="1", price="88")])
    usual = settled(world, editions, person.psn_no, day="2022-06-16", lines=[line("F1", day="2022-06-16", price="12")])
    found = hits(world, "SW02")
    assert swapped.mdtrt_id in found and usual.mdtrt_id not in found
    assert "蛋白粉" in found[swapped.mdtrt_id].content


def test_sw03_price_or_quantity_far_outside_the_norm(world: Session, editions: Editions) -> None:
    person = insured(world)
    too_many = settled(world, editions, person.psn_no, lines=[line("F1", PARACETAMOL, count="30", price="1")])
    too_dear = settled(world, editions, person.psn_no, day="2022-06-16",
                       lines=[line("F1", BLOOD_TEST, day="2022-06-16", count="1", price="60")])  # ceiling 25
    fine = settled(world, editions, person.psn_no, day="2022-06-17",
                   lines=[line("F1", PARACETAMOL, day="2022-06-17", count="10", price="1"),
                          line("F2", BLOOD_TEST, day="2022-06-17", count="1", price="30")])
    found = hits(world, "SW03")
    assert too_many.mdtrt_id in found and too_dear.mdtrt_id in found and fine.mdtrt_id not in found


# --- 违规开具限用药品


def test_rd01_an_item_for_one_sex_billed_for_the_other(world: Session, editions: Editions) -> None:
    man, woman = insured(world), insured(world, sex="2")
    wrong = settled(world, editions, man.psn_no, lines=[line("F1", FEMALE_ONLY)])
    right = settled(world, editions, woman.psn_no, lines=[line("F1", FEMALE_ONLY)])
    assert list(hits(world, "RD01")) == [wrong.mdtrt_id] and right.mdtrt_id


def test_rd02_a_childrens_item_billed_for_an_adult(world: Session, editions: Editions) -> None:
    adult, child = insured(world), insured(world, birth="2015-03-01")
    wrong = settled(world, editions, adult.psn_no, lines=[line("F1", CHILD_ONLY)])
    settled(world, editions, child.psn_no, lines=[line("F1", CHILD_ONLY)])
    found = hits(world, "RD02")
    assert list(found) == [wrong.mdtrt_id] and "47 岁" in found[wrong.mdtrt_id].content


def test_rd03_an_indication_the_diagnosis_does_not_meet(world: Session, editions: Editions) -> None:
    person = insured(world, sex="2")
    wrong = settled(world, editions, person.psn_no, lines=[line("F1", INDICATION)], dise_codg="J06.9")
    right = settled(world, editions, person.psn_no, day="2022-06-16", lines=[line("F1", INDICATION, day="2022-06-16")],
                    dise_codg="C50.9")
    found = hits(world, "RD03")
    assert wrong.mdtrt_id in found and right.mdtrt_id not in found


def test_rd04_a_second_line_drug_without_the_first_line_before(world: Session, editions: Editions) -> None:
    tried, untried = insured(world), insured(world)
    settled(world, editions, tried.psn_no, day="2022-06-01", lines=[line("F1", day="2022-06-01")])
    right = settled(world, editions, tried.psn_no, lines=[line("F1", SECOND_LINE)])
    wrong = settled(world, editions, untried.psn_no, lines=[line("F1", SECOND_LINE)])
    found = hits(world, "RD04")
    assert wrong.mdtrt_id in found and right.mdtrt_id not in found


def test_rd05_items_limited_to_injury_or_maternity_insurance(world: Session, editions: Editions) -> None:
    woman = insured(world, sex="2")
    injury = settled(world, editions, woman.psn_no, lines=[line("F1", INJURY)])
    plain = settled(world, editions, woman.psn_no, day="2022-06-16", lines=[line("F1", day="2022-06-16")])
    found = hits(world, "RD05")
    assert injury.mdtrt_id in found and plain.mdtrt_id not in found


# --- 为非定点单位刷卡


def test_nd01_a_doctor_not_registered_at_the_institution(world: Session, editions: Editions) -> None:
    person = insured(world)
    stranger = settled(world, editions, person.psn_no, lines=[line("F1", doctor="D999")])
    own = settled(world, editions, person.psn_no, day="2022-06-16", lines=[line("F1", day="2022-06-16", doctor=DOCTOR)])
    elsewhere = settled(world, editions, person.psn_no, day="2022-06-17", atddr_no=f"D{PEOPLES}01",
                        lines=[line("F1", day="2022-06-17")])
    found = hits(world, "ND01")
    assert stranger.mdtrt_id in found and f"{elsewhere.mdtrt_id}|attending" in found
    assert own.mdtrt_id not in found and f"{own.mdtrt_id}|attending" not in found


def test_nd02_settled_when_the_institution_is_closed(world: Session, editions: Editions) -> None:
    person = insured(world)
    night = settled(world, editions, person.psn_no)
    day = settled(world, editions, person.psn_no, day="2022-06-16", lines=[line("F1", day="2022-06-16")])
    hospital = settled(world, editions, person.psn_no, code=PEOPLES)
    at_time(world, night.setl_id, "2022-06-15 03:10:00")
    at_time(world, day.setl_id, "2022-06-16 10:00:00")
    at_time(world, hospital.setl_id, "2022-06-15 03:30:00")
    assert list(hits(world, "ND02")) == [night.setl_id]


def test_nd03_settled_at_a_terminal_that_is_not_the_institutions(world: Session, editions: Editions) -> None:
    person = insured(world)
    register_device(world, fixmedins_code=COMMUNITY, dev_no="T-JP-1", name="收费处1号窗口")
    register_device(world, fixmedins_code=COMMUNITY, dev_no="T-JP-OLD", name="旧终端")
    register_device(world, fixmedins_code=PEOPLES, dev_no="T-RM-1", name="门诊收费处")
    world.execute(update(Device).values(registered_at=dt.datetime(2022, 1, 1)))
    retire_device(world, fixmedins_code=COMMUNITY, dev_no="T-JP-OLD")
    world.execute(update(Device).where(Device.dev_no == "T-JP-OLD").values(retired_at=dt.datetime(2022, 6, 1)))
    own = settled(world, editions, person.psn_no, dev_no="T-JP-1")
    theirs = settled(world, editions, person.psn_no, day="2022-06-16", lines=[line("F1", day="2022-06-16")],
                     dev_no="T-RM-1")
    unknown = settled(world, editions, person.psn_no, day="2022-06-17", lines=[line("F1", day="2022-06-17")],
                      dev_no="LAPTOP-9")
    old = settled(world, editions, person.psn_no, day="2022-06-18", lines=[line("F1", day="2022-06-18")],
                  dev_no="T-JP-OLD")
    settled(world, editions, person.psn_no, day="2022-06-19", lines=[line("F1", day="2022-06-19")])  # names none
    settled(world, editions, person.psn_no, code=PEOPLES, day="2022-06-20", lines=[line("F1", day="2022-06-20")],
            dev_no="T-RM-1")
    settled(world, editions, person.psn_no, code=PHARMACY, day="2022-06-21",  # registers no terminals
            lines=[line("F1", day="2022-06-21")], dev_no="ANYTHING")
    found = hits(world, "ND03")
    assert sorted(found) == sorted([f"{theirs.mdtrt_id}|T-RM-1", f"{unknown.mdtrt_id}|LAPTOP-9",
                                    f"{old.mdtrt_id}|T-JP-OLD"]), found
    assert f"登记在 {PEOPLES}" in found[f"{theirs.mdtrt_id}|T-RM-1"].content
    assert "未在" in found[f"{unknown.mdtrt_id}|LAPTOP-9"].content
    assert "已于 2022-06-01 停用" in found[f"{old.mdtrt_id}|T-JP-OLD"].content
    assert own.mdtrt_id not in str(found)
    world.execute(update(Device).values(registered_at=dt.datetime(2022, 6, 17, 12)))  # after some of them
    assert sorted(hits(world, "ND03")) == [f"{old.mdtrt_id}|T-JP-OLD"]  # from the first registration on


def test_terminals_are_registered_once_and_retired_by_their_owner(world: Session) -> None:
    register_device(world, fixmedins_code=COMMUNITY, dev_no="T-JP-1", name="收费处")
    refused("device_taken", lambda: register_device(world, fixmedins_code=PEOPLES, dev_no="T-JP-1", name="x"))
    refused("invalid_input", lambda: register_device(world, fixmedins_code=COMMUNITY, dev_no=" ", name="x"))
    refused("institution_not_found", lambda: register_device(world, fixmedins_code="H000", dev_no="T-2", name="x"))
    refused("device_not_found", lambda: retire_device(world, fixmedins_code=PEOPLES, dev_no="T-JP-1"))
    retire_device(world, fixmedins_code=COMMUNITY, dev_no="T-JP-1")
    assert register_device(world, fixmedins_code=PEOPLES, dev_no="T-JP-1", name="调拨").fixmedins_code == PEOPLES


# --- 人卡不符 / 弄虚作假


def test_mm04_care_after_the_persons_death(world: Session, editions: Editions) -> None:
    person, other = insured(world), insured(world)
    before = settled(world, editions, person.psn_no, day="2022-06-05", lines=[line("F1", day="2022-06-05")])
    after = settled(world, editions, person.psn_no)  # 06-15: someone used the card of a man who died on 06-10
    settled(world, editions, other.psn_no)
    refused("invalid_input", lambda: record_death(world, psn_no=person.psn_no, died_on=dt.date(2999, 1, 1),
                                                  source="家属申报"))
    refused("invalid_input", lambda: record_death(world, psn_no=person.psn_no, died_on=dt.date(2022, 6, 10),
                                                  source=" "))
    assert hits(world, "MM04") == {}
    record_death(world, psn_no=person.psn_no, died_on=dt.date(2022, 6, 10), source="民政殡葬信息")
    found = hits(world, "MM04")
    assert list(found) == [after.setl_id] and "已于 2022-06-10 死亡" in found[after.setl_id].content
    assert before.setl_id not in found


def test_mm01_maternity_items_for_a_man(world: Session, editions: Editions) -> None:
    man, woman = insured(world), insured(world, sex="2")
    wrong = settled(world, editions, man.psn_no, lines=[line("F1", MATERNITY)])
    settled(world, editions, woman.psn_no, lines=[line("F1", MATERNITY)])
    assert list(hits(world, "MM01")) == [wrong.mdtrt_id]
    assert wrong.mdtrt_id not in hits(world, "RD01")  # one violation, one rule


def test_mm02_two_stays_at_once_in_two_hospitals(world: Session, editions: Editions) -> None:
    person, other = insured(world), insured(world)
    settled(world, editions, person.psn_no, code=PEOPLES, day="2022-06-10", until="2022-06-20")
    overlap = settled(world, editions, person.psn_no, code=TCM, day="2022-06-12", until="2022-06-14")
    settled(world, editions, other.psn_no, code=PEOPLES, day="2022-06-10", until="2022-06-12")
    apart = settled(world, editions, other.psn_no, code=TCM, day="2022-06-13", until="2022-06-14")
    found = hits(world, "MM02")
    assert overlap.setl_id in found and apart.setl_id not in found


def test_mm03_settled_on_a_day_without_a_live_enrollment(world: Session, editions: Editions) -> None:
    gone, kept = insured(world), insured(world)
    cancelled = settled(world, editions, gone.psn_no)
    settled(world, editions, kept.psn_no)
    world.execute(update(Enrollment).where(Enrollment.psn_no == gone.psn_no).values(status="cancelled"))
    assert list(hits(world, "MM03")) == [cancelled.setl_id]


# --- 参保人员


def test_ip01_readmission_for_the_same_diagnosis_within_15_days(world: Session, editions: Editions) -> None:
    person, other = insured(world), insured(world)
    settled(world, editions, person.psn_no, code=PEOPLES, day="2022-05-01", until="2022-05-08", dise_codg="I63.9")
    again = settled(world, editions, person.psn_no, code=PEOPLES, day="2022-05-20", until="2022-05-28",
                    dise_codg="I63.9")
    settled(world, editions, other.psn_no, code=PEOPLES, day="2022-05-01", until="2022-05-08", dise_codg="I63.9")
    later = settled(world, editions, other.psn_no, code=PEOPLES, day="2022-05-30", until="2022-06-03",
                    dise_codg="I63.9")
    found = hits(world, "IP01")
    assert again.setl_id in found and later.setl_id not in found


def test_ip02_a_stay_too_short_and_cheap_for_admission(world: Session, editions: Editions) -> None:
    person = insured(world)
    short = settled(world, editions, person.psn_no, code=PEOPLES, day="2022-06-01", until="2022-06-02",
                    lines=[line("F1", day="2022-06-01", count="1", price="300")])
    real = settled(world, editions, person.psn_no, code=PEOPLES, day="2022-06-10", until="2022-06-15",
                   lines=[line("F1", day="2022-06-10", count="1", price="300")])
    found = hits(world, "IP02")
    assert short.setl_id in found and real.setl_id not in found


def test_ip03_the_same_receipt_claimed_twice(world: Session, editions: Editions) -> None:
    person = insured(world)

    def claim(amount: str, place: str = "上海市第六人民医院") -> str:
        return manual_reimbursement(world, editions, psn_no=person.psn_no, benefit=Benefit.OUTPATIENT,
                                    service_date=dt.date(2022, 6, 15), level=Level.OTHER, region="zhejiang",
                                    lines=(FeeLine(Decimal(amount), ItemClass.A),),
                                    place=place, actor="t").setl_id
    once, twice = claim("200"), claim("200")  # settled within one second: either is "the second"
    other = claim("150")
    found = hits(world, "IP03")
    assert len(found) == 1 and set(found) <= {once, twice} and other not in found


# --- the scan


def test_a_scan_keeps_each_finding_once(world: Session, editions: Editions) -> None:
    person = insured(world)
    settled(world, editions, person.psn_no, lines=[line("F1", FEMALE_ONLY)])
    first = service.run_scan(world, start=dt.date(2022, 6, 1), end=dt.date(2022, 6, 30), actor="auditor")
    again = service.run_scan(world, start=dt.date(2022, 6, 1), end=dt.date(2022, 6, 30), actor="auditor")
    assert first.findings >= 1 and again.findings == 0 and first.fee_lines == 1 and first.settlements == 1
    assert world.scalar(select(func.count()).select_from(AuditFinding).where(AuditFinding.rule_id == "RD01")) == 1


def test_a_scan_refuses_a_bad_period_or_an_unknown_rule(world: Session) -> None:
    refused("scan_period_invalid", lambda: service.run_scan(world, start=dt.date(2022, 6, 30), end=dt.date(2022, 6, 1),
                                                            actor="a"))
    refused("scan_period_invalid", lambda: service.run_scan(world, start=dt.date(2021, 1, 1), end=dt.date(2022, 6, 1),
                                                            actor="a"))
    refused("unknown_rule", lambda: service.run_scan(world, start=dt.date(2022, 6, 1), end=dt.date(2022, 6, 2),
                                                     actor="a", rules=["ZZ99"]))
    assert world.scalar(select(func.count()).select_from(AuditFinding)) == 0
