"""Fund audit's console pages (audit/, POLICY.md §12): the auditor scans a period, works the findings (dismiss
with a reason, or tick several and open a case), works a case (notes, evidence, the institution's statement, a
proposal of sanctions); an administrator decides or returns it; decided cases publish notices (page and PDF) and
the period's statistics as the report counts them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from yibao.adapters.downloads import PDF, download
from yibao.adapters.rest.deps import DbSession
from yibao.adapters.web.common import Form, Upload, attempt, page, redirect
from yibao.adapters.web.console import ConsoleUser, need
from yibao.adapters.web.exports import EXPORT_LIMIT, xlsx_response
from yibao.audit import documents, service
from yibao.audit.notice import notice_pdf
from yibao.audit.rules import SCENE_LABELS, SEVERITY_LABELS, rule_book
from yibao.audit.sanctions import FUND_LABELS, SANCTION_LABELS, SanctionIn, SanctionKind
from yibao.errors import InvalidInput
from yibao.institutions.service import list_institutions
from yibao.kit.clock import now
from yibao.staff.service import Permission

router = APIRouter(include_in_schema=False)
SANCTION_ROWS = 4  # sanction lines on the proposal form
NOTICES = {"scanned": "扫描完成。", "dismissed": "疑点已排除。", "event": "记录已添加。",
           "proposed": "处理意见已提交，待管理员审批。", "decided": "稽查决定已作出并立即生效，通报已发布。",
           "returned": "处理意见已退回重拟。", "appealed": "申诉已登记，案件重新复查。",
           "document": "证据文件已上传。"}


def _labels() -> dict[str, Any]:
    book = rule_book()
    return {"rules": {rule.id: rule for rule in book.rules}, "types": book.types, "book": book,
            "scenes": {scene.value: label for scene, label in SCENE_LABELS.items()}, "severity": SEVERITY_LABELS,
            "finding_labels": {s.value: label for s, label in service.FINDING_LABELS.items()},
            "case_labels": {s.value: label for s, label in service.CASE_LABELS.items()},
            "sanction_labels": {k.value: label for k, label in SANCTION_LABELS.items()}, "funds": FUND_LABELS}


def _audit_page(request: Request, session: Any, user: Any, *, form: Form | None = None, status: int = 200,
                notice: str = "", finding_status: str = "open", rule_id: str = "") -> Response:
    today = now().date()
    return page(request, "console/audit.html", status=status, user=user, form=form or Form({}, {}), notice=notice,
                findings=service.findings(session, status=finding_status or None, rule_id=rule_id or None),
                cases=service.cases(session, limit=100), finding_status=finding_status, rule_id=rule_id,
                institutions=list_institutions(session), start=today.replace(month=1, day=1), end=today,
                **_labels())


@router.get("/console/audit", response_class=HTMLResponse)
def console_audit(request: Request, session: DbSession, user: ConsoleUser, status: str = "open", rule_id: str = "",
                  notice: str = "") -> Response:
    need(user, Permission.AUDIT_WRITE)
    return _audit_page(request, session, user, notice=NOTICES.get(notice, ""), finding_status=status.strip(),
                       rule_id=rule_id.strip())


@router.get("/console/audit/findings.xlsx")
def findings_xlsx(session: DbSession, user: ConsoleUser, status: str = "open", rule_id: str = "") -> Response:
    """The findings of the page's filter as Excel."""
    need(user, Permission.AUDIT_WRITE)
    book = rule_book()
    found = service.findings(session, status=status.strip() or None, rule_id=rule_id.strip() or None,
                             limit=EXPORT_LIMIT)
    return xlsx_response("稽查疑点.xlsx", "疑点", service.FINDING_HEADER,
                         (service.finding_row(finding, book) for finding in found))


@router.post("/console/audit/scan", response_class=HTMLResponse)
async def console_scan(request: Request, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.AUDIT_WRITE)
    form = await Form.read(request)
    scan = attempt(session, form, lambda: service.run_scan(session, start=form.date("start", "起始日期"),
                                                           end=form.date("end", "截止日期"), actor=user.username))
    if scan is None:
        return _audit_page(request, session, user, form=form, status=400)
    words = (f"已扫描 {scan.period_from} 至 {scan.period_to} 的 {scan.settlements:,} 笔结算、"
             f"{scan.fee_lines:,} 条明细，新发现疑点 {scan.findings} 个。")
    return _audit_page(request, session, user, notice=words)


@router.post("/console/audit/findings/{finding_id}/dismiss", response_class=HTMLResponse)
async def console_dismiss(request: Request, finding_id: str, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.AUDIT_WRITE)
    form = await Form.read(request)
    if attempt(session, form, lambda: service.dismiss_finding(session, finding_id, reason=form.get("reason"),
                                                              actor=user.username)) is None:
        return _audit_page(request, session, user, form=form, status=400)
    return redirect("/console/audit?notice=dismissed")


@router.post("/console/audit/cases", response_class=HTMLResponse)
async def console_open(request: Request, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.AUDIT_WRITE)
    form = await Form.read(request)
    chosen = [key.removeprefix("finding_") for key in form.values if key.startswith("finding_")]
    case = attempt(session, form, lambda: service.open_case(
        session, title=form.required("title", "案件名称"), vola_type=form.get("vola_type"),
        fixmedins_code=form.get("fixmedins_code") or None, psn_no=form.get("psn_no") or None,
        finding_ids=chosen, note=form.get("note"), actor=user.username))
    if case is None:
        return _audit_page(request, session, user, form=form, status=400)
    return redirect(f"/console/audit/cases/{case.id}")


def _case_page(request: Request, session: Any, user: Any, case_id: str, *, form: Form | None = None,
               status: int = 200, notice: str = "") -> Response:
    view = service.case_view(session, case_id)
    return page(request, "console/audit_case.html", status=status, user=user, form=form or Form({}, {}),
                notice=notice, view=view, c=view.case, event_kinds=service.EVENT_KINDS, rows=range(SANCTION_ROWS),
                files={d.event_number: d for d in documents.documents(session, case_id)},
                max_mb=documents.MAX_DOCUMENT_BYTES // 1024 // 1024,
                allowed=rule_book().sanctions[view.case.vola_type], kinds=[k.value for k in SanctionKind],
                describe=service.describe_sanctions, **_labels())


@router.get("/console/audit/cases/{case_id}", response_class=HTMLResponse)
def console_case(request: Request, case_id: str, session: DbSession, user: ConsoleUser,
                 notice: str = "") -> Response:
    need(user, Permission.AUDIT_WRITE)
    return _case_page(request, session, user, case_id, notice=NOTICES.get(notice, ""))


def _sanctions(form: Form) -> list[SanctionIn]:
    """The proposal form's sanction lines (a line without a kind is left out)."""
    found = []
    for n in range(SANCTION_ROWS):
        kind = form.get(f"kind_{n}")
        if not kind:
            continue
        number = {name: form.get(f"{name}_{n}") for name in ("months", "points")}
        for name, text in number.items():
            if text and not text.isdigit():
                what = "月数" if name == "months" else "分数"
                raise InvalidInput(f"第 {n + 1} 项的{what}应为整数", field=f"{name}_{n}")
        found.append(SanctionIn(kind, setl_id=form.get(f"setl_id_{n}") or None,
                                fund=form.get(f"fund_{n}") or "390100",
                                amount=form.get(f"amount_{n}").replace(",", "") or None,
                                months=int(number["months"]) if number["months"] else None,
                                points=int(number["points"]) if number["points"] else None,
                                dr_code=form.get(f"dr_code_{n}") or None))
    return found


ACTIONS = {"event": (Permission.AUDIT_WRITE, "event"), "propose": (Permission.AUDIT_WRITE, "proposed"),
           "decide": (Permission.AUDIT_DECIDE, "decided"), "return": (Permission.AUDIT_DECIDE, "returned"),
           "appeal": (Permission.AUDIT_WRITE, "appealed")}


@router.post("/console/audit/cases/{case_id}/documents", response_class=HTMLResponse)
async def console_case_document(request: Request, case_id: str, session: DbSession, user: ConsoleUser,
                                file: UploadFile = File(None)) -> Response:
    """Upload a file of evidence (PDF or image) to the case."""
    need(user, Permission.AUDIT_WRITE)
    form = await Form.read(request)
    upload = await Upload.read(file)
    done = attempt(session, form, lambda: documents.add_document(
        session, case_id, filename=upload.name, content=upload.content, text=form.get("document_text"),
        actor=user.username))
    if done is None:
        return _case_page(request, session, user, case_id, form=form, status=400)
    return redirect(f"/console/audit/cases/{case_id}?notice=document")


@router.get("/console/audit/cases/{case_id}/documents/{document_id}")
def console_case_document_file(case_id: str, document_id: str, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.AUDIT_WRITE)
    document, content = documents.document_content(session, case_id, document_id)
    return download(content, document.filename, document.media_type)  # as an attachment (and nosniff: the app's)


@router.post("/console/audit/cases/{case_id}/{action}", response_class=HTMLResponse)
async def console_case_act(request: Request, case_id: str, action: str, session: DbSession,
                           user: ConsoleUser) -> Response:
    if action not in ACTIONS:
        return redirect(f"/console/audit/cases/{case_id}")
    permission, done = ACTIONS[action]
    need(user, permission)
    form = await Form.read(request)
    run = {
        "event": lambda: service.add_event(session, case_id, kind=form.get("kind"), text=form.get("text"),
                                           setl_id=form.get("setl_id"), document=form.get("document"),
                                           actor=user.username),
        "propose": lambda: service.propose(session, case_id, sanctions=_sanctions(form), reason=form.get("reason"),
                                           actor=user.username),
        "decide": lambda: service.decide(session, case_id, actor=user.username),
        "return": lambda: service.send_back(session, case_id, reason=form.get("reason"), actor=user.username),
        "appeal": lambda: service.appeal(session, case_id, text=form.get("text"), actor=user.username),
    }[action]
    if attempt(session, form, run) is None:
        return _case_page(request, session, user, case_id, form=form, status=400)
    return redirect(f"/console/audit/cases/{case_id}?notice={done}")


@router.get("/console/audit/notices", response_class=HTMLResponse)
def console_notices(request: Request, session: DbSession, user: ConsoleUser, start: str = "",
                    end: str = "") -> Response:
    need(user, Permission.REPORT_READ)
    form = Form({"start": start, "end": end}, {})
    today = now().date()
    try:
        first = dt.date.fromisoformat(start) if start else today.replace(month=1, day=1)
        last = dt.date.fromisoformat(end) if end else today
    except ValueError:
        form.errors["start"] = "日期格式应为 年-月-日（如 2026-03-01）"
        first, last = today.replace(month=1, day=1), today
    return page(request, "console/audit_notices.html", status=400 if form.errors else 200, user=user, form=form,
                notices=[c for c in service.cases(session, status="decided") if c.notice], start=first, end=last,
                figures=service.statistics(session, start=first, end=last), **_labels())


@router.get("/console/audit/cases/{case_id}/notice.pdf")
def console_notice_pdf(case_id: str, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.REPORT_READ)
    case = service.get_case(session, case_id)
    if not case.notice:
        return redirect(f"/console/audit/cases/{case_id}")
    return download(notice_pdf(case), f"稽查通报-{case.ref}.pdf", PDF)

