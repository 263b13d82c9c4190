"""The console's maternity subsidy (生育医疗费定额补助, settlement/maternity.py, POLICY.md §8): the clerk checks the
birth record and the family-planning materials, the claim is paid from the fund, its notice is printed; a paid
claim is cancelled only with a reason."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from yibao.access.trail import Action
from yibao.adapters.rest.deps import DbSession, EditionsDep
from yibao.adapters.trailing import saw
from yibao.adapters.web.common import Form, attempt, page, redirect
from yibao.adapters.web.console import ConsoleUser, need
from yibao.errors import InvalidInput
from yibao.kit.masks import mask_card
from yibao.people.models import Person
from yibao.settlement import maternity
from yibao.settlement.models import MaternityClaim
from yibao.settlement.receipt import maternity_receipt_html
from yibao.staff.service import Permission, has_permission

router = APIRouter(prefix="/console", include_in_schema=False)


def _page(request: Request, session: Any, user: Any, form: Form | None = None, status: int = 200,
          notice: str = "") -> Response:
    claims = session.scalars(select(MaternityClaim).order_by(MaternityClaim.created_at.desc()).limit(30)).all()
    names = {p.psn_no: p.name for p in session.scalars(
        select(Person).where(Person.psn_no.in_({c.psn_no for c in claims})))}
    whole = has_permission(user, Permission.PERSON_IDENTITY)
    return page(request, "console/maternity.html", status=status, user=user, form=form or Form({}, {}),
                notice=notice, claims=claims, names=names,
                cert=lambda number: number if whole else mask_card(number))


@router.get("/maternity", response_class=HTMLResponse)
def maternity_page(request: Request, session: DbSession, user: ConsoleUser, psn_no: str = "",
                   notice: str = "") -> Response:
    need(user, Permission.SETTLEMENT_READ)
    return _page(request, session, user, Form({"psn_no": psn_no, "children": "1"}, {}),
                 notice="生育医疗费定额补助已撤销，基金支付已冲回。" if notice == "cancelled" else "")


@router.post("/maternity", response_class=HTMLResponse)
async def claim(request: Request, session: DbSession, editions: EditionsDep, user: ConsoleUser) -> Response:
    need(user, Permission.SETTLEMENT_WRITE)
    form = await Form.read(request)

    def act() -> Any:
        children = form.positive("children", "婴儿数")
        if children != children.to_integral_value():
            raise InvalidInput("婴儿数应为整数", field="children")
        return maternity.claim_maternity(
            session, editions, psn_no=form.required("psn_no", "人员编号"),
            birth_date=form.date("birth_date", "出生日期"), birth_cert_no=form.get("birth_cert_no"),
            family_planning=form.get("family_planning") == "1",
            children=int(children), actor=user.username)

    done = attempt(session, form, act)
    if done is None:
        return _page(request, session, user, form, 400)
    return redirect(f"/console/maternity/{done.claim_no}")


@router.get("/maternity/{claim_no}", response_class=HTMLResponse)
def notice(request: Request, claim_no: str, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.SETTLEMENT_READ)
    found = maternity.get_claim(session, claim_no)
    saw(request, session, Action.VIEW, [found.psn_no], f"生育医疗费定额补助 {claim_no}")
    return HTMLResponse(maternity_receipt_html(session, found, back="/console/maternity"))


@router.post("/maternity/{claim_no}/cancel", response_class=HTMLResponse)
async def cancel(request: Request, claim_no: str, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.SETTLEMENT_WRITE)
    form = await Form.read(request)
    if attempt(session, form, lambda: maternity.cancel_claim(session, claim_no, reason=form.get("reason"),
                                                             actor=user.username)) is None:
        return _page(request, session, user, form, 400)
    return redirect("/console/maternity?notice=cancelled")
