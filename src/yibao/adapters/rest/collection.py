"""Collection runs at the staff API (enrollment/collection.py; S22 §3): a bank's monthly withholding request and
its result file, the tax bureau's daily file; each file's report line by line."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import Field

from yibao.access.trail import Action
from yibao.adapters.downloads import CSV, download
from yibao.adapters.rest.deps import BatchWrite, DbSession, PaymentWrite
from yibao.adapters.trailing import saw
from yibao.enrollment import collection
from yibao.enrollment.collection import FileReport
from yibao.kit.schema import In

router = APIRouter(prefix="/api/collection", tags=["征缴 collection"])
Mode = Literal["valid_only", "all_or_nothing"]


class RunIn(In):
    bank: str = Field(max_length=20, description="代扣银行代码（boc、abc、icbc、ccb、bocom、psbc、nbcb、rcc）")
    month: str = Field(min_length=7, max_length=7, description="代扣月份 YYYY-MM")


def report_out(report: FileReport) -> dict[str, Any]:
    return {"file_id": report.file_id, "kind": report.kind, "lines": report.lines, "paid": report.paid,
            "amount": report.amount, "errors": {str(k): v for k, v in sorted(report.errors.items())},
            "outcomes": report.outcomes, "unanswered": report.unanswered, "already": report.already,
            "written": report.written,
            "reconciliation": {"stated": report.stated, "stated_amount": report.stated_amount,
                               "recorded": report.paid, "recorded_amount": report.amount if report.written else 0,
                               "difference": report.difference,
                               "unapplied": [u._asdict() for u in report.unapplied]}}


@router.post("/withholding-runs", status_code=201, summary="生成某银行某月的代扣请求（每月 8 日扣款）")
def run(body: RunIn, session: DbSession, user: BatchWrite) -> dict[str, Any]:
    made = collection.withholding_request(session, bank=body.bank, month=body.month, actor=user.username)
    return {"run_id": made.run.id, "bank": made.run.bank, "month": made.run.month, "deduct_on": made.run.deduct_on,
            "lines": made.run.lines, "amount": made.run.amount, "excluded": made.excluded}


@router.get("/withholding-runs/{run_id}/request.csv", summary="代扣请求文件（报送银行）")
def request_file(run_id: str, request: Request, session: DbSession, _: BatchWrite) -> Response:
    found = collection.get_run(session, run_id)
    lines = collection.run_lines(session, run_id)
    saw(request, session, Action.EXPORT, sorted({line.psn_no for line in lines}), "银行代扣请求文件")
    return download(collection.request_file(session, found, lines), f"withholding-{found.bank}-{found.month}.csv", CSV)


@router.get("/withholding-runs/{run_id}", summary="代扣批次：各行结果")
def run_status(run_id: str, session: DbSession, _: BatchWrite) -> dict[str, Any]:
    found = collection.get_run(session, run_id)
    outcomes: dict[str, int] = {}
    amount = Decimal(0)
    for line in collection.run_lines(session, run_id):
        outcomes[line.outcome] = outcomes.get(line.outcome, 0) + 1
        amount += line.amount if line.outcome == "paid" else 0
    return {"run_id": found.id, "bank": found.bank, "month": found.month, "lines": found.lines,
            "amount": found.amount, "paid_amount": amount, "outcomes": outcomes,
            "excluded": json.loads(found.excluded)}


@router.post("/withholding-results", summary="导入银行扣款结果文件（CSV 或 Excel；同一文件编号只导入一次）")
def result(session: DbSession, user: BatchWrite, file: UploadFile = File(...), file_id: str = Form(...),
           mode: Mode = Form("valid_only")) -> dict[str, Any]:
    return report_out(collection.import_withholding_result(session, file.filename or "", file.file.read(),
                                                           file_id=file_id, mode=mode, actor=user.username))


@router.post("/tax-files", summary="导入税务每日缴费文件（微信、支付宝、银行柜面）")
def tax(session: DbSession, user: BatchWrite, file: UploadFile = File(...), file_id: str = Form(...),
        mode: Mode = Form("valid_only")) -> dict[str, Any]:
    return report_out(collection.import_tax_file(session, file.filename or "", file.file.read(), file_id=file_id,
                                                 mode=mode, actor=user.username))


class SchoolIn(In):
    school: str = Field(min_length=1, max_length=100, description="学校名称")
    year: int = Field(ge=2018, le=2100)
    amount: Decimal = Field(description="学校缴来的合计金额，须等于全部未缴费学生的应缴合计")
    paid_on: dt.date
    reference: str = Field(min_length=1, max_length=40, description="学校缴费的流水号")


@router.post("/school-payments", status_code=201, summary="学校为其学生一次缴费（学校代收）")
def school(body: SchoolIn, session: DbSession, user: PaymentWrite) -> dict[str, Any]:
    done = collection.pay_school(session, school=body.school, year=body.year, amount=body.amount,
                                 paid_on=body.paid_on, reference=body.reference, actor=user.username)
    return {"school": done.school, "year": done.year, "bills": done.bills, "amount": done.amount}
