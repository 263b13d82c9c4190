"""Fund audit at the staff API (audit/, POLICY.md §12): the rule book, scans and findings, cases with their events,
proposals and decisions (an administrator other than the opener and proposer), appeals, notices, statistics and
the swap list. The auditor works (audit:write); an administrator decides (audit:decide)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import Field

from yibao.adapters.rest.deps import AuditDecide, AuditWrite, DbSession, ReportRead
from yibao.audit import service
from yibao.audit.models import AuditCase, AuditFinding
from yibao.audit.rules import rule_book
from yibao.audit.sanctions import SanctionIn
from yibao.kit.schema import In, MoneyIn, Out

router = APIRouter(prefix="/api/audit", tags=["医保稽查 audit"])


class FindingRead(Out):
    id: str
    rule_id: str
    vola_type: str
    scene: str
    sev_deg: str
    fixmedins_code: str | None
    dr_code: str | None
    psn_no: str | None
    mdtrt_id: str | None
    setl_id: str | None
    service_date: dt.date
    vola_amt: Decimal
    fund_amt: Decimal
    content: str
    evidence: dict[str, Any]
    status: str
    case_id: str | None
    dismissed_reason: str | None


def finding_out(row: AuditFinding) -> FindingRead:
    values = {name: getattr(row, name) for name in FindingRead.model_fields if name != "evidence"}
    return FindingRead(**values, evidence=json.loads(row.evidence))


class CaseRead(Out):
    id: str
    ref: str
    title: str
    vola_type: str
    fixmedins_code: str | None
    psn_no: str | None
    dr_code: str | None
    status: str
    opened_by: str
    opened_at: dt.datetime
    proposal: dict[str, Any] | None
    proposed_by: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    legal_basis: str | None
    notice: str | None


def case_out(row: AuditCase) -> CaseRead:
    values = {name: getattr(row, name) for name in CaseRead.model_fields if name != "proposal"}
    return CaseRead(**values, proposal=json.loads(row.proposal) if row.proposal else None)


class ScanIn(In):
    start: dt.date
    end: dt.date
    rules: list[str] = Field(default_factory=list, description="规则编号（如 RD01）；不填则运行全部规则")


class DismissIn(In):
    reason: str = Field(min_length=1, max_length=200)


class CaseIn(In):
    title: str = Field(min_length=1, max_length=200)
    vola_type: str = Field("", max_length=20, description="违规类型（不填则取第一个疑点的类型）")
    fixmedins_code: str | None = Field(None, max_length=20)
    psn_no: str | None = Field(None, max_length=20)
    dr_code: str | None = Field(None, max_length=30)
    finding_ids: list[str] = Field(default_factory=list)
    note: str = Field("", max_length=1000)


class EventIn(In):
    kind: Literal["note", "evidence", "statement"] = Field(
        description="note 调查记录；evidence 证据；statement 机构陈述申辩")
    text: str = Field(min_length=1, max_length=4000)
    setl_id: str | None = Field(None, max_length=30)
    document: str | None = Field(None, max_length=200)


class SanctionBody(In):
    kind: Literal["recovery", "refusal", "suspension", "termination", "points", "strike"]
    setl_id: str | None = Field(None, max_length=30)
    fund: Literal["390100", "390200", "610100"] = "390100"
    amount: MoneyIn | None = None
    months: int | None = Field(None, ge=0, le=120)
    points: int | None = Field(None, ge=0, le=100)
    dr_code: str | None = Field(None, max_length=30)


class ProposalIn(In):
    sanctions: list[SanctionBody] = Field(default_factory=list,
                                          description="处理意见；为空表示经查不构成违规、不予处理")
    reason: str = Field("", max_length=1000)


class TextIn(In):
    text: str = Field(min_length=1, max_length=4000)


class SwapIn(In):
    covered_code: str = Field(min_length=1, max_length=50)
    goods_name: str = Field(min_length=1, max_length=100)
    goods_price: MoneyIn
    source: str = Field(min_length=1, max_length=200)


@router.get("/rules", summary="稽查规则、违规类型与处理范围（含参数及其依据）")
def rules(_: ReportRead) -> dict[str, Any]:
    return rule_book().model_dump(mode="json")


@router.post("/scans", status_code=201, summary="按期间运行稽查规则（事后批量扫描）")
def scan(body: ScanIn, session: DbSession, user: AuditWrite) -> dict[str, Any]:
    row = service.run_scan(session, start=body.start, end=body.end, rules=body.rules or None, actor=user.username)
    return {"id": row.id, "period_from": row.period_from, "period_to": row.period_to, "fee_lines": row.fee_lines,
            "settlements": row.settlements, "findings": row.findings, "by_rule": json.loads(row.by_rule)}


@router.get("/findings", response_model=list[FindingRead], summary="疑点（按状态、规则、机构）")
def findings(session: DbSession, _: AuditWrite, status: str | None = None, rule_id: str | None = None,
             fixmedins_code: str | None = None) -> Any:
    return [finding_out(row) for row in service.findings(session, status=status, rule_id=rule_id,
                                                         fixmedins_code=fixmedins_code)]


@router.post("/findings/{finding_id}/dismiss", response_model=FindingRead, summary="排除疑点（写明核查结论）")
def dismiss(finding_id: str, body: DismissIn, session: DbSession, user: AuditWrite) -> Any:
    return finding_out(service.dismiss_finding(session, finding_id, reason=body.reason, actor=user.username))


@router.post("/cases", response_model=CaseRead, status_code=201, summary="立案（由疑点或手工）")
def open_case(body: CaseIn, session: DbSession, user: AuditWrite) -> Any:
    return case_out(service.open_case(session, title=body.title, vola_type=body.vola_type,
                                      fixmedins_code=body.fixmedins_code, psn_no=body.psn_no, dr_code=body.dr_code,
                                      finding_ids=body.finding_ids, note=body.note, actor=user.username))


@router.get("/cases", response_model=list[CaseRead], summary="稽查案件")
def cases(session: DbSession, _: AuditWrite, status: str | None = None, fixmedins_code: str | None = None) -> Any:
    return [case_out(row) for row in service.cases(session, status=status, fixmedins_code=fixmedins_code)]


@router.get("/cases/{case_id}", summary="案件详情：经过、疑点、处理")
def case(case_id: str, session: DbSession, _: AuditWrite) -> dict[str, Any]:
    view = service.case_view(session, case_id)
    return {"case": case_out(view.case).model_dump(mode="json"),
            "events": [{"number": e.number, "kind": e.kind, "label": service.EVENT_KINDS[e.kind], "text": e.text,
                        "setl_id": e.setl_id, "document": e.document, "actor": e.actor, "at": e.at.isoformat()}
                       for e in view.events],
            "findings": [finding_out(f).model_dump(mode="json") for f in view.findings],
            "sanctions": [{"kind": s.kind, "setl_id": s.setl_id, "fund": s.fund,
                           "amount": str(s.amount) if s.amount is not None else None, "months": s.months,
                           "points": s.points, "dr_code": s.dr_code, "effective_from": s.effective_from.isoformat(),
                           "effective_to": s.effective_to.isoformat() if s.effective_to else None,
                           "deduction_id": s.deduction_id} for s in view.sanctions]}


@router.post("/cases/{case_id}/events", status_code=201, summary="添加调查记录、证据或机构陈述申辩")
def event(case_id: str, body: EventIn, session: DbSession, user: AuditWrite) -> dict[str, Any]:
    row = service.add_event(session, case_id, kind=body.kind, text=body.text, setl_id=body.setl_id,
                            document=body.document, actor=user.username)
    return {"number": row.number, "kind": row.kind}


@router.post("/cases/{case_id}/proposal", response_model=CaseRead, summary="提出处理意见（待管理员审批）")
def proposal(case_id: str, body: ProposalIn, session: DbSession, user: AuditWrite) -> Any:
    sanctions = [SanctionIn(**s.model_dump()) for s in body.sanctions]
    return case_out(service.propose(session, case_id, sanctions=sanctions, reason=body.reason, actor=user.username))


@router.post("/cases/{case_id}/decision", response_model=CaseRead, summary="审批并作出稽查决定（立即生效）")
def decision(case_id: str, session: DbSession, user: AuditDecide) -> Any:
    return case_out(service.decide(session, case_id, actor=user.username))


@router.post("/cases/{case_id}/return", response_model=CaseRead, summary="退回处理意见重拟")
def send_back(case_id: str, body: TextIn, session: DbSession, user: AuditDecide) -> Any:
    return case_out(service.send_back(session, case_id, reason=body.text, actor=user.username))


@router.post("/cases/{case_id}/appeal", response_model=CaseRead, summary="登记申诉（案件重新复查）")
def appeal(case_id: str, body: TextIn, session: DbSession, user: AuditWrite) -> Any:
    return case_out(service.appeal(session, case_id, text=body.text, actor=user.username))


@router.get("/notices", summary="稽查通报")
def notices(session: DbSession, _: ReportRead) -> list[dict[str, Any]]:
    return [{"ref": row.ref, "fixmedins_code": row.fixmedins_code, "decided_at": row.decided_at, "notice": row.notice}
            for row in service.cases(session, status="decided") if row.notice]


@router.get("/statistics", summary="稽查统计（通报、机构、追回或拒付金额、暂停、解除、医师扣分）")
def statistics(session: DbSession, _: ReportRead, start: dt.date, end: dt.date) -> dict[str, Any]:
    figures = service.statistics(session, start=start, end=end)
    return {**figures, "recovered": str(figures["recovered"])}


@router.post("/swap-list", status_code=201, summary="维护串换对照表")
def swap(body: SwapIn, session: DbSession, user: AuditWrite) -> dict[str, Any]:
    row = service.add_swap(session, covered_code=body.covered_code, goods_name=body.goods_name,
                           goods_price=body.goods_price, source=body.source, actor=user.username)
    return {"covered_code": row.covered_code, "goods_name": row.goods_name, "goods_price": str(row.goods_price),
            "added_at": row.added_at.isoformat()}
