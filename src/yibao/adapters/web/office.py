"""Staff console, the centre's back office: school batch import (with progress and the row-by-row report),
institutions and their agreement status, filings, manual reimbursement, a settlement with its split and
trace and receipt (the centre's reports are in reports.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from yibao.access.trail import Action
from yibao.adapters.gateway.transactions import TRANSACTIONS
from yibao.adapters.rest.deps import DbSession, EditionsDep
from yibao.adapters.trailing import receipt_response, saw
from yibao.adapters.web.common import (
    CLASS_LABELS,
    Form,
    attempt,
    fee_lines,
    page,
    page_or_part,
    redirect,
)
from yibao.adapters.web.console import ConsoleUser, need
from yibao.adapters.web.exports import EXPORT_LIMIT, xlsx_response
from yibao.adapters.web.jobs import job_of, start_job
from yibao.enrollment.school import Mode, import_school_batch, read_school_file
from yibao.errors import InvalidInput
from yibao.filings import service as filings
from yibao.filings.models import CrossRegionFiling, SpecialDiseaseFiling
from yibao.glossary import SETTLEMENT_KIND_LABELS
from yibao.institutions import national_lists
from yibao.institutions import service as institutions
from yibao.kit.clock import now
from yibao.kit.errors import DomainError
from yibao.people.models import Person
from yibao.policy.editions import BENEFIT_LABELS, LEVEL_LABELS, Benefit, Level
from yibao.settlement.calls import PAGE, CallQuery, find_calls
from yibao.settlement.listing import PAGE as SETTLEMENTS_PAGE
from yibao.settlement.listing import SettlementQuery, find_settlements
from yibao.settlement.manual import manual_reimbursement
from yibao.settlement.models import SettlementKind, SettlementStatus
from yibao.settlement.receipt import build_receipt
from yibao.settlement.settle import cancel_settlement, get_settlement
from yibao.staff.service import Permission

router = APIRouter(prefix="/console", include_in_schema=False)
MANUAL_LINES = 5


# ---------------------------------------------------------------------------------------------------
# School batch import: runs in a worker thread with its own transaction; the page polls its progress


@router.get("/school-import", response_class=HTMLResponse)
def school_import_page(request: Request, user: ConsoleUser) -> Response:
    need(user, Permission.BATCH_WRITE)
    return page(request, "console/school_import.html", user=user, year=now().year)


@router.post("/school-import", response_class=HTMLResponse)
async def school_import(request: Request, user: ConsoleUser, file: UploadFile = File(None)) -> Response:
    need(user, Permission.BATCH_WRITE)
    form = await Form.read(request)
    try:
        if file is None or not file.filename:
            raise InvalidInput("请选择学校报送的 CSV 或 Excel 文件", field="file")
        year = form.year("year")
        day = form.date("registration_date", "登记日期")
        mode: Mode = "valid_only" if form.get("mode") == "valid_only" else "all_or_nothing"
        rows = read_school_file(file.filename, await file.read())
    except DomainError as exc:
        form.fail(exc, "file")
        return page(request, "console/school_import.html", status=400, user=user, year=now().year, form=form)
    editions = request.app.state.editions

    def work(session: Any, progress: Any) -> Any:
        return import_school_batch(session, editions, rows, year=year, registration_date=day, mode=mode,
                                   actor=user.username, progress=progress)

    job = start_job(request, kind="school_import", filename=file.filename, total=len(rows), actor=user.username,
                    work=work)
    return redirect(f"/console/school-import/{job.id}")


@router.get("/school-import/{job_id}", response_class=HTMLResponse)
def school_import_job(request: Request, job_id: str, user: ConsoleUser) -> Response:
    need(user, Permission.BATCH_WRITE)
    job = job_of(request, job_id, "school_import")
    return page_or_part(request, "console/import_job.html", "console/_import_status.html", user=user, job=job)


@router.get("/school-import/{job_id}/errors.xlsx")
def school_import_errors(request: Request, job_id: str, user: ConsoleUser) -> Response:
    """A finished import's problem rows as Excel, for the school to correct and send again."""
    need(user, Permission.BATCH_WRITE)
    job = job_of(request, job_id, "school_import")
    if job.report is None:
        raise InvalidInput("导入尚未完成，完成后再下载错误行", field="job_id")
    return xlsx_response(f"学校参保导入错误-{job.filename}.xlsx", "错误行", ("行号", "学生", "问题"),
                         ((e["line"], e.get("name") or "", e["message"]) for e in job.report.errors))


# ---------------------------------------------------------------------------------------------------
# Institutions and their agreement status


def _institutions_page(request: Request, session: Any, user: Any, form: Form | None = None,
                       status: int = 200, notice: str = "") -> Response:
    return page(request, "console/institutions.html", status=status, user=user, form=form or Form({}, {}),
                notice=notice,
                institutions=institutions.list_institutions(session), kinds=institutions.KINDS,
                regions=institutions.REGIONS, hosp_lv=institutions.HOSP_LV, statuses=institutions.STATUS)


AGREEMENT_NOTICES = {"active": "协议状态已恢复正常。", "suspended": "已暂停该机构的医保结算。",
                     "terminated": "已解除该机构的医保服务协议。"}


@router.get("/institutions", response_class=HTMLResponse)
def institutions_page(request: Request, session: DbSession, user: ConsoleUser, notice: str = "") -> Response:
    need(user, Permission.SETTLEMENT_READ)
    return _institutions_page(request, session, user, notice=AGREEMENT_NOTICES.get(notice, ""))


@router.get("/institutions.xlsx")
def institutions_xlsx(session: DbSession, user: ConsoleUser) -> Response:
    """The institutions list as Excel (the same rows as the page)."""
    need(user, Permission.SETTLEMENT_READ)
    rows = institutions.list_institutions(session)
    return xlsx_response(f"定点医药机构-{now():%Y%m%d}.xlsx", "定点医药机构",
                         ("机构编码", "名称", "类型", "医院等级", "所在地区", "医保区划", "跨省定点", "协议状态",
                          "暂停至", "原因"),
                         ((i.fixmedins_code, i.name, institutions.KINDS.get(i.kind, i.kind),
                           institutions.HOSP_LV.get(i.hosp_lv, i.hosp_lv), institutions.REGIONS.get(i.region, i.region),
                           i.admdvs, "是" if i.cross_province_designated else "否",
                           institutions.STATUS.get(i.agreement_status, i.agreement_status), i.suspended_until,
                           i.agreement_reason or "") for i in rows))


@router.post("/institutions/{code}/agreement", response_class=HTMLResponse)
async def agreement(request: Request, code: str, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.INSTITUTION_WRITE)
    form = await Form.read(request)
    form.values["code"] = code

    def act() -> Any:
        until = form.date("until", "暂停至") if form.get("until") else None
        return institutions.set_agreement(session, code=code, status=form.required("status", "协议状态"), until=until,
                                          reason=form.get("reason"))

    done = attempt(session, form, act, "status")
    if done is None:
        return _institutions_page(request, session, user, form, 400)
    return redirect(f"/console/institutions?notice={done.agreement_status}#inst-{code}")


@router.get("/gateway-log", response_class=HTMLResponse)
def gateway_log(request: Request, session: DbSession, user: ConsoleUser) -> Response:
    """The interface log (every HIS call; messages masked): by institution, transaction, outcome, msgid, day."""
    need(user, Permission.SETTLEMENT_READ)
    values = {k: v.strip() for k, v in request.query_params.items() if isinstance(v, str)}
    form = Form(values, {})
    day = None
    if values.get("day"):
        try:
            day = dt.date.fromisoformat(values["day"])
        except ValueError:
            form.errors["day"] = "日期格式应为 YYYY-MM-DD"
    page_no = int(values["page"]) if values.get("page", "").isdigit() else 1
    rows, total = find_calls(session, CallQuery(values.get("fixmedins_code") or None, values.get("infno") or None,
                                                values.get("outcome") or None, values.get("msgid") or None,
                                                values.get("psn_no") or None, day, page_no))
    query = urlencode({k: v for k, v in values.items() if k != "page" and v})
    return page(request, "console/gateway_log.html", user=user, form=form, rows=rows, total=total, page=page_no,
                per_page=PAGE, query=query, names={infno: tx.name for infno, tx in TRANSACTIONS.items()})


# ---------------------------------------------------------------------------------------------------
# Filings


FILING_PREFIXES = {"special_disease": "sd-", "cross_region": "cr-"}  # two forms on one page


def _filings_page(request: Request, session: Any, user: Any, form: Form | None = None, status: int = 200,
                  notice: str = "") -> Response:
    special = session.scalars(select(SpecialDiseaseFiling).order_by(SpecialDiseaseFiling.created_at.desc())
                              .limit(20)).all()
    cross = session.scalars(select(CrossRegionFiling).order_by(CrossRegionFiling.created_at.desc()).limit(20)).all()
    names = {p.psn_no: p.name for p in session.scalars(
        select(Person).where(Person.psn_no.in_({f.psn_no for f in [*special, *cross]})))}
    return page(request, "console/filings.html", status=status, user=user, form=form or Form({}, {}), notice=notice,
                special=special, cross=cross, names=names, reasons=filings.REASONS,
                institutions=institutions.list_institutions(session),
                diseases={e.code: f"{e.code} {e.name}" for e in national_lists.entries_newer(
                    session, filings.DISEASE_LIST, None) if e.vali_flag == "1"},
                blank_sd=Form({}, {}, FILING_PREFIXES["special_disease"]),
                blank_cr=Form({}, {}, FILING_PREFIXES["cross_region"]))


@router.get("/filings", response_class=HTMLResponse)
def filings_page(request: Request, session: DbSession, user: ConsoleUser, notice: str = "") -> Response:
    need(user, Permission.SETTLEMENT_READ)
    return _filings_page(request, session, user,
                         notice={"1": "备案已登记。", "revoked": "门诊特病备案已撤销。"}.get(notice, ""))


@router.get("/filings.xlsx")
def filings_xlsx(session: DbSession, user: ConsoleUser, kind: str = "", status: str = "") -> Response:
    """Every filing of the chosen kind and status as Excel (the page shows only the latest)."""
    need(user, Permission.SETTLEMENT_READ)
    rows = filings.filing_rows(session, kind=kind.strip(), status=status.strip(), limit=EXPORT_LIMIT)
    return xlsx_response(f"备案-{now():%Y%m%d}.xlsx", "备案", filings.FILING_HEADER, rows)


@router.post("/filings", response_class=HTMLResponse)
async def file(request: Request, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.SETTLEMENT_WRITE)
    form = await Form.read(request)
    form.prefix = FILING_PREFIXES.get(form.get("kind"), "cr-")

    def act() -> Any:
        psn_no = form.required("psn_no", "人员编号")
        begin = form.date("begndate", "有效期起")
        end = form.date("enddate", "有效期止") if form.get("enddate") else None
        if form.get("kind") == "special_disease":
            return filings.file_special_disease(
                session, psn_no=psn_no, disease_code=form.required("disease_code", "病种"),
                fixmedins_code=form.required("fixmedins_code", "鉴定机构"), begndate=begin, enddate=end,
                designated_fixmedins_code=form.get("designated_fixmedins_code") or None)
        return filings.file_cross_region(session, psn_no=psn_no, reason=form.required("reason", "备案原因"),
                                         place=form.get("place"), begndate=begin, enddate=end)

    if attempt(session, form, act) is None:
        return _filings_page(request, session, user, form, 400)
    return redirect("/console/filings?notice=1")


@router.post("/filings/{psn_no}/{filing_id}/revoke", response_class=HTMLResponse)
async def revoke(request: Request, psn_no: str, filing_id: str, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.SETTLEMENT_WRITE)
    form = await Form.read(request)
    filings.revoke_special_disease(session, psn_no, filing_id, reason=form.get("reason"), actor=user.username)
    return redirect("/console/filings?notice=revoked")


# ---------------------------------------------------------------------------------------------------
# Manual reimbursement (零星报销)


def _manual_page(request: Request, user: Any, form: Form | None = None, status: int = 200) -> Response:
    return page(request, "console/manual.html", status=status, user=user, form=form or Form({}, {}),
                benefits=BENEFIT_LABELS, levels=LEVEL_LABELS, regions=institutions.REGIONS, classes=CLASS_LABELS,
                rows=range(MANUAL_LINES))


@router.get("/reimbursements", response_class=HTMLResponse)
def manual_page(request: Request, user: ConsoleUser, psn_no: str = "") -> Response:
    need(user, Permission.SETTLEMENT_WRITE)
    return _manual_page(request, user, Form({"psn_no": psn_no}, {}))


@router.post("/reimbursements", response_class=HTMLResponse)
async def manual(request: Request, session: DbSession, editions: EditionsDep, user: ConsoleUser) -> Response:
    need(user, Permission.SETTLEMENT_WRITE)
    form = await Form.read(request)

    def act() -> Any:
        return manual_reimbursement(
            session, editions, psn_no=form.required("psn_no", "人员编号"),
            benefit=form.choice("benefit", "待遇类别", Benefit), service_date=form.date("service_date", "医疗日期"),
            level=form.choice("level", "医院等级", Level),
            region=form.required("region", "就医地区"), lines=fee_lines(form, MANUAL_LINES), place=form.get("place"),
            actor=user.username, disease_code=form.get("disease_code") or None)

    row = attempt(session, form, act)
    if row is None:
        return _manual_page(request, user, form, 400)
    return redirect(f"/console/settlements/{row.setl_id}")


# ---------------------------------------------------------------------------------------------------
# The settlements list (filtered, paged) and its Excel download


def _settlement_query(values: dict[str, str], form: Form) -> SettlementQuery:
    """The list's filter from the query string; a bad date or choice → the field's error and no filter on it."""
    start, end = form.date_or("start", "起始日期", None), form.date_or("end", "截止日期", None)
    choices: dict[str, Any] = {}
    for name, label, kind in (("kind", "结算类别", SettlementKind), ("status", "状态", SettlementStatus),
                              ("benefit", "待遇类别", Benefit)):
        if values.get(name):
            try:
                choices[name] = form.choice(name, label, kind)
            except InvalidInput as exc:
                form.fail(exc)
    return SettlementQuery(start, end, values.get("fixmedins_code") or None,
                           choices.get("benefit"), choices.get("kind"), choices.get("status"),
                           values.get("psn_no") or None)


SETTLEMENT_STATUS_LABELS = {SettlementStatus.VALID.value: "有效", SettlementStatus.CANCELLED.value: "已撤销"}


@router.get("/settlements", response_class=HTMLResponse)
def settlements_page(request: Request, session: DbSession, user: ConsoleUser) -> Response:
    """Every settlement and manual claim, newest first: by service date, institution, benefit, kind, status, person."""
    need(user, Permission.SETTLEMENT_READ)
    values = {k: v.strip() for k, v in request.query_params.items() if isinstance(v, str)}
    form = Form(values, {})
    wanted = _settlement_query(values, form)
    page_no = int(values["page"]) if values.get("page", "").isdigit() and int(values["page"]) > 0 else 1
    rows, total = find_settlements(session, wanted, limit=SETTLEMENTS_PAGE, offset=(page_no - 1) * SETTLEMENTS_PAGE)
    query = urlencode({k: v for k, v in values.items() if k != "page" and v})
    return page(request, "console/settlements.html", status=400 if form.errors else 200, user=user, form=form,
                rows=rows, total=total, page=page_no, per_page=SETTLEMENTS_PAGE, query=query,
                kinds=SETTLEMENT_KIND_LABELS, statuses=SETTLEMENT_STATUS_LABELS,
                benefits={b.value: label for b, label in BENEFIT_LABELS.items()},
                levels={lv.value: label for lv, label in LEVEL_LABELS.items()})


SETTLEMENTS_HEADER = ("结算编号", "人员编号", "姓名", "机构编码", "机构", "类别", "状态", "待遇类别", "医院等级",
                      "服务日期", "结算时间", "医疗费总额", "统筹基金", "大病保险", "医疗救助", "基金支付合计",
                      "家庭账户支付", "个人现金支付")


@router.get("/settlements.xlsx")
def settlements_xlsx(request: Request, session: DbSession, user: ConsoleUser) -> Response:
    """The list's whole result (up to EXPORT_LIMIT) as Excel, the filter applied."""
    need(user, Permission.SETTLEMENT_READ)
    values = {k: v.strip() for k, v in request.query_params.items() if isinstance(v, str)}
    form = Form(values, {})
    wanted = _settlement_query(values, form)
    if form.errors:
        field, message = next(iter(form.errors.items()))
        raise InvalidInput(message, field=field)
    rows, _ = find_settlements(session, wanted, limit=EXPORT_LIMIT)
    saw(request, session, Action.EXPORT, sorted({r.psn_no for r in rows}), "导出结算明细")
    levels = {lv.value: label for lv, label in LEVEL_LABELS.items()}
    benefits = {b.value: label for b, label in BENEFIT_LABELS.items()}
    return xlsx_response(f"结算明细-{now():%Y%m%d}.xlsx", "结算明细", SETTLEMENTS_HEADER, (
        (r.setl_id, r.psn_no, r.psn_name, r.fixmedins_code or "", r.institution or "",
         SETTLEMENT_KIND_LABELS.get(r.kind, r.kind), SETTLEMENT_STATUS_LABELS.get(r.status, r.status),
         benefits.get(r.benefit, r.benefit), levels.get(r.level, r.level), r.service_date,
         r.setl_time.strftime("%Y-%m-%d %H:%M:%S"), r.medfee_sumamt, r.hifp_pay, r.hifmi_pay, r.maf_pay,
         r.fund_pay_sumamt, r.acct_pay, r.psn_cash_pay) for r in rows))


# ---------------------------------------------------------------------------------------------------
# A settlement: the split, the trace, the receipt


@router.get("/settlements/{setl_id}", response_class=HTMLResponse)
def settlement_view(request: Request, setl_id: str, session: DbSession, user: ConsoleUser,
                    notice: str = "") -> Response:
    need(user, Permission.SETTLEMENT_READ)
    receipt = build_receipt(session, setl_id)
    return page(request, "console/settlement.html", user=user, r=receipt, s=receipt.settlement,
                notice="零星报销已撤销：基金账已冲回，年度累计已扣回。" if notice == "cancelled" else "")


@router.post("/settlements/{setl_id}/cancel", response_class=HTMLResponse)
async def cancel_manual(request: Request, setl_id: str, session: DbSession, user: ConsoleUser) -> Response:
    """A manual reimbursement entered by mistake is cancelled by staff, with the reason (a negated row and a
    reversing journal entry); a hospital's settlement is cancelled by the hospital (2208/2305)."""
    need(user, Permission.SETTLEMENT_WRITE)
    form = await Form.read(request)
    if get_settlement(session, setl_id).kind != "manual":
        raise InvalidInput("医院的结算由医院撤销（2208/2305）；此处只能撤销零星报销", field="setl_id")
    reason = form.required("reason", "撤销原因")
    row = cancel_settlement(session, setl_id, institution=None, msgid=None, actor=user.username, reason=reason)
    return redirect(f"/console/settlements/{row.setl_id}?notice=cancelled")


@router.get("/settlements/{setl_id}/receipt", response_class=HTMLResponse)
def receipt(setl_id: str, request: Request, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.SETTLEMENT_READ)
    return receipt_response(request, session, build_receipt(session, setl_id), back=f"/console/settlements/{setl_id}",
                            technical=True)


@router.get("/settlements/{setl_id}/receipt.pdf")
def receipt_file(setl_id: str, request: Request, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.SETTLEMENT_READ)
    return receipt_response(request, session, build_receipt(session, setl_id), pdf=True)
