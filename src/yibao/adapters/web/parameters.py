"""The console's policy parameters page (parameters/service.py, POLICY.md §1): every parameter of every edition as
in force today with its source and whether it is an ASSUMPTION; administrators propose an amendment with its
source and effective date, and another administrator approves or rejects it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from yibao.adapters.rest.deps import DbSession, EditionsDep
from yibao.adapters.web.common import Form, attempt, page, redirect
from yibao.adapters.web.console import ConsoleUser, need
from yibao.clearing.service import cleared_through
from yibao.errors import NotFound
from yibao.kit.clock import now
from yibao.parameters import service
from yibao.parameters.models import AMENDMENT_STATUS_LABELS, AmendmentStatus
from yibao.policy.editions import Editions
from yibao.staff.service import Permission

router = APIRouter(prefix="/console", include_in_schema=False)
DONE = {"approve": "approved", "reject": "rejected"}
NOTICES = {"proposed": "参数修改已提出，须由另一位管理员批准后生效。",
           "approved": "参数修改已批准，自生效日期起用于结算。", "rejected": "参数修改已驳回。"}


def _page(request: Request, session: Any, editions: Editions, user: Any, form: Form | None = None,
          status: int = 200, notice: str = "") -> Response:
    base = service.base_of(editions)
    rows = service.parameter_table(editions, now().date())
    labels = {(r.edition, r.path): service.parameter_label(base.get(r.edition), r.path) for r in rows}
    choices = {f"{r.edition}|{r.path}": f"{r.edition} 版 · {labels[(r.edition, r.path)]}" for r in rows if r.amendable}
    history = service.history(session)
    return page(request, "console/parameters.html", status=status, user=user, form=form or Form({}, {}),
                notice=notice, rows=rows, labels=labels, choices=choices, history=history,
                pending=[a for a in history if a.status == AmendmentStatus.PROPOSED],
                status_labels=AMENDMENT_STATUS_LABELS, titles={e.code: e.title for e in base})


@router.get("/parameters", response_class=HTMLResponse)
def parameters_page(request: Request, session: DbSession, editions: EditionsDep, user: ConsoleUser,
                    notice: str = "") -> Response:
    need(user, Permission.SETTLEMENT_READ)
    return _page(request, session, editions, user, notice=NOTICES.get(notice, ""))


@router.post("/parameters", response_class=HTMLResponse)
async def propose(request: Request, session: DbSession, editions: EditionsDep, user: ConsoleUser) -> Response:
    need(user, Permission.POLICY_AMEND)
    form = await Form.read(request)

    def act() -> Any:
        edition, _, path = form.required("parameter", "参数").partition("|")
        return service.propose(session, editions, edition=edition, path=path, value=form.get("value") or None,
                               source=form.required("source", "依据"),
                               effective_from=form.date("effective_from", "生效日期"), actor=user.username,
                               cleared_through=cleared_through(session))

    if attempt(session, form, act) is None:
        return _page(request, session, editions, user, form, 400)
    return redirect("/console/parameters?notice=proposed")


@router.post("/parameters/{amendment_id}/{decision}", response_class=HTMLResponse)
async def decide(request: Request, amendment_id: str, decision: str, session: DbSession, editions: EditionsDep,
                 user: ConsoleUser) -> Response:
    need(user, Permission.POLICY_AMEND)
    form = await Form.read(request)

    def act() -> Any:
        if decision == "approve":
            return service.approve(session, request.app.state.editions, amendment_id, actor=user.username,
                                   note=form.get("note"), cleared_through=cleared_through(session))
        return service.reject(session, amendment_id, actor=user.username, note=form.get("note"))

    if decision not in DONE:
        raise NotFound("没有这个操作：只能批准（approve）或驳回（reject）", field="decision")
    if attempt(session, form, act) is None:
        return _page(request, session, editions, user, form, 400)
    return redirect(f"/console/parameters?notice={DONE[decision]}")
