"""Collection runs' page (enrollment/collection.py; S22 §3): a bank's monthly withholding request, the bank's
result file, the tax bureau's daily file and a school's one payment, each with its report line by line."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from yibao.access.trail import Action
from yibao.adapters.downloads import CSV, download
from yibao.adapters.rest.deps import DbSession
from yibao.adapters.trailing import saw
from yibao.adapters.web.common import Form, Upload, attempt, page, page_or_part, redirect
from yibao.adapters.web.console import ConsoleUser, need
from yibao.adapters.web.exports import xlsx_book_response
from yibao.adapters.web.jobs import job_of, start_job
from yibao.contributions.models import WithholdingRun
from yibao.contributions.service import BANKS, PAYMENT_CHANNELS, StatementLine, reconcile_day
from yibao.enrollment import collection
from yibao.errors import InvalidInput
from yibao.kit.clock import now
from yibao.kit.errors import DomainError
from yibao.staff.service import Permission
from yibao.tables import check_file_id

router = APIRouter(prefix="/console/collection", include_in_schema=False)


def _page(request: Request, session: Any, user: Any, *, form: Form | None = None, status: int = 200,
          notice: str = "") -> Response:
    runs = session.scalars(select(WithholdingRun).order_by(WithholdingRun.created_at.desc()).limit(24)).all()
    return page(request, "console/collection.html", status=status, user=user, form=form or Form({}, {}),
                runs=runs, banks=BANKS, modes=collection.MODES, notice=notice,
                outcome_labels=collection.OUTCOME_LABELS, files=collection.recent_files(session),
                file_kinds=collection.FILE_KINDS)


@router.get("", response_class=HTMLResponse)
def collection_page(request: Request, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.BATCH_WRITE)
    return _page(request, session, user)


@router.post("/withholding-runs", response_class=HTMLResponse)
async def make_run(request: Request, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.BATCH_WRITE)
    form = await Form.read(request)
    made = attempt(session, form, lambda: collection.withholding_request(
        session, bank=form.get("bank"), month=form.required("month", "代扣月份"), actor=user.username), "month")
    if made is None:
        return _page(request, session, user, form=form, status=400)
    return redirect(f"/console/collection/withholding-runs/{made.run.id}")


@router.get("/withholding-runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.BATCH_WRITE)
    found = collection.get_run(session, run_id)
    lines = collection.run_lines(session, run_id)
    outcomes: dict[str, int] = {}
    for line in lines:
        outcomes[line.outcome] = outcomes.get(line.outcome, 0) + 1
    return page(request, "console/withholding_run.html", user=user, run=found, banks=BANKS, outcomes=outcomes,
                excluded=json.loads(found.excluded), outcome_labels=collection.OUTCOME_LABELS)


@router.get("/withholding-runs/{run_id}/request.csv")
def run_file(request: Request, run_id: str, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.BATCH_WRITE)
    found = collection.get_run(session, run_id)
    lines = collection.run_lines(session, run_id)
    saw(request, session, Action.EXPORT, sorted({line.psn_no for line in lines}), "银行代扣请求文件")
    return download(collection.request_file(session, found, lines), f"withholding-{found.bank}-{found.month}.csv", CSV)


IMPORTERS = {"withholding_result": collection.import_withholding_result, "tax_daily": collection.import_tax_file}


@router.post("/files", response_class=HTMLResponse)
async def import_file(request: Request, session: DbSession, user: ConsoleUser,
                      file: UploadFile = File(None)) -> Response:
    """The bank's result file or the tax bureau's daily file, by the form's `kind`: checked here, imported as a
    job whose page shows its progress and then its report."""
    need(user, Permission.BATCH_WRITE)
    form = await Form.read(request)
    upload = await Upload.read(file)

    try:
        content = upload.chosen("要导入的文件（CSV 或 Excel）")
        kind = form.get("kind")
        if kind not in IMPORTERS:
            raise InvalidInput("请选择文件类型", field="kind")
        file_id = check_file_id(form.get("file_id"), collection.FILE_KINDS[kind])
        mode = collection.checked_mode(form.get("mode", "valid_only"))
    except DomainError as exc:
        form.fail(exc, "file")
        return _page(request, session, user, form=form, status=400)
    importer = IMPORTERS[kind]

    def work(db: Any, progress: Any) -> collection.FileReport:
        report: collection.FileReport = importer(db, upload.name, content, file_id=file_id, mode=mode,
                                                 actor=user.username, progress=progress)
        return report

    job = start_job(request, kind="collection_file", filename=upload.name, total=0, actor=user.username, work=work)
    return redirect(f"/console/collection/imports/{job.id}")


@router.get("/imports/{job_id}", response_class=HTMLResponse)
def import_job(request: Request, job_id: str, user: ConsoleUser) -> Response:
    """A file's import: its progress while it runs (polled), then its report."""
    need(user, Permission.BATCH_WRITE)
    job = job_of(request, job_id, "collection_file")
    return page_or_part(request, "console/collection_import.html", "console/_collection_status.html", user=user,
                        job=job, outcome_labels=collection.OUTCOME_LABELS)


@router.get("/files/{file_id}", response_class=HTMLResponse)
def file_page(request: Request, file_id: str, session: DbSession, user: ConsoleUser) -> Response:
    """An imported file: what it did, and every refused line with why."""
    need(user, Permission.BATCH_WRITE)
    found, report = collection.imported_file(session, file_id)
    return page(request, "console/collection_file.html", user=user, file=found, report=report,
                kinds=collection.FILE_KINDS, outcome_labels=collection.OUTCOME_LABELS)


@router.get("/files/{file_id}/errors.xlsx")
def file_errors(file_id: str, session: DbSession, user: ConsoleUser) -> Response:
    """An imported file's refused lines as Excel (line number and why), to correct and send again."""
    need(user, Permission.BATCH_WRITE)
    found, report = collection.imported_file(session, file_id)
    return xlsx_book_response(f"导入错误-{found.file_id}.xlsx", [
        ("错误行", ("行号", "原因"), sorted(report.errors.items())),
        ("对账差异", ("行号", "缴费单号", "金额（元）", "原因"), [tuple(u) for u in report.unapplied])])


def _reconcile_page(request: Request, session: Any, user: Any, form: Form, day: dt.date,
                    statements: list[StatementLine] | None, status: int = 200) -> Response:
    rows = reconcile_day(session, day, statements or ())
    return page(request, "console/reconcile.html", status=status, user=user, form=form, day=day, rows=rows,
                stated=statements is not None, channels=PAYMENT_CHANNELS, banks=BANKS,
                columns="、".join(collection.STATEMENT_COLUMNS), names="、".join(collection.STATEMENT_CHANNELS))


@router.get("/reconcile", response_class=HTMLResponse)
def reconcile_page(request: Request, session: DbSession, user: ConsoleUser, day: str = "") -> Response:
    """A day's payments and refunds by channel and bank (按渠道、银行日对账)."""
    need(user, Permission.BATCH_WRITE)
    form = Form({"day": day} if day else {}, {})
    when = form.date_or("day", "对账日期", now().date())
    return _reconcile_page(request, session, user, form, when, None, 400 if form.errors else 200)


@router.post("/reconcile", response_class=HTMLResponse)
async def reconcile_statement(request: Request, session: DbSession, user: ConsoleUser,
                              file: UploadFile = File(None)) -> Response:
    """The same day beside a collecting party's statement file: each channel and bank matched or not."""
    need(user, Permission.BATCH_WRITE)
    form = await Form.read(request)
    upload = await Upload.read(file)
    try:
        when = form.date("day", "对账日期")
        statements = collection.read_statement(upload.name, upload.chosen("对账单文件（CSV 或 Excel）"))
    except DomainError as exc:
        form.fail(exc, "file")
        day = dt.date.fromisoformat(form.get("day")) if _iso(form.get("day")) else now().date()
        return _reconcile_page(request, session, user, form, day, None, 400)
    return _reconcile_page(request, session, user, form, when, statements)


def _iso(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


@router.post("/school-payments", response_class=HTMLResponse)
async def school(request: Request, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.PAYMENT_WRITE)
    form = await Form.read(request)
    done = attempt(session, form, lambda: collection.pay_school(
        session, school=form.required("school", "学校名称"), year=form.year("year"),
        amount=form.amount("amount", "缴费金额"), paid_on=form.date("paid_on", "缴费日期"),
        reference=form.required("reference", "流水号"), actor=user.username), "amount")
    if done is None:
        return _page(request, session, user, form=form, status=400)
    return _page(request, session, user, notice=f"{done.school} {done.year} 年度：{done.bills} 名学生缴费 "
                                                 f"{done.amount} 元已登记，参保登记已生效。")
