"""Institution clearing's pages (clearing/, S18 §6): the centre's (build a month, approve as a second person, pay,
download, the ledger's fund, payable and bank balances) and the institution's (its statements at the desk)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from yibao.accounts.ledger import ledger_balances
from yibao.adapters.downloads import XLSX, download
from yibao.adapters.rest.deps import DbSession
from yibao.adapters.web.common import Form, attempt, page, redirect
from yibao.adapters.web.console import ConsoleUser, need
from yibao.adapters.web.desk import DeskUser
from yibao.clearing import service as clearing
from yibao.clearing.statement import statement_filename, statement_xlsx
from yibao.glossary import FUNDS
from yibao.kit.clock import now
from yibao.kit.money import ZERO
from yibao.policy.editions import BENEFIT_LABELS
from yibao.staff.service import Permission

router = APIRouter(include_in_schema=False)
NOTICES = {"approved": "清算单已审核，应付机构款已记账。", "paid": "清算支付已登记，应付机构款已冲销。",
           "discarded": "清算单草稿已作废，其结算可重新清算。"}


DONE = {"approve": "approved", "pay": "paid", "discard": "discarded"}


def _last_month() -> str:
    """The month a clearing is usually for: the one before today's."""
    return f"{now().date().replace(day=1) - dt.timedelta(days=1):%Y-%m}"


def _page(request: Request, session: Any, user: Any, *, form: Form | None = None, status: int = 200,
          notice: str = "", month: str = "") -> Response:
    balances = ledger_balances(session)
    funds = [(f"{fund.label}（{fund.code}）", balances.get(fund.account, ZERO)) for fund in FUNDS]
    payables = sum((v for k, v in balances.items() if k.startswith("payable:")), ZERO)
    return page(request, "console/clearing.html", status=status, user=user, form=form or Form({}, {}),
                notice=notice, rows=clearing.clearings(session, month=month or None), month=month or _last_month(),
                labels=clearing.STATUS_LABELS, funds=funds, payables=payables,
                bank=balances.get(clearing.BANK, ZERO))


@router.get("/console/clearing", response_class=HTMLResponse)
def console_clearing(request: Request, session: DbSession, user: ConsoleUser, month: str = "",
                     notice: str = "") -> Response:
    need(user, Permission.REPORT_READ)
    return _page(request, session, user, notice=NOTICES.get(notice, ""), month=month.strip())


@router.post("/console/clearing", response_class=HTMLResponse)
async def console_build(request: Request, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.CLEARING_WRITE)
    form = await Form.read(request)
    run = attempt(session, form, lambda: clearing.build_month(session, month=form.required("month", "清算月份"),
                                                               actor=user.username), "month")
    if run is None:
        return _page(request, session, user, form=form, status=400)
    words = f"已生成 {run.month} 清算单 {len(run.built)} 张，待另一位工作人员审核。" if run.built else \
        f"{run.month} 没有待清算的结算。"
    if run.skipped:
        words += " 未生成：" + "；".join(f"{code}（{why}）" for code, why in run.skipped.items())
    return _page(request, session, user, notice=words, month=run.month)


@router.get("/console/clearing/{clearing_id}", response_class=HTMLResponse)
def console_one(request: Request, clearing_id: str, session: DbSession, user: ConsoleUser,
                notice: str = "") -> Response:
    need(user, Permission.REPORT_READ)
    return _one(request, session, user, clearing_id, notice=NOTICES.get(notice, ""))


def _one(request: Request, session: Any, user: Any, clearing_id: str, *, form: Form | None = None,
         status: int = 200, notice: str = "") -> Response:
    row = clearing.get_clearing(session, clearing_id)
    return page(request, "console/clearing_one.html", status=status, user=user, row=row, form=form or Form({}, {}),
                labels=clearing.STATUS_LABELS, notice=notice, by_benefit=json.loads(row.by_benefit),
                benefits=BENEFIT_LABELS, deductions=clearing.deductions_of(session, clearing_id),
                kinds=clearing.DEDUCTION_KINDS, funds=FUNDS)


@router.post("/console/clearing/{clearing_id}/{action}", response_class=HTMLResponse)
async def console_act(request: Request, clearing_id: str, action: str, session: DbSession,
                      user: ConsoleUser) -> Response:
    need(user, Permission.CLEARING_WRITE)
    form = await Form.read(request)
    actions = {"approve": lambda: clearing.approve(session, clearing_id, actor=user.username),
               "pay": lambda: clearing.pay(session, clearing_id, payment_ref=form.get("payment_ref"),
                                           actor=user.username),
               "discard": lambda: clearing.discard(session, clearing_id, actor=user.username)}
    if action not in DONE:
        return redirect(f"/console/clearing/{clearing_id}")
    done = attempt(session, form, actions[action])
    if done is None:
        return _one(request, session, user, clearing_id, form=form, status=400)
    return redirect(f"/console/clearing/{clearing_id}?notice={DONE[action]}")


@router.get("/console/clearing/{clearing_id}/statement.xlsx")
def console_xlsx(clearing_id: str, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.REPORT_READ)
    return _xlsx(session, clearing.get_clearing(session, clearing_id))


def _xlsx(session: Any, row: Any) -> Response:
    return download(statement_xlsx(session, row), statement_filename(row), XLSX)


# ---------------------------------------------------------------------------------------------------
# The institution's own statements


@router.get("/desk/clearings", response_class=HTMLResponse)
def desk_clearings(request: Request, session: DbSession, d: DeskUser) -> Response:
    rows = clearing.clearings(session, fixmedins_code=d.institution.fixmedins_code)
    return page(request, "desk/clearings.html", desk=d, rows=rows, labels=clearing.STATUS_LABELS)


@router.get("/desk/clearings/{clearing_id}/statement.xlsx")
def desk_xlsx(clearing_id: str, session: DbSession, d: DeskUser) -> Response:
    return _xlsx(session, clearing.get_clearing(session, clearing_id, institution=d.institution.fixmedins_code))
