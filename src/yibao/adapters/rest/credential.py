"""The e-credential's machine doors (POLICY.md §10), in the platform's answer format
`{"code": 0, "message": "成功", "data": {…}}`; a refusal is HTTP 200 with its non-zero `code`, a Chinese
`message` and the stable `error` name, and writes nothing.

    POST /ec/api/activate   a channel's signed activation (credential/channels.py)
    POST /ec/api/query      ec.query: an institution, signed in (9001), decodes a scanned code
    GET  /api/me/ecard      a resident's current dynamic code (?for=<psn_no> of a bound relative)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal, NamedTuple

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from yibao.access.trail import Actor, Door, act_as
from yibao.adapters.gateway.auth import headers_of
from yibao.adapters.gateway.envelope import Fields, GatewayInputError, loads
from yibao.adapters.gateway.signins import admit
from yibao.adapters.rest.deps import DbSession, InstitutionWrite, PersonRead, PersonWrite
from yibao.adapters.web.common import RESIDENT_COOKIE, check_csrf
from yibao.credential.errors import CodeAlreadyDecoded, CredentialError
from yibao.credential.models import CredentialRecord
from yibao.credential.rules import BINDING_STATUS_LABELS, CREDENTIAL_STATUS_LABELS, RELATIONSHIPS
from yibao.credential.service import (
    BoundPerson,
    DecodeRequest,
    activate,
    bind_relative,
    bindings_of,
    bound_by,
    change_credential,
    channels,
    confirm_binding,
    credentials_history,
    decode_code,
    end_binding,
    register_channel,
    show_code,
)
from yibao.db import session_scope
from yibao.errors import Unauthorized
from yibao.kit.errors import DomainError
from yibao.kit.schema import In
from yibao.people.service import person_record, resident_session

log = logging.getLogger("yibao.credential")
router = APIRouter(tags=["医保电子凭证 e-credential"])
GENERIC_CODE = 1000  # a refusal that is not the e-credential's own (a missing field, an unknown institution …)
ID_TYPE = "01"  # 居民身份证 in the decode answer's idType
NATIONALITY = "CHN"


def answer(code: int, message: str, data: Any = None, error: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        body["data"] = data
    if error is not None:
        body["error"] = error
    return JSONResponse(body)


class Refusal(NamedTuple):
    response: JSONResponse


def unit(request: Request, action: Callable[[Session], Any]) -> Any:
    """One unit of work: its result, committed; or a Refusal (its answer), with everything rolled back."""
    try:
        with session_scope(request.app.state.sessions) as session:
            return action(session)
    except DomainError as exc:
        code = exc.ec_code if isinstance(exc, CredentialError) else GENERIC_CODE
        return Refusal(answer(code, exc.message, error=exc.code))
    except IntegrityError:  # a twin request won the race (the same code decoded at two counters)
        return Refusal(answer(CodeAlreadyDecoded.ec_code, CodeAlreadyDecoded().message, error=CodeAlreadyDecoded.code))
    except OperationalError:
        log.exception("e-credential: database error")
        return Refusal(answer(-1, "数据库繁忙，请稍后重试", error="database_busy"))


def run(request: Request, action: Callable[[Session], Any]) -> JSONResponse:
    result = unit(request, action)
    return result.response if isinstance(result, Refusal) else answer(0, "成功", result)


async def _body(request: Request) -> Any:
    raw = await request.body()
    try:
        return loads(raw) if raw else None
    except ValueError:
        return None


@router.post("/ec/api/activate", summary="渠道激活医保电子凭证（渠道 SM2 签名）")
async def activate_credential(request: Request) -> Response:
    message = await _body(request)

    def act(session: Session) -> dict[str, Any]:
        credential = activate(session, request.app.state.ec_params, message)
        return {"ecIndexNo": credential.ec_index_no, "activatedAt": f"{credential.activated_at:%Y-%m-%d %H:%M:%S}",
                "channel": credential.channel}

    return run(request, act)


@router.post("/ec/api/query", summary="ec.query 电子凭证解码（机构先签到 9001）")
async def query(request: Request) -> Response:
    body = await _body(request)

    def act(session: Session) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise GatewayInputError("请求体应为 {\"data\": {…}}", field="data")
        data, envelope = Fields(body.get("data"), "data"), Fields(body, "")
        code = request.headers.get("fixmedins_code") or envelope.text("fixmedins_code", required=False, max_len=20)
        sign_no = request.headers.get("sign_no") or envelope.text("sign_no", required=False, max_len=40)
        institution, _ = admit(session, code or data.req("orgId", max_len=20), sign_no=sign_no,
                               headers=headers_of(request.scope), seen=request.app.state.gateway_seen)
        decoded = decode_code(session, request.app.state.ec_keys, request.app.state.ec_params,
                              fixmedins_code=institution.fixmedins_code, request=DecodeRequest(
                                  org_id=data.req("orgId", max_len=20),
                                  business_type=data.req("businessType", max_len=5),
                                  operator_id=data.req("operatorId", max_len=30),
                                  operator_name=data.req("operatorName", max_len=50),
                                  office_id=data.text("officeId", required=False, max_len=30),
                                  office_name=data.text("officeName", required=False, max_len=50),
                                  qr_code=data.req("qrCode", max_len=1000)))
        person = decoded.person
        return {"idNo": person.certno, "idType": ID_TYPE, "userName": person.name, "ecToken": decoded.ec_token,
                "insuOrg": request.app.state.settings.insuplc_admdvs, "ecIndexNo": decoded.credential.ec_index_no,
                "gender": person.sex, "birthday": person.birth_date.isoformat(), "nationality": NATIONALITY,
                "tokenExpireTime": f"{decoded.expires_at:%Y-%m-%d %H:%M:%S}"}

    return run(request, act)


async def signed_in_resident(request: Request, session: DbSession) -> str:
    """The psn_no of the resident signed in on the pages (their session cookie; 401 otherwise); a change
    also carries the pages' CSRF token (403 otherwise)."""
    try:
        psn_no = resident_session(session, request.cookies.get(RESIDENT_COOKIE)).psn_no
    except Unauthorized:
        raise Unauthorized("请先登录我的医保（/me/login）") from None
    act_as(session, Actor("resident", psn_no, Door.RESIDENT))
    await check_csrf(request)
    return psn_no


signed_in_resident.__yibao_resident__ = True  # type: ignore[attr-defined]  # a guard the route test recognises
ResidentPsnNo = Annotated[str, Depends(signed_in_resident)]


@router.get("/api/me/ecard", summary="我的医保码（居民登录后；for=绑定的亲属）")
def my_code(request: Request, psn_no: ResidentPsnNo) -> Response:
    relative = request.query_params.get("for") or None

    def act(session: Session) -> dict[str, Any]:
        issued = show_code(session, request.app.state.ec_keys, request.app.state.ec_params,
                           viewer=psn_no, for_psn_no=relative)
        return {"qrcode": issued.text, "expires_at": f"{issued.expires_at:%Y-%m-%d %H:%M:%S}",
                "ec_index_no": issued.ec_index_no}

    result = unit(request, act)  # the contract of this door: the code's fields at the top level
    return result.response if isinstance(result, Refusal) else JSONResponse(result,
                                                                            headers={"Cache-Control": "no-store"})


# ---------------------------------------------------------------------------------------------------
# 亲情账户 over the API (the resident page offers the same)


class BindingIn(In):
    certno: str = Field(min_length=15, max_length=18, description="亲属的身份证号")
    name: str = Field(min_length=1, max_length=50, description="亲属的姓名")
    relationship: str = Field(min_length=2, max_length=2, description="与本人的关系（GB/T 4761 代码）")


def binding_out(bound: BoundPerson, *, side: str) -> dict[str, Any]:
    b, person = bound.binding, bound.person
    return {"binding_id": b.id, "psn_no": person.psn_no, "name": person.name, "relationship": b.relationship,
            "relationship_name": RELATIONSHIPS[b.relationship][0], "status": b.status,
            "status_name": BINDING_STATUS_LABELS[b.status], "proof": b.proof, "side": side,
            "credential": bound.credential.status if bound.credential else None}


@router.get("/api/me/bindings", summary="我的亲情账户：我绑定的亲属、绑定我的人")
def my_bindings(session: DbSession, psn_no: ResidentPsnNo) -> dict[str, Any]:
    return {"bound": [binding_out(b, side="holder") for b in bindings_of(session, psn_no)],
            "bound_by": [binding_out(b, side="relative") for b in bound_by(session, psn_no)]}


@router.post("/api/me/bindings", summary="绑定亲属（未成年人凭同一户籍；老人须本人确认）")
def bind(body: BindingIn, request: Request, session: DbSession, psn_no: ResidentPsnNo) -> dict[str, Any]:
    binding = bind_relative(session, request.app.state.ec_params, holder=psn_no, certno=body.certno,
                            name=body.name, relationship=body.relationship, actor=f"resident:{psn_no}")
    return {"binding_id": binding.id, "status": binding.status, "proof": binding.proof}


@router.post("/api/me/bindings/{binding_id}/confirm", summary="亲属确认绑定")
def confirm(binding_id: str, session: DbSession, psn_no: ResidentPsnNo) -> dict[str, Any]:
    binding = confirm_binding(session, relative=psn_no, binding_id=binding_id, actor=f"resident:{psn_no}")
    return {"binding_id": binding.id, "status": binding.status}


@router.post("/api/me/bindings/{binding_id}/remove", summary="解绑（绑定人或被绑定人均可）")
def remove(binding_id: str, session: DbSession, psn_no: ResidentPsnNo) -> dict[str, Any]:
    binding = end_binding(session, binding_id=binding_id, by_psn_no=psn_no, actor=f"resident:{psn_no}")
    return {"binding_id": binding.id, "status": binding.status}


# ---------------------------------------------------------------------------------------------------
# Staff: a person's credential and bindings, suspension and revocation, bindings at the window, channels


def credential_out(record: CredentialRecord) -> dict[str, Any]:
    return {"ec_index_no": record.ec_index_no, "status": record.status,
            "status_name": CREDENTIAL_STATUS_LABELS[record.status], "channel": record.channel,
            "device_id": record.device_id, "activated_at": record.activated_at, "activated_by": record.activated_by,
            "changed_at": record.changed_at, "changed_by": record.changed_by, "change_reason": record.change_reason}


@router.get("/api/persons/{psn_no}/ecard", summary="人员的医保电子凭证（历次激活）与亲情账户绑定")
def person_ecard(psn_no: str, session: DbSession, _: PersonRead) -> dict[str, Any]:
    person_record(session, psn_no)
    return {"credentials": [credential_out(c) for c in credentials_history(session, psn_no)],
            "bound": [binding_out(b, side="holder") for b in bindings_of(session, psn_no, include_removed=True)],
            "bound_by": [binding_out(b, side="relative") for b in bound_by(session, psn_no, include_removed=True)]}


class ReasonIn(In):
    reason: str = Field(min_length=1, max_length=200, description="原因（记录在案）")


@router.post("/api/persons/{psn_no}/ecard/{action}", summary="暂停、恢复或注销电子凭证")
def change_ecard(psn_no: str, action: Literal["suspend", "reinstate", "revoke"], body: ReasonIn,
                 session: DbSession, user: PersonWrite) -> dict[str, Any]:
    return credential_out(change_credential(session, psn_no, action, reason=body.reason, actor=user.username))


class WindowBindingIn(BindingIn):
    proof_no: str | None = Field(default=None, max_length=50, description="出生医学证明编号（未成年人不同户籍时）")


@router.post("/api/persons/{psn_no}/bindings", summary="窗口办理亲情账户绑定（亲属本人到场或凭出生医学证明）")
def bind_at_window(psn_no: str, body: WindowBindingIn, request: Request, session: DbSession,
                   user: PersonWrite) -> dict[str, Any]:
    binding = bind_relative(session, request.app.state.ec_params, holder=psn_no, certno=body.certno, name=body.name,
                            relationship=body.relationship, actor=user.username, proof_no=body.proof_no,
                            at_window=True)
    return {"binding_id": binding.id, "status": binding.status, "proof": binding.proof}


@router.post("/api/bindings/{binding_id}/remove", summary="窗口解除亲情账户绑定")
def remove_at_window(binding_id: str, session: DbSession, user: PersonWrite) -> dict[str, Any]:
    binding = end_binding(session, binding_id=binding_id, by_psn_no=None, actor=user.username)
    return {"binding_id": binding.id, "status": binding.status}


class ChannelIn(In):
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=50)
    public_key: str = Field(min_length=128, max_length=130, description="SM2 公钥，04 开头的 130 位十六进制")


@router.get("/api/ec/channels", summary="电子凭证激活渠道")
def list_channels(session: DbSession, _: InstitutionWrite) -> list[dict[str, Any]]:
    return [{"code": c.code, "name": c.name, "status": c.status, "demo": c.demo, "public_key": c.public_key}
            for c in channels(session)]


@router.post("/api/ec/channels", summary="登记（或更换密钥）电子凭证激活渠道")
def add_channel(body: ChannelIn, session: DbSession, _: InstitutionWrite) -> dict[str, Any]:
    channel = register_channel(session, code=body.code, name=body.name, public_key=body.public_key)
    return {"code": channel.code, "status": channel.status}
