"""Staff console, the centre's reports (reports/): the dashboard, 参保与缴费, 三重保障, 基金支付 — each a page with
its chart and table and an Excel download of the same rows."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from yibao.adapters.downloads import PDF, Sheet, download
from yibao.adapters.rest.deps import DbSession, EditionsDep
from yibao.adapters.web.common import Form, page
from yibao.adapters.web.console import ConsoleUser, need
from yibao.adapters.web.exports import xlsx_book_response
from yibao.contributions.service import PAYMENT_CHANNELS
from yibao.errors import InvalidInput, NotFound
from yibao.glossary import FUNDS
from yibao.kit.clock import now
from yibao.kit.pdf import table_pdf
from yibao.policy.editions import BENEFIT_LABELS, Benefit
from yibao.reports import fund, insured
from yibao.reports import service as reports
from yibao.reports.payments import HEADER as PAYMENTS_HEADER
from yibao.reports.payments import payments
from yibao.reports.payments import rows as payment_rows
from yibao.reports.service import RATIO_DEFINITION, S22_INPATIENT_RATIO, S22_INPATIENT_RATIO_SOURCE
from yibao.reports.triple import HEADER as TRIPLE_HEADER
from yibao.reports.triple import S22_SOURCE, triple_protection
from yibao.reports.triple import rows as triple_rows
from yibao.staff.service import Permission

router = APIRouter(prefix="/console", include_in_schema=False)
FIRST_YEAR = 2018  # the first edition of the scheme (S18)


FORMATS = ("xlsx", "pdf")


def _file(fmt: str, name: str, title: str, subtitle: str, sheets: Sequence[Sheet]) -> Response:
    """A report as its Excel file (every sheet) or its printable PDF (the first sheet's table)."""
    if fmt not in FORMATS:
        raise NotFound(f"报表只能下载为 Excel（.xlsx）或 PDF（.pdf），不能是 .{fmt[:10]}", field="fmt")
    if fmt == "xlsx":
        return xlsx_book_response(f"{name}.xlsx", sheets)
    _, header, rows = sheets[0]
    return download(table_pdf(title, subtitle, header, rows), f"{name}.pdf", PDF)


def _period(start: str, end: str) -> tuple[Form, dt.date, dt.date]:
    """A report's period from its form (default: this year to date); a date that is not one → the field's error."""
    form = Form({"start": start, "end": end}, {})
    today = now().date()
    first, last = today.replace(month=1, day=1), today
    for name, text in (("start", start), ("end", end)):
        if text:
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:
                form.errors[name] = "日期格式应为 年-月-日（如 2026-03-01）"
                continue
            first, last = (day, last) if name == "start" else (first, day)
    if first > last:
        form.errors["end"] = f"截止日期 {last} 早于起始日期 {first}"
        first, last = last, first
    return form, first, last


@router.get("/reports/triple", response_class=HTMLResponse)
def triple(request: Request, session: DbSession, user: ConsoleUser, start: str = "", end: str = "") -> Response:
    need(user, Permission.REPORT_READ)
    form, first, last = _period(start, end)
    report = triple_protection(session, start=first, end=last)
    ratios = [report.figure(key) for key in ("inpatient_ratio", "serious_ratio")]
    chart = {"names": [f.label for f in ratios], "ours": [None if f.value is None else str(f.value) for f in ratios],
             "s22": [str(f.s22) for f in ratios]}
    return page(request, "console/triple.html", status=400 if form.errors else 200, user=user, form=form, r=report,
                start=first, end=last, source=S22_SOURCE, chart=json.dumps(chart, ensure_ascii=False))


@router.get("/reports/payments", response_class=HTMLResponse)
def payments_page(request: Request, session: DbSession, user: ConsoleUser, start: str = "",
                  end: str = "") -> Response:
    need(user, Permission.REPORT_READ)
    form, first, last = _period(start, end)
    report = payments(session, start=first, end=last)
    top = report.by_institution[:10]
    chart = {"names": [r.label for r in top], "values": [str(r.fund) for r in top]}
    return page(request, "console/payments.html", status=400 if form.errors else 200, user=user, form=form,
                r=report, start=first, end=last, chart=json.dumps(chart, ensure_ascii=False))


@router.get("/reports/payments.{fmt}")
def payments_file(fmt: str, session: DbSession, user: ConsoleUser, start: str = "", end: str = "") -> Response:
    need(user, Permission.REPORT_READ)
    _, first, last = _period(start, end)
    report = payments(session, start=first, end=last)
    return _file(fmt, f"基金支付-{first}-{last}", "基金支付：按机构、等级和待遇类别",
                 f"{first} 至 {last} 服务日期的结算（已撤销的不计）",
                 [("基金支付", PAYMENTS_HEADER, payment_rows(report))])


@router.get("/reports/triple.{fmt}")
def triple_file(fmt: str, session: DbSession, user: ConsoleUser, start: str = "", end: str = "") -> Response:
    need(user, Permission.REPORT_READ)
    _, first, last = _period(start, end)
    report = triple_protection(session, start=first, end=last)
    return _file(fmt, f"三重保障-{first}-{last}", "“三重保障”运行情况",
                 f"{first} 至 {last} 服务日期的结算 {report.settlements:,} 笔；右列为{S22_SOURCE}",
                 [("三重保障", TRIPLE_HEADER, triple_rows(report))])


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, session: DbSession, editions: EditionsDep, user: ConsoleUser,
              year: Annotated[int, Query(ge=2018, le=2100)] | None = None) -> Response:
    need(user, Permission.REPORT_READ)
    year = year or now().year
    data = reports.dashboard(session, year)
    edition = editions.on(dt.date(year, 12, 31))
    category_labels = {code: c.label for code, c in edition.categories.items()}
    charts = {
        "category": [{"name": category_labels.get(c, c), "value": n} for c, n in data.by_category],
        "town": {"names": [t for t, _ in data.by_town], "values": [n for _, n in data.by_town]},
        "months": [f"{m}月" for m in reports.MONTHS],
        "fund": [{"name": BENEFIT_LABELS[Benefit(b)], "data": [str(v) for v in values]}
                 for b, values in sorted(data.fund_by_benefit_month.items())],
        "ratio": {"ours": str(data.inpatient_ratio) if data.inpatient_ratio is not None else None,
                  "s22": str(S22_INPATIENT_RATIO)},
    }
    return page(request, "console/dashboard.html", user=user, d=data, year=year, charts=json.dumps(charts),
                category_labels=category_labels, channels=PAYMENT_CHANNELS, s22_ratio=S22_INPATIENT_RATIO,
                s22_source=S22_INPATIENT_RATIO_SOURCE, ratio_definition=RATIO_DEFINITION)


def _year_as_of(year: str, as_of: str) -> tuple[Form, int, dt.date]:
    """The policy year and the day it is read as of (default: this year, today); bad input → the field's error."""
    form = Form({name: text for name, text in (("year", year), ("as_of", as_of)) if text}, {})
    today = now().date()
    chosen, day = today.year, today
    try:
        chosen = form.year("year") if year else chosen
        if not FIRST_YEAR <= chosen <= today.year + 1:
            raise InvalidInput(f"参保年度应在 {FIRST_YEAR} 至 {today.year + 1} 之间", field="year")
    except InvalidInput as exc:
        form.fail(exc)
        chosen = today.year
    return form, chosen, form.date_or("as_of", "统计截止日", day)


@router.get("/reports/insured", response_class=HTMLResponse)
def insured_page(request: Request, session: DbSession, editions: EditionsDep, user: ConsoleUser, year: str = "",
                 as_of: str = "") -> Response:
    need(user, Permission.REPORT_READ)
    form, chosen, day = _year_as_of(year, as_of)
    report = insured.insured_report(session, editions, year=chosen, as_of=day)
    chart = {"names": [r.label for r in report.by_town], "paid": [r.paid for r in report.by_town],
             "subsidised": [r.subsidised for r in report.by_town], "unpaid": [r.unpaid for r in report.by_town]}
    return page(request, "console/insured.html", status=400 if form.errors else 200, user=user, form=form,
                r=report, year=chosen, as_of=day, chart=json.dumps(chart, ensure_ascii=False))


@router.get("/reports/insured.{fmt}")
def insured_file(fmt: str, session: DbSession, editions: EditionsDep, user: ConsoleUser, year: str = "",
                 as_of: str = "") -> Response:
    need(user, Permission.REPORT_READ)
    _, chosen, day = _year_as_of(year, as_of)
    report = insured.insured_report(session, editions, year=chosen, as_of=day)
    return _file(fmt, f"参保与缴费-{chosen}-{day}", f"{chosen} 年度参保与缴费",
                 f"截至 {day}；上年同期为 {chosen - 1} 年度截至 {report.last_as_of}", insured.sheets(report))


@router.get("/reports/fund", response_class=HTMLResponse)
def fund_page(request: Request, session: DbSession, user: ConsoleUser, year: str = "") -> Response:
    need(user, Permission.REPORT_READ)
    form, chosen, _ = _year_as_of(year, "")
    report = fund.fund_report(session, year=chosen)
    chart = {"months": [f"{m.month[1]}月" for m in report.months], "income": [str(m.income) for m in report.months],
             "paid": [str(m.paid_total) for m in report.months], "balance": [str(m.balance) for m in report.months]}
    return page(request, "console/fund.html", status=400 if form.errors else 200, user=user, form=form, r=report,
                year=chosen, funds=FUNDS, chart=json.dumps(chart, ensure_ascii=False))


@router.get("/reports/fund.{fmt}")
def fund_file(fmt: str, session: DbSession, user: ConsoleUser, year: str = "") -> Response:
    need(user, Permission.REPORT_READ)
    _, chosen, _ = _year_as_of(year, "")
    report = fund.fund_report(session, year=chosen)
    return _file(fmt, f"基金收支-{chosen}", f"{chosen} 年基金收支",
                 "支出取自账务，收入取自缴费记录；结余为统筹基金的收入减其支出",
                 [("基金收支", fund.HEADER, fund.rows(report))])
