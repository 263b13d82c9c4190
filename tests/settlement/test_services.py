"""The settlement services called directly (no door in between), on both databases: every refusal is a named
error with its stable code (settlement/errors.py) and writes nothing; the visit's life (VisitStatus) as the
services change it; the typed undo records of reversal (2601)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.gateway.his import insured
from tests.registry.helpers import person as registered
from yibao.accounts.ledger import ledger_balances, unbalanced_entries
from yibao.adapters.gateway.undo import (
    CancelSettlement,
    ReinstateSettlement,
    RestoreDischarge,
    RestoreFees,
    RestoreVisitInfo,
    RestoreVisitStatus,
    RevokeFiling,
    undo_from_json,
)
from yibao.demo import ensure_demo_institutions
from yibao.enrollment.models import Enrollment
from yibao.enrollment.service import EnrollmentRequest, enroll_person
from yibao.errors import Conflict, InvalidInput, NotFound, Refused
from yibao.filings.service import file_cross_region, file_special_disease, revoke_special_disease
from yibao.institutions.service import get_institution, set_agreement
from yibao.kit.errors import DomainError
from yibao.people.service import person_record
from yibao.policy.chain import FeeLine
from yibao.policy.editions import Benefit, Editions, Level
from yibao.settlement import errors
from yibao.settlement.estimate import estimate_benefit
from yibao.settlement.fees import FeeIn, delete_fees, restore_fee_lines, upload_fees
from yibao.settlement.manual import manual_reimbursement
from yibao.settlement.models import FeeDetail, FeeStatus, Settlement, Visit, VisitStatus
from yibao.settlement.settle import (
    cancel_settlement,
    presettle,
    read_accumulators,
    reinstate_settlement,
    settle_visit,
)
from yibao.settlement.visits import (
    cancel_visit,
    change_visit_info,
    discharge_visit,
    open_visit,
    restore_visit_status,
    undo_discharge,
    visit_record,
)

COMMUNITY, HUASHAN = "H33021300003", "H31000000001"  # HUASHAN: another province
PEOPLES = "H33021300001"  # 奉化区人民医院
AMOXICILLIN = "XJ01CAA040A001010101445"  # 甲类


@pytest.fixture
def world(session: Session) -> Session:
    ensure_demo_institutions(session)
    session.flush()
    return session


def refused(code: str, action: Callable[[], Any]) -> DomainError:
    """`action` raises the named error with `code` (and nothing else)."""
    with pytest.raises(DomainError) as caught:
        action()
    assert caught.value.code == code, caught.value.message
    return caught.value


def visit_at(session: Session, editions: Editions, psn_no: str, *, code: str = COMMUNITY, day: str = "2022-06-15",
             med_type: str = "11") -> Visit:
    return open_visit(session, editions, institution=get_institution(session, code), psn_no=psn_no,
                      med_type=med_type, begntime=dt.datetime.fromisoformat(f"{day} 09:00"), cert_type="02",
                      cert_no=person_record(session, psn_no).certno)


def fee(sn: str, day: str = "2022-06-15", code: str = AMOXICILLIN, count: str = "2", price: str = "40") -> FeeIn:
    cnt, pric = Decimal(count), Decimal(price)
    return FeeIn(sn, dt.datetime.fromisoformat(f"{day} 10:00"), code, cnt, pric, (cnt * pric).quantize(Decimal("0.01")))


def counts(session: Session) -> tuple[int, ...]:
    return tuple(session.scalar(select(func.count()).select_from(t)) or 0 for t in (Visit, FeeDetail, Settlement))


# --- standing: who, when, where


def test_a_person_without_enrollment_is_refused_as_not_insured(world: Session, editions: Editions) -> None:
    person = registered(world)
    error = refused("not_insured", lambda: visit_at(world, editions, person.psn_no))
    assert isinstance(error, errors.NotInsured) and isinstance(error, Refused)
    assert "2022 年度未参保" in error.message and error.field == "psn_no"


def test_an_unpaid_enrollment_is_refused_as_contribution_unpaid(world: Session, editions: Editions) -> None:
    person = registered(world)
    enroll_person(world, editions, EnrollmentRequest(person.psn_no, 2022, dt.date(2021, 10, 10), "window"), actor="t")
    refused("contribution_unpaid", lambda: visit_at(world, editions, person.psn_no))


def test_care_before_the_benefit_period_is_refused(world: Session, editions: Editions) -> None:
    person = insured(world)
    enrollment = world.scalars(select(Enrollment).where(Enrollment.psn_no == person.psn_no)).one()
    enrollment.benefit_start = dt.date(2022, 4, 1)  # as after a late enrollment's waiting period (POLICY.md §3)
    world.flush()
    error = refused("outside_benefit_period", lambda: visit_at(world, editions, person.psn_no, day="2022-03-01"))
    assert error.facts["start"] == dt.date(2022, 4, 1)


def test_a_suspended_and_a_terminated_institution_refuse_settlement(world: Session, editions: Editions) -> None:
    person = insured(world)
    set_agreement(world, code=COMMUNITY, status="suspended", until=dt.date(2022, 6, 30), reason="稽查")
    refused("institution_suspended", lambda: visit_at(world, editions, person.psn_no))
    assert visit_at(world, editions, person.psn_no, day="2022-07-01").status == VisitStatus.OPEN  # after it
    set_agreement(world, code=COMMUNITY, status="terminated", reason="稽查")
    refused("institution_terminated", lambda: visit_at(world, editions, person.psn_no, day="2022-07-02"))


def test_care_in_another_province_needs_a_cross_region_filing(world: Session, editions: Editions) -> None:
    person = insured(world)
    error = refused("no_cross_region_filing", lambda: visit_at(world, editions, person.psn_no, code=HUASHAN))
    assert isinstance(error, errors.NoCrossRegionFiling) and error.field == "fixmedins_code"
    file_cross_region(world, psn_no=person.psn_no, reason="referral", place="上海市", begndate=dt.date(2022, 6, 1))
    assert visit_at(world, editions, person.psn_no, code=HUASHAN).fixmedins_code == HUASHAN


def test_special_disease_care_needs_its_filing(world: Session, editions: Editions) -> None:
    person = insured(world)
    refused("no_special_disease_filing", lambda: visit_at(world, editions, person.psn_no, med_type="14"))
    visit = visit_at(world, editions, person.psn_no)
    refused("no_special_disease_filing", lambda: change_visit_info(world, editions, visit, med_type="14",
                                                                   dise_codg=None, dise_name=None))
    file_special_disease(world, psn_no=person.psn_no, disease_code="M01600",
                         fixmedins_code=COMMUNITY, begndate=dt.date(2022, 1, 1))
    changed = change_visit_info(world, editions, visit, med_type="14", dise_codg="M01600", dise_name=None)
    assert (changed.med_type, changed.dise_codg, changed.dise_name) == ("14", "M01600", "糖尿病")
    assert (changed.med_type, changed.dise_codg) == (
        visit_record(world, visit.mdtrt_id).med_type, visit_record(world, visit.mdtrt_id).dise_codg)


def test_special_disease_filings_come_from_the_list_and_bind(world: Session, editions: Editions) -> None:
    """Issue 17 item 3 (POLICY.md §5, §9; S22 §5 "门诊特殊病种治疗……应事先办理相关备案手续"; S18 §4 "门诊特殊病种
    治疗项目同城镇职工基本医疗保险"): the disease comes from the national 门慢门特 list (1309), the claim must name a
    filed disease, and a filing that names the institution of treatment binds to it."""
    from yibao.filings.models import SpecialDiseaseFiling

    person = insured(world)

    def filed() -> int:
        return int(world.scalar(select(func.count()).select_from(SpecialDiseaseFiling)) or 0)

    before = filed()
    refused("disease_not_in_list", lambda: file_special_disease(
        world, psn_no=person.psn_no, disease_code="M99999", fixmedins_code=COMMUNITY, begndate=dt.date(2022, 1, 1)))
    refused("disease_name_mismatch", lambda: file_special_disease(
        world, psn_no=person.psn_no, disease_code="M03900", disease_name="糖尿病", fixmedins_code=COMMUNITY,
        begndate=dt.date(2022, 1, 1)))
    assert filed() == before  # nothing written
    hypertension = file_special_disease(world, psn_no=person.psn_no, disease_code="m03900", fixmedins_code=COMMUNITY,
                                        begndate=dt.date(2022, 1, 1), designated_fixmedins_code=COMMUNITY)
    assert (hypertension.disease_code, hypertension.disease_name) == ("M03900", "高血压病")  # the list's name

    error = refused("special_disease_elsewhere", lambda: visit_at(world, editions, person.psn_no, code=PEOPLES,
                                                                  med_type="14"))
    assert "锦屏街道社区卫生服务中心" in error.message
    visit = visit_at(world, editions, person.psn_no, med_type="14")
    refused("disease_not_filed", lambda: change_visit_info(world, editions, visit, med_type="14", dise_codg="M01600",
                                                           dise_name=None))
    named = change_visit_info(world, editions, visit, med_type="14", dise_codg=None, dise_name=None)
    assert (named.dise_codg, named.dise_name) == ("M03900", "高血压病")  # the one filed disease (ASSUMPTION)

    file_special_disease(world, psn_no=person.psn_no, disease_code="M01600", fixmedins_code=PEOPLES,
                         begndate=dt.date(2022, 1, 1))  # no institution named: anywhere in the district
    elsewhere = visit_at(world, editions, person.psn_no, code=PEOPLES, med_type="14")
    refused("special_disease_unnamed", lambda: change_visit_info(world, editions, elsewhere, med_type="14",
                                                                 dise_codg=None, dise_name=None))
    refused("special_disease_elsewhere", lambda: change_visit_info(world, editions, elsewhere, med_type="14",
                                                                   dise_codg="M03900", dise_name=None))
    diabetes = change_visit_info(world, editions, elsewhere, med_type="14", dise_codg="M01600", dise_name=None)
    upload_fees(world, editions, diabetes, [fee("SD1")], msgid=None)
    assert settle_visit(world, editions, diabetes, expected_total=None, msgid=None, actor="t").hifp_pay > 0
    upload_fees(world, editions, named, [fee("SD2")], msgid=None)
    revoke_special_disease(world, person.psn_no, hypertension.id, reason="诊断有误", actor="t")
    refused("disease_not_filed", lambda: settle_visit(world, editions, visit_record(world, named.mdtrt_id),
                                                      expected_total=None, msgid=None, actor="t"))

    file_special_disease(world, psn_no=person.psn_no, disease_code="M05300", fixmedins_code=PEOPLES,
                         begndate=dt.date(2022, 1, 1))
    refused("special_disease_unnamed", lambda: manual_reimbursement(
        world, editions, psn_no=person.psn_no, benefit=Benefit.SPECIAL_DISEASE, service_date=dt.date(2022, 6, 15),
        level=Level.COMMUNITY, region="ningbo", lines=(FeeLine(Decimal("100")),), place="某医院", actor="t"))
    manual = manual_reimbursement(
        world, editions, psn_no=person.psn_no, benefit=Benefit.SPECIAL_DISEASE, service_date=dt.date(2022, 6, 15),
        level=Level.COMMUNITY, region="ningbo", lines=(FeeLine(Decimal("100")),), place="某医院", actor="t",
        disease_code="M01600")
    assert manual.hifp_pay == Decimal("70.00")  # 2022 adult special disease 70% (POLICY.md §5)


def test_an_unknown_med_type_is_refused(world: Session, editions: Editions) -> None:
    person = insured(world)
    error = refused("unknown_med_type", lambda: visit_at(world, editions, person.psn_no, med_type="99"))
    assert isinstance(error, InvalidInput)


# --- fee lines


def test_fee_lines_refused_by_name_and_none_written(world: Session, editions: Editions) -> None:
    person = insured(world)
    visit = visit_record(world, visit_at(world, editions, person.psn_no).mdtrt_id)
    upload_fees(world, editions, visit, [fee("F1")], msgid=None)
    before = counts(world)
    cases = {
        "duplicate_fee_serial": [fee("F2"), fee("F1")],
        "not_in_catalogue": [fee("F3", code="NOPE")],
        "fee_outside_visit": [fee("F4", day="2022-06-16")],
        "bad_fee_quantity": [fee("F5", count="0")],
        "no_fee_lines": [],
    }
    for code, lines in cases.items():  # every line is checked before any is written
        refused(code, lambda lines=lines: upload_fees(world, editions, visit, lines, msgid=None))
    wrong = FeeIn("F6", dt.datetime(2022, 6, 15, 10), AMOXICILLIN, Decimal("2"), Decimal("40"), Decimal("81.00"))
    refused("fee_amount_mismatch", lambda: upload_fees(world, editions, visit, [wrong], msgid=None))
    returned = FeeIn("F7", dt.datetime(2022, 6, 15, 10), AMOXICILLIN, Decimal("-1"), Decimal("40"), Decimal("-40.00"),
                     init_feedetl_sn="F99")
    refused("bad_return_line", lambda: upload_fees(world, editions, visit, [returned], msgid=None))
    assert counts(world) == before
    refused("fee_lines_not_found", lambda: delete_fees(world, visit, ["F42"]))


# --- settle, cancel, reinstate


def test_settle_then_cancel_then_reinstate_by_the_services(world: Session, editions: Editions) -> None:
    person = insured(world)
    visit = visit_record(world, visit_at(world, editions, person.psn_no).mdtrt_id)
    refused("nothing_to_settle", lambda: presettle(world, editions, visit))
    upload_fees(world, editions, visit, [fee("F1")], msgid=None)
    preview = presettle(world, editions, visit)
    assert (preview.medfee_sumamt, preview.hifp_pay) == (Decimal("80.00"), Decimal("48.00"))  # S22 §4 community 60%
    assert counts(world)[2] == 0  # pre-settlement writes nothing
    refused("total_mismatch", lambda: settle_visit(world, editions, visit, expected_total=Decimal("79.99"), msgid=None,
                                                   actor="t"))
    row = settle_visit(world, editions, visit, expected_total=Decimal("80.00"), msgid=None, actor="t")
    assert visit_record(world, visit.mdtrt_id).status == VisitStatus.SETTLED
    assert read_accumulators(world, person.psn_no, 2022).outpatient == Decimal("80.00")
    refused("visit_already_settled", lambda: settle_visit(world, editions, visit, expected_total=None, msgid=None,
                                                          actor="t"))
    refused("visit_already_settled", lambda: upload_fees(world, editions, visit_record(world, visit.mdtrt_id),
                                                         [fee("F2")], msgid=None))
    refused("visit_already_settled", lambda: delete_fees(world, visit_record(world, visit.mdtrt_id), None))
    refused("settlement_not_cancelled", lambda: reinstate_settlement(world, editions, row.setl_id, msgid=None,
                                                                     actor="t"))

    cancel = cancel_settlement(world, row.setl_id, institution=COMMUNITY, msgid=None, actor="t")
    assert cancel.hifp_pay == Decimal("-48.00")
    assert visit_record(world, visit.mdtrt_id).status == VisitStatus.OPEN
    assert read_accumulators(world, person.psn_no, 2022).outpatient == Decimal("0.00")
    refused("settlement_already_cancelled", lambda: cancel_settlement(world, row.setl_id, institution=COMMUNITY,
                                                                      msgid=None, actor="t"))
    refused("cancellation_not_cancellable", lambda: cancel_settlement(world, cancel.setl_id, institution=COMMUNITY,
                                                                      msgid=None, actor="t"))
    refused("settlement_not_found", lambda: cancel_settlement(world, row.setl_id, institution="H33021300001",
                                                              msgid=None, actor="t"))

    again = reinstate_settlement(world, editions, row.setl_id, msgid=None, actor="t")
    assert (again.hifp_pay, visit_record(world, visit.mdtrt_id).status) == (Decimal("48.00"), VisitStatus.SETTLED)
    assert read_accumulators(world, person.psn_no, 2022).outpatient == Decimal("80.00")
    assert ledger_balances(world)["fund:390100"] == Decimal("-48.00")
    assert unbalanced_entries(world) == []


def test_an_inpatient_stay_settles_only_after_discharge(world: Session, editions: Editions) -> None:
    person = insured(world)
    stay = visit_at(world, editions, person.psn_no, code="H33021300001", day="2022-03-01", med_type="21")
    upload_fees(world, editions, stay, [fee("I1", day="2022-03-02", code="001103000010000", price="45")], msgid=None)
    refused("not_discharged", lambda: presettle(world, editions, visit_record(world, stay.mdtrt_id)))
    refused("discharge_before_admission", lambda: discharge_visit(world, stay, dt.datetime(2022, 2, 28)))
    out = discharge_visit(world, stay, dt.datetime(2022, 3, 5, 10))
    assert visit_record(world, stay.mdtrt_id) == out and out.status == VisitStatus.DISCHARGED
    refused("not_an_inpatient_stay", lambda: discharge_visit(world, out, dt.datetime(2022, 3, 6)))
    assert undo_discharge(world, out).endtime == dt.datetime(2022, 3, 5, 10)
    back = visit_record(world, stay.mdtrt_id)
    assert (back.status, back.endtime) == (VisitStatus.OPEN, None)
    refused("visit_not_open", lambda: undo_discharge(world, back))
    discharge_visit(world, back, dt.datetime(2022, 3, 5, 10))
    row = settle_visit(world, editions, visit_record(world, stay.mdtrt_id), expected_total=None, msgid=None,
                       actor="t")
    assert row.service_date == dt.date(2022, 3, 5)  # the discharge date (POLICY.md §7a)
    cancel_settlement(world, row.setl_id, institution=None, msgid=None, actor="t")
    assert visit_record(world, stay.mdtrt_id).status == VisitStatus.DISCHARGED  # back to discharged, not open


def test_a_visit_is_cancelled_only_without_fee_lines(world: Session, editions: Editions) -> None:
    person = insured(world)
    visit = visit_at(world, editions, person.psn_no)
    upload_fees(world, editions, visit, [fee("F1")], msgid=None)
    refused("visit_has_fees", lambda: cancel_visit(world, visit))
    delete_fees(world, visit, None)
    assert cancel_visit(world, visit) == VisitStatus.OPEN
    cancelled = visit_record(world, visit.mdtrt_id)
    refused("visit_cancelled", lambda: cancel_visit(world, cancelled))
    refused("visit_cancelled", lambda: upload_fees(world, editions, cancelled, [fee("F2")], msgid=None))


def test_visits_are_the_institutions_and_the_persons_own(world: Session, editions: Editions) -> None:
    person = insured(world)
    visit = visit_at(world, editions, person.psn_no)
    assert isinstance(refused("visit_not_found", lambda: visit_record(world, visit.mdtrt_id,
                                                                       institution="H33021300001")), NotFound)
    refused("visit_of_another_person", lambda: visit_record(world, visit.mdtrt_id, psn_no="X"))


def test_reversal_refused_once_the_visit_is_settled(world: Session, editions: Editions) -> None:
    person = insured(world)
    visit = visit_record(world, visit_at(world, editions, person.psn_no).mdtrt_id)
    upload_fees(world, editions, visit, [fee("F1")], msgid=None)
    settle_visit(world, editions, visit, expected_total=None, msgid=None, actor="t")
    settled = visit_record(world, visit.mdtrt_id)
    error = refused("visit_already_settled", lambda: restore_visit_status(world, settled, VisitStatus.CANCELLED))
    assert isinstance(error, Conflict) and "须先撤销结算再冲正" in error.message
    refused("visit_already_settled", lambda: restore_fee_lines(world, settled, ["F1"], FeeStatus.DELETED))


# --- manual reimbursement and the calculator


def test_manual_reimbursement_refusals_by_name(world: Session, editions: Editions) -> None:
    person = insured(world)
    claim: dict[str, Any] = {"psn_no": person.psn_no, "benefit": Benefit.INPATIENT,
                             "service_date": dt.date(2022, 5, 20), "level": Level.TERTIARY_A,
                             "lines": (FeeLine(Decimal("10000.00")),), "place": "中山医院", "actor": "t"}
    refused("unknown_region", lambda: manual_reimbursement(world, editions, region="mars", **claim))
    refused("place_required", lambda: manual_reimbursement(world, editions, region="ningbo", **claim | {"place": " "}))
    refused("no_cross_region_filing", lambda: manual_reimbursement(world, editions, region="other_province", **claim))
    row = manual_reimbursement(world, editions, region="ningbo", **claim)
    assert (row.kind, row.med_type, row.hifp_pay) == ("manual", "21", Decimal("5950.00"))  # S22 §4 三甲


def test_the_calculator_names_what_is_missing(world: Session, editions: Editions) -> None:
    lines = (FeeLine(Decimal("100.00")),)
    day = dt.date(2022, 6, 1)
    refused("category_required", lambda: estimate_benefit(world, editions, day=day, benefit=Benefit.OUTPATIENT,
                                                          level=Level.COMMUNITY, lines=lines, category="king"))
    refused("no_amounts", lambda: estimate_benefit(world, editions, day=day, benefit=Benefit.OUTPATIENT,
                                                   level=Level.COMMUNITY, lines=(), category="adult"))
    computed, _ = estimate_benefit(world, editions, day=day, benefit=Benefit.OUTPATIENT, level=Level.COMMUNITY,
                                   lines=lines, category="adult")
    assert computed.hifp_pay == Decimal("60.00")


# --- reversal's typed undo records


UNDOS = [CancelSettlement("330213S1"), ReinstateSettlement("330213S2"),
         RestoreFees("P1", "M1", ["F1", "F2"], "deleted"), RestoreVisitStatus("M1", "cancelled"),
         RestoreVisitInfo("M1", "11", None, "感冒"), RestoreDischarge("M1", "2022-03-05T10:00:00"),
         RestoreDischarge("M1", None), RevokeFiling("P1", "abc")]


@pytest.mark.parametrize("undo", UNDOS, ids=lambda u: type(u).__name__)
def test_undo_records_round_trip_through_their_stored_json(undo: Any) -> None:
    assert undo_from_json(undo.to_json()) == undo


def test_undo_records_read_what_earlier_releases_stored() -> None:
    assert undo_from_json('{"cancel_settlement": "330213S1"}') == CancelSettlement("330213S1")
    assert undo_from_json('{"fees": ["P1", "M1", ["F1"], "active"]}') == RestoreFees("P1", "M1", ["F1"], "active")
    assert undo_from_json('{"discharge": ["M1", null]}') == RestoreDischarge("M1", None)
    assert undo_from_json("{}") is None and undo_from_json(None) is None
