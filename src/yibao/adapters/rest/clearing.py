"""Institution clearing at the staff API (clearing/, S18 §6): build a month's statements, approve (a second person),
pay, discard a draft, download a statement as Excel; audit's refusals and recoveries."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import Field

from yibao.adapters.downloads import XLSX, download
from yibao.adapters.rest.deps import AuditDecide, ClearingWrite, DbSession, ReportRead
from yibao.clearing import service as clearing
from yibao.clearing.models import Clearing
from yibao.clearing.statement import statement_filename, statement_xlsx
from yibao.kit.schema import In, Out

router = APIRouter(tags=["定点机构清算 clearing"])


class ClearingRead(Out):
    id: str
    fixmedins_code: str
    month: str
    status: str
    settlements: int
    medfee_sumamt: Decimal
    hifp_pay: Decimal
    hifmi_pay: Decimal
    maf_pay: Decimal
    fund_pay_sumamt: Decimal
    acct_pay: Decimal
    psn_cash_pay: Decimal
    deductions: Decimal
    payable: Decimal
    by_benefit: dict[str, Any]
    built_by: str
    built_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None
    paid_by: str | None
    paid_at: dt.datetime | None
    payment_ref: str | None
    discarded_by: str | None
    discarded_at: dt.datetime | None


def out(row: Clearing) -> ClearingRead:
    values = {name: getattr(row, name) for name in ClearingRead.model_fields if name != "by_benefit"}
    return ClearingRead(**values, by_benefit=json.loads(row.by_benefit))


class BuildIn(In):
    month: str = Field(min_length=7, max_length=7, description="清算月份 YYYY-MM（次月 1 日起可清算）")
    fixmedins_code: str | None = Field(None, max_length=20, description="只清算这一家机构；不填则清算全部待清算机构")


class BuildRead(Out):
    month: str
    built: list[ClearingRead]
    skipped: dict[str, str]


class PayIn(In):
    payment_ref: str = Field(min_length=1, max_length=60, description="银行转账凭证号")


class DeductionIn(In):
    fixmedins_code: str = Field(max_length=20)
    kind: Literal["refusal", "recovery"] = Field(description="refusal 不予支付；recovery 追回")
    fund: Literal["390100", "390200", "610100"]
    amount: Decimal
    reason: str = Field(min_length=1, max_length=200)
    setl_id: str | None = Field(None, max_length=30)
    case_ref: str | None = Field(None, max_length=40, description="稽查案件编号")


@router.get("/api/clearings", response_model=list[ClearingRead], summary="清算单列表（按机构、月份）")
def clearings(session: DbSession, _: ReportRead, fixmedins_code: str | None = None,
              month: str | None = None) -> Any:
    return [out(row) for row in clearing.clearings(session, fixmedins_code=fixmedins_code, month=month)]


@router.post("/api/clearings", response_model=BuildRead, status_code=201, summary="生成某月清算单（草稿，待审核）")
def build(body: BuildIn, session: DbSession, user: ClearingWrite) -> Any:
    if body.fixmedins_code:
        made = clearing.build(session, fixmedins_code=body.fixmedins_code, month=body.month, actor=user.username)
        return BuildRead(month=body.month, built=[out(made)], skipped={})
    run = clearing.build_month(session, month=body.month, actor=user.username)
    return BuildRead(month=run.month, built=[out(row) for row in run.built], skipped=run.skipped)


@router.get("/api/clearings/{clearing_id}", response_model=ClearingRead, summary="清算单")
def one(clearing_id: str, session: DbSession, _: ReportRead) -> Any:
    return out(clearing.get_clearing(session, clearing_id))


@router.get("/api/clearings/{clearing_id}/statement.xlsx", summary="清算单 Excel（汇总与结算明细）")
def statement(clearing_id: str, session: DbSession, _: ReportRead) -> Response:
    row = clearing.get_clearing(session, clearing_id)
    return download(statement_xlsx(session, row), statement_filename(row), XLSX)


@router.post("/api/clearings/{clearing_id}/approve", response_model=ClearingRead, summary="审核清算单（生成人以外）")
def approve(clearing_id: str, session: DbSession, user: ClearingWrite) -> Any:
    return out(clearing.approve(session, clearing_id, actor=user.username))


@router.post("/api/clearings/{clearing_id}/pay", response_model=ClearingRead, summary="登记清算支付")
def pay(clearing_id: str, body: PayIn, session: DbSession, user: ClearingWrite) -> Any:
    return out(clearing.pay(session, clearing_id, payment_ref=body.payment_ref, actor=user.username))


@router.post("/api/clearings/{clearing_id}/discard", response_model=ClearingRead, summary="作废清算单草稿")
def discard(clearing_id: str, session: DbSession, user: ClearingWrite) -> Any:
    return out(clearing.discard(session, clearing_id, actor=user.username))


@router.post("/api/clearing-deductions", status_code=201, summary="不予支付或追回决定（下一张清算单扣减）")
def deduction(body: DeductionIn, session: DbSession, user: AuditDecide) -> dict[str, Any]:
    row = clearing.record_deduction(session, fixmedins_code=body.fixmedins_code, kind=body.kind, fund=body.fund,
                                    amount=body.amount, reason=body.reason, actor=user.username,
                                    setl_id=body.setl_id, case_ref=body.case_ref)
    return {"id": row.id, "fixmedins_code": row.fixmedins_code, "kind": row.kind, "fund": row.fund,
            "amount": row.amount, "reason": row.reason}
