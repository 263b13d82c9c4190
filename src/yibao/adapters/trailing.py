"""What every door does for the access trail (access/trail.py): say who is acting on the request's session
(its changes are then trailed as theirs), and note what they saw."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from yibao.access.trail import Action, Actor, Door, act_as, actor_of
from yibao.settlement.receipt import Receipt, receipt_html, receipt_pdf
from yibao.staff.models import StaffUser


def staff_acting(session: Any, user: StaffUser, door: Door) -> StaffUser:
    act_as(session, Actor("staff", user.username, door))
    return user


def saw(request: Request | FastAPI, session: Any, action: Action, subjects: Iterable[str | None], what: str) -> None:
    """Note that the session's actor saw these persons' data (appended to the trail by its writer)."""
    app = request if isinstance(request, FastAPI) else request.app
    app.state.trail.saw(actor_of(session), action, subjects, what)


def receipt_response(request: Request, session: Any, receipt: Receipt, *, pdf: bool = False,
                     back: str | None = None, technical: bool = False) -> Response:
    """A settlement's receipt as its printable page (with a way `back`, and its PDF's address beside the page's)
    or its PDF, noted in the access trail (a PDF is an export)."""
    setl_id = receipt.settlement.setl_id
    saw(request, session, Action.EXPORT if pdf else Action.VIEW, [receipt.settlement.psn_no],
        f"结算单 {setl_id}{' PDF' if pdf else ''}")
    if not pdf:
        path = request.url.path
        return HTMLResponse(receipt_html(receipt, back=back, technical=technical,
                                         pdf_url=path + ".pdf" if path.endswith("/receipt") else path + "/receipt.pdf"))
    return Response(receipt_pdf(receipt), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="receipt-{setl_id}.pdf"'})
