"""我的医保码 (POLICY.md §10): the resident's dynamic QR code with its countdown, the family members' codes
(亲情账户), activation (the guide's channels; the demo channel's confirmation step) and binding.

The code is drawn here as SVG (segno; no internet). The page fetches a fresh one by itself shortly before the
shown one expires (static/ecard.js with htmx)."""

from __future__ import annotations

from typing import Any

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from yibao.adapters.rest.deps import DbSession
from yibao.adapters.web.common import Form, attempt, page, redirect
from yibao.adapters.web.resident import Resident
from yibao.credential import service as credentials
from yibao.credential.demo_channel import activate_on_demo_channel
from yibao.credential.rules import (
    BINDING_STATUS_LABELS,
    CREDENTIAL_STATUS_LABELS,
    GUIDE_CHANNELS,
    PROOF_LABELS,
    RELATIONSHIPS,
)
from yibao.errors import InvalidInput
from yibao.kit.clock import now
from yibao.kit.errors import DomainError
from yibao.people.models import Person
from yibao.people.service import person_record

router = APIRouter(include_in_schema=False)
NOTICES = {"activated": "医保电子凭证已激活，可在就医、购药时出示医保码。",
           "bound": "已提交绑定。", "pending": "已发出绑定申请，请亲属登录“我的医保”确认后即可使用其医保码。",
           "confirmed": "已确认绑定。", "removed": "已解除绑定。"}


def qr_svg(text: str) -> str:
    """The code as an inline SVG (error correction M, as payment codes use)."""
    return str(segno.make(text, error="m").svg_inline(scale=5, border=2, dark="#111", light="#fff"))


def _page(request: Request, session: Session, person: Person, *, form: Form | None = None, status: int = 200,
          notice: str = "", showing: str | None = None) -> Response:
    subject = person_record(session, showing) if showing and showing != person.psn_no else None
    return page(request, "me/ecard.html", status=status, person=person, form=form or Form({}, {}), notice=notice,
                credential=credentials.credential_of(session, person.psn_no), subject=subject,
                bound=credentials.bindings_of(session, person.psn_no),
                bound_by=credentials.bound_by(session, person.psn_no), relationships=RELATIONSHIPS,
                relationship_options={code: label for code, (label, _) in RELATIONSHIPS.items()},
                credential_status=CREDENTIAL_STATUS_LABELS, binding_status=BINDING_STATUS_LABELS,
                proofs=PROOF_LABELS, channels=GUIDE_CHANNELS, demo=request.app.state.settings.ec_demo_channel,
                params=request.app.state.ec_params)


@router.get("/me/ecard", response_class=HTMLResponse)
def ecard_page(request: Request, session: DbSession, person: Resident, notice: str = "") -> Response:
    showing = request.query_params.get("for") or None
    if showing:
        credentials.check_bound(session, person.psn_no, showing)
    return _page(request, session, person, notice=NOTICES.get(notice, ""), showing=showing)


@router.get("/me/ecard/code", response_class=HTMLResponse)
def ecard_code(request: Request, session: DbSession, person: Resident) -> Response:
    """The code part of the page: a fresh code, its SVG and its countdown (htmx swaps it in)."""
    showing = request.query_params.get("for") or None
    try:
        issued = credentials.show_code(session, request.app.state.ec_keys, request.app.state.ec_params,
                                       viewer=person.psn_no, for_psn_no=showing)
    except DomainError as exc:
        return page(request, "me/_ecard_code.html", problem=exc.message, code=exc.code)
    seconds = max(0, int((issued.expires_at - now()).total_seconds()))
    return page(request, "me/_ecard_code.html", svg=qr_svg(issued.text), text=issued.text, seconds=seconds,
                margin=request.app.state.ec_params.refresh_margin_seconds, showing=showing or "",
                expires=issued.expires_at)


def _demo_activate(request: Request, session: Session, form: Form, subject: Any, activated_by: str | None) -> Any:
    if not request.app.state.settings.ec_demo_channel:
        raise InvalidInput("本系统未开放演示激活，请通过国家医保服务平台、浙里办、支付宝、微信或银行 App 激活",
                           field="confirm")
    if form.get("confirm") != "1":
        raise InvalidInput("请勾选确认已完成人脸核验（演示）", field="confirm")
    return activate_on_demo_channel(session, request.app.state.settings.data_dir, request.app.state.ec_params,
                                    certno=subject.certno, name=subject.name, activated_by=activated_by)


@router.post("/me/ecard/activate", response_class=HTMLResponse)
async def activate(request: Request, session: DbSession, person: Resident) -> Response:
    """Activation through the demo channel: the resident (or, for a bound relative, the family member)
    confirms the stand-in for the channel's face check."""
    form = await Form.read(request)
    relative = form.get("for") or None

    def act() -> Any:
        if relative:
            credentials.check_bound(session, person.psn_no, relative)
            return _demo_activate(request, session, form, person_record(session, relative), person.psn_no)
        return _demo_activate(request, session, form, person, None)

    if attempt(session, form, act, "confirm") is None:
        return _page(request, session, person, form=form, status=400)
    return redirect(f"/me/ecard?notice=activated{'&for=' + relative if relative else ''}")


@router.post("/me/ecard/bindings", response_class=HTMLResponse)
async def bind(request: Request, session: DbSession, person: Resident) -> Response:
    form = await Form.read(request)
    binding = attempt(session, form, lambda: credentials.bind_relative(
        session, request.app.state.ec_params, holder=person.psn_no,
        certno=form.required("certno", "亲属身份证号"), name=form.required("name", "亲属姓名"),
        relationship=form.required("relationship", "与本人关系"), actor=f"resident:{person.psn_no}"), "certno")
    if binding is None:
        return _page(request, session, person, form=form, status=400)
    return redirect(f"/me/ecard?notice={'pending' if binding.status == 'pending' else 'bound'}")


@router.post("/me/ecard/bindings/{binding_id}/{action}", response_class=HTMLResponse)
async def binding_action(request: Request, binding_id: str, action: str, session: DbSession,
                         person: Resident) -> Response:
    form = Form({}, {})
    actor = f"resident:{person.psn_no}"

    def act() -> Any:
        if action == "confirm":
            return credentials.confirm_binding(session, relative=person.psn_no, binding_id=binding_id, actor=actor)
        if action == "remove":
            return credentials.end_binding(session, binding_id=binding_id, by_psn_no=person.psn_no, actor=actor)
        raise InvalidInput("未知的操作", field="_form")

    if attempt(session, form, act) is None:
        return _page(request, session, person, form=form, status=400)
    return redirect(f"/me/ecard?notice={'confirmed' if action == 'confirm' else 'removed'}")
