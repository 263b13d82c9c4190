"""Audit cases on both databases (audit/service.py, sanctions.py; POLICY.md §12): from a finding to a decision by a
second person, whose sanctions take effect at once — the suspended institution's next visit refused, the doctor's
covered lines refused at 0 points, the recovery deducted by the next clearing and posted back to the fund; an
appeal reopens; every refusal a named error that writes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.audit.helpers import FEMALE_ONLY, PHARMACY, audit_world, line, settled
from tests.gateway.his import insured
from tests.settlement.test_services import COMMUNITY, PEOPLES, refused, visit_at
from yibao.accounts.ledger import ledger_balances
from yibao.audit import documents, service
from yibao.audit.models import AuditCase, CaseEvent, Sanction
from yibao.audit.sanctions import SanctionIn, doctor_points
from yibao.clearing import service as clearing
from yibao.clearing.models import ClearingDeduction
from yibao.institutions.service import get_institution
from yibao.kit.clock import now
from yibao.policy.chain import FeeLine, ItemClass
from yibao.policy.editions import Benefit, Editions, Level
from yibao.settlement.fees import upload_fees
from yibao.settlement.manual import manual_reimbursement

DOCTOR = f"D{COMMUNITY}01"
JUNE = (dt.date(2022, 6, 1), dt.date(2022, 6, 30))


@pytest.fixture
def world(session: Session) -> Session:
    audit_world(session)
    return session


def finding_of(session: Session, editions: Editions, rule_id: str = "RD01") -> tuple[str, str]:
    """A man billed an item for women by the community centre's doctor: the scan's RD01 finding and its
    settlement."""
    person = insured(session)
    row = settled(session, editions, person.psn_no, lines=[line("F1", FEMALE_ONLY, doctor=DOCTOR)])
    service.run_scan(session, start=JUNE[0], end=JUNE[1], actor="auditor")
    found = service.findings(session, rule_id=rule_id)
    assert len(found) == 1
    return found[0].id, row.setl_id


def test_from_finding_to_decision_and_its_effects(world: Session, editions: Editions) -> None:
    finding_id, setl_id = finding_of(world, editions)
    case = service.open_case(world, title="锦屏社区限性别药品", vola_type="", finding_ids=[finding_id], actor="auditor")
    assert case.fixmedins_code == COMMUNITY and case.vola_type == "restricted" and case.dr_code == DOCTOR
    assert case.ref.startswith("奉医保稽〔") and service.get_finding(world, finding_id).status == "in_case"
    service.add_event(world, case.id, kind="statement", text="医院称系开单错误", actor="auditor")
    service.add_event(world, case.id, kind="evidence", text="处方复印件", document="处方 F1", setl_id=setl_id,
                      actor="auditor")
    fund = world.scalar(select(clearing.Settlement.hifp_pay).where(clearing.Settlement.setl_id == setl_id))
    assert fund is not None and fund > 0
    service.propose(world, case.id, actor="auditor", reason="违规开具限用药品", sanctions=[
        SanctionIn("recovery", setl_id=setl_id, amount=fund), SanctionIn("points", points=6, dr_code=DOCTOR),
        SanctionIn("suspension", months=2)])
    refused("own_case", lambda: service.decide(world, case.id, actor="auditor"))
    decided = service.decide(world, case.id, actor="admin")
    assert decided.status == "decided" and "第八十七条" in (decided.legal_basis or "")
    assert decided.notice and "奉化区锦屏街道社区卫生服务中心" in decided.notice and f"{fund:.2f}" in decided.notice

    institution = get_institution(world, COMMUNITY)  # suspended from today for 2 months
    assert institution.agreement_status == "suspended" and institution.suspended_until is not None
    assert institution.suspended_until >= now().date() + dt.timedelta(days=58)
    assert doctor_points(world, DOCTOR, now().date()) == 6

    deduction = world.scalars(select(ClearingDeduction).where(ClearingDeduction.setl_id == setl_id)).one()
    assert deduction.amount == fund and deduction.kind == "recovery" and deduction.case_ref == decided.ref
    view = service.case_view(world, case.id)
    assert [e.kind for e in view.events] == ["opened", "statement", "evidence", "proposal", "decision"]
    assert {s.kind for s in view.sanctions} == {"recovery", "points", "suspension"}
    assert all(s.deduction_id for s in view.sanctions if s.kind == "recovery")


def test_the_suspended_institution_is_refused_at_the_next_visit(world: Session, editions: Editions) -> None:
    finding_id, _ = finding_of(world, editions)
    case = service.open_case(world, title="t", vola_type="", finding_ids=[finding_id], actor="auditor")
    service.propose(world, case.id, sanctions=[SanctionIn("suspension", months=1)], actor="auditor")
    service.decide(world, case.id, actor="admin")
    person = insured(world, year=now().year)
    refused("institution_suspended", lambda: visit_at(world, editions, person.psn_no, day=now().date().isoformat()))


def test_a_doctor_at_zero_points_may_not_bill_covered_items(world: Session, editions: Editions) -> None:
    for _ in range(2):  # 6 + 6 points (restricted drugs: 2–6 a case): the year's 12 are gone
        case = service.open_case(world, title="t", vola_type="restricted", fixmedins_code=COMMUNITY, actor="auditor")
        service.propose(world, case.id, sanctions=[SanctionIn("points", points=6, dr_code=DOCTOR)], actor="auditor")
        service.decide(world, case.id, actor="admin")
    assert doctor_points(world, DOCTOR, now().date()) == 0
    this_year = now().date().isoformat()
    person = insured(world, year=now().year)
    visit = visit_at(world, editions, person.psn_no, code=PEOPLES, day=this_year)
    error = refused("doctor_out_of_points", lambda: upload_fees(world, editions, visit, [
        line("F1", day=this_year, doctor=DOCTOR)], msgid=None))
    assert "积分已扣完" in error.message
    upload_fees(world, editions, visit, [line("F2", day=this_year, doctor=f"D{PEOPLES}01")], msgid=None)
    upload_fees(world, editions, visit, [line("F3", "XQ00000001", day=this_year, doctor=DOCTOR)], msgid=None)  # 丙类
    case = service.open_case(world, title="t", vola_type="restricted", fixmedins_code=COMMUNITY, actor="auditor")
    refused("points_below_zero", lambda: service.propose(
        world, case.id, sanctions=[SanctionIn("points", points=2, dr_code=DOCTOR)], actor="auditor"))


def test_the_recovery_is_deducted_by_the_next_clearing_and_posted_to_the_fund(world: Session,
                                                                              editions: Editions) -> None:
    person = insured(world, year=2026)
    row = settled(world, editions, person.psn_no, day="2026-10-12",
                  lines=[line("F1", FEMALE_ONLY, day="2026-10-12", doctor=DOCTOR)])
    service.run_scan(world, start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31), actor="auditor")
    finding = service.findings(world, rule_id="RD01")[0]
    case = service.open_case(world, title="t", vola_type="", finding_ids=[finding.id], actor="auditor")
    service.propose(world, case.id, sanctions=[SanctionIn("refusal", setl_id=row.setl_id, amount="10.00")],
                    actor="auditor")
    service.decide(world, case.id, actor="admin")
    statement = clearing.build(world, fixmedins_code=COMMUNITY, month="2026-10", actor="clerk")
    assert statement.deductions == Decimal("10.00") and statement.payable == statement.fund_pay_sumamt - Decimal("10")
    clearing.approve(world, statement.id, actor="admin")
    balances = ledger_balances(world)  # the refusal: Dr fund, Cr institution (the fund does not bear it)
    assert balances["fund:390100"] == -row.hifp_pay + Decimal("10.00")
    assert balances[f"institution:{COMMUNITY}"] == row.medfee_sumamt - Decimal("10.00")
    assert balances[f"payable:{COMMUNITY}"] == -statement.payable


def test_a_manual_claim_is_recovered_from_the_person(world: Session, editions: Editions) -> None:
    person = insured(world)
    claim = manual_reimbursement(world, editions, psn_no=person.psn_no, benefit=Benefit.OUTPATIENT,
                                 service_date=dt.date(2022, 6, 15), level=Level.OTHER, region="zhejiang",
                                 lines=(FeeLine(Decimal("500"), ItemClass.A),), place="杭州某医院", actor="t")
    case = service.open_case(world, title="重复报销", vola_type="insured", psn_no=person.psn_no, actor="auditor")
    service.propose(world, case.id, sanctions=[SanctionIn("recovery", setl_id=claim.setl_id, amount=claim.hifp_pay)],
                    actor="auditor")
    service.decide(world, case.id, actor="admin")
    balances = ledger_balances(world)
    assert balances["fund:390100"] == -claim.hifp_pay + claim.hifp_pay
    assert balances[f"person:{person.psn_no}"] == claim.fund_pay_sumamt - claim.hifp_pay


def test_an_appeal_reopens_the_case_for_a_new_proposal(world: Session, editions: Editions) -> None:
    finding_id, _ = finding_of(world, editions)
    case = service.open_case(world, title="t", vola_type="", finding_ids=[finding_id], actor="auditor")
    service.propose(world, case.id, sanctions=[], actor="auditor", reason="经查属实但情节轻微")
    decided = service.decide(world, case.id, actor="admin")
    assert "不予处理" in (decided.notice or "")
    refused("case_wrong_status", lambda: service.propose(world, case.id, sanctions=[], actor="auditor"))
    reopened = service.appeal(world, case.id, text="机构不服，提出申诉", actor="auditor")
    assert reopened.status == "appealed" and reopened.proposal is None
    service.add_event(world, case.id, kind="note", text="复查", actor="auditor")
    service.propose(world, case.id, sanctions=[], actor="auditor")
    service.send_back(world, case.id, reason="请补充证据", actor="admin")
    assert service.get_case(world, case.id).status == "open"


def counts(session: Session) -> tuple[int, ...]:
    return tuple(session.scalar(select(func.count()).select_from(t)) or 0
                 for t in (AuditCase, CaseEvent, Sanction, ClearingDeduction))


def test_bad_decisions_are_refused_and_write_nothing(world: Session, editions: Editions) -> None:
    finding_id, setl_id = finding_of(world, editions)
    case = service.open_case(world, title="t", vola_type="", finding_ids=[finding_id], actor="auditor")
    before = counts(world)
    for code, sanctions in (
        ("sanction_out_of_range", [SanctionIn("points", points=8, dr_code=DOCTOR)]),  # restricted: 2–6
        ("sanction_out_of_range", [SanctionIn("suspension", months=13)]),
        ("recovery_too_large", [SanctionIn("recovery", setl_id=setl_id, amount="99999")]),
        ("recovery_too_large", [SanctionIn("recovery", setl_id=setl_id, amount="30"),
                                SanctionIn("refusal", setl_id=setl_id, amount="30")]),
        ("sanction_invalid", [SanctionIn("recovery", amount="5")]),
        ("sanction_invalid", [SanctionIn("banish")]),
        ("doctor_not_found", [SanctionIn("points", points=2, dr_code="NOBODY")]),
    ):
        refused(code, lambda s=sanctions: service.propose(world, case.id, sanctions=s, actor="auditor"))
    assert counts(world) == before and service.get_case(world, case.id).status == "open"
    insured_case = service.open_case(world, title="t", vola_type="insured", psn_no=insured(world).psn_no,
                                     actor="auditor")
    refused("sanction_not_allowed", lambda: service.propose(world, insured_case.id, actor="auditor",
                                                            sanctions=[SanctionIn("suspension", months=3)]))
    refused("institution_not_found", lambda: service.open_case(world, title="t", vola_type="swap",
                                                              fixmedins_code="H99999999999", actor="auditor"))
    refused("case_needs_party", lambda: service.open_case(world, title="t", vola_type="swap", actor="auditor"))
    refused("unknown_violation_type", lambda: service.open_case(world, title="t", vola_type="theft",
                                                               fixmedins_code=PHARMACY, actor="auditor"))
    refused("finding_taken", lambda: service.open_case(world, title="t", vola_type="", finding_ids=[finding_id],
                                                       actor="auditor"))
    service.propose(world, case.id, sanctions=[SanctionIn("points", points=2, dr_code=DOCTOR)], actor="auditor")
    refused("own_case", lambda: service.decide(world, case.id, actor="auditor"))


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def test_evidence_files_are_sealed_checked_and_kept_with_their_digest(world: Session) -> None:
    case = service.open_case(world, title="串换药品", vola_type="swap", fixmedins_code=PHARMACY, actor="auditor")
    refused("document_refused", lambda: documents.add_document(world, case.id, filename="a.txt", content=b"hello",
                                                                text="", actor="auditor"))
    refused("document_refused", lambda: documents.add_document(world, case.id, filename="a.pdf", content=b"",
                                                                text="", actor="auditor"))
    big = b"%PDF-" + b"0" * documents.MAX_DOCUMENT_BYTES
    refused("document_refused", lambda: documents.add_document(world, case.id, filename="a.pdf", content=big,
                                                                text="", actor="auditor"))
    kept = documents.add_document(world, case.id, filename="C:\\扫描\\处方笺.pdf", content=PDF, text="",
                                  actor="auditor")
    assert (kept.filename, kept.media_type, kept.size) == ("处方笺.pdf", "application/pdf", len(PDF))
    stored = world.execute(text("SELECT content FROM audit_case_documents")).scalar_one()
    assert stored.startswith("sm4g1:") and "JVBER" not in stored  # sealed: not the base64 of %PDF
    assert documents.document_content(world, case.id, kept.id) == (kept, PDF)
    events = world.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "evidence")).all()
    assert [e.document for e in events] == ["处方笺.pdf"] and "SHA-256" in events[0].text
    refused("document_not_found", lambda: documents.document_content(world, "other-case", kept.id))
    service.propose(world, case.id, sanctions=[], actor="auditor")
    refused("case_wrong_status", lambda: documents.add_document(world, case.id, filename="b.pdf", content=PDF,
                                                                 text="", actor="auditor"))
