"""The family mutual-aid network's machine doors (accounts/, POLICY.md §11): the 宁波医保通 app's (a signed-in
resident, `/api/me/family…`) and the centre's window's (staff, `/api/family-networks…`, `/api/family-accounts…`),
and the employee-insurance system's daily files in and out. Refusals are problem JSON with the error's code."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import Field
from sqlalchemy.orm import Session

from yibao.access.trail import Action
from yibao.accounts import family, historical
from yibao.accounts.errors import NotInNetwork
from yibao.adapters.downloads import CSV, download
from yibao.adapters.rest.credential import ResidentPsnNo
from yibao.adapters.rest.deps import BatchWrite, DbSession, FamilyWrite, PersonRead
from yibao.adapters.trailing import saw
from yibao.kit.schema import In
from yibao.people.service import person_record

router = APIRouter(tags=["家庭共济 family accounts"])
Channel = Literal["app", "window", "kiosk"]


class NetworkIn(In):
    initiator_psn_no: str = Field(max_length=20, description="发起人（职工医保参保人，历年个账有余额）")
    channel: Channel = Field("window", description="办理渠道：app 宁波医保通、window 窗口、kiosk 自助机")


class ByIn(In):
    by_psn_no: str = Field(max_length=20, description="办理人（发起人本人，或退出的成员本人）")


class MemberIn(ByIn):
    psn_no: str = Field(max_length=20)
    relationship: Literal["parent", "spouse", "child"] = Field(description="与发起人的关系：父母、配偶、子女")
    proof: str | None = Field(None, max_length=60,
                              description="证明材料编号（不同户籍时必填：户口簿、结婚证、出生证明）")
    shown: bool = Field(False, description="同意向其他成员显示其共济账户余额")


class LeaveIn(ByIn):
    reason: str = Field("", max_length=100)


class OrderIn(ByIn):
    order: list[str] = Field(min_length=1, max_length=20, description="全部成员的人员编号，按使用顺序，发起人第一")


class TransferIn(In):
    amount: Decimal = Field(description="划转金额（元，最多两位小数）")
    direction: Literal["in", "out"] = Field(description="in：历年个账划入共济健康账户；out：划回历年个账")


class ShownIn(In):
    shown: bool


class MyMemberIn(In):
    psn_no: str = Field(max_length=20)
    relationship: Literal["parent", "spouse", "child"]
    proof: str | None = Field(None, max_length=60)


class MyOrderIn(In):
    order: list[str] = Field(min_length=1, max_length=20)


class MyLeaveIn(In):
    reason: str = Field("", max_length=100)


def view_out(view: family.FamilyView) -> dict[str, Any]:
    return dataclasses.asdict(view) | {"is_initiator": view.is_initiator}


def _view(session: Session, psn_no: str, *, staff: bool) -> dict[str, Any]:
    return view_out(family.family_view(session, psn_no, staff=staff))


# ---------------------------------------------------------------------------------------------------
# The centre's window (staff)


@router.get("/api/family-accounts/{psn_no}", summary="人员的历年个账、共济健康账户与家庭共济网")
def person_family(psn_no: str, request: Request, session: DbSession, _: PersonRead) -> dict[str, Any]:
    saw(request, session, Action.VIEW, [psn_no], "家庭共济账户")
    return _view(session, psn_no, staff=True)


@router.post("/api/family-networks", status_code=201,
             summary="发起家庭共济网（发起人须为职工医保参保人且历年个账有余额）")
def create(body: NetworkIn, session: DbSession, user: FamilyWrite) -> dict[str, Any]:
    network = family.create_network(session, initiator_psn_no=body.initiator_psn_no, channel=body.channel,
                                    actor=user.username)
    return _view(session, network.initiator_psn_no, staff=True)


@router.post("/api/family-networks/{network_id}/members", status_code=201, summary="添加成员（父母、配偶、子女）")
def add(network_id: str, body: MemberIn, session: DbSession, _: FamilyWrite) -> dict[str, Any]:
    family.add_member(session, network_id, psn_no=body.psn_no, relationship=body.relationship, proof=body.proof,
                      by_psn_no=body.by_psn_no, shown=body.shown)
    return _view(session, body.psn_no, staff=True)


@router.post("/api/family-networks/{network_id}/members/{psn_no}/leave", summary="成员退出或被发起人移出")
def leave(network_id: str, psn_no: str, body: LeaveIn, session: DbSession, _: FamilyWrite) -> dict[str, Any]:
    family.remove_member(session, network_id, psn_no=psn_no, by_psn_no=body.by_psn_no, reason=body.reason)
    return _view(session, psn_no, staff=True)


@router.put("/api/family-networks/{network_id}/order", summary="调整共济账户使用顺序（仅发起人，发起人排第一）")
def order(network_id: str, body: OrderIn, session: DbSession, _: FamilyWrite) -> dict[str, Any]:
    family.set_order(session, network_id, order=body.order, by_psn_no=body.by_psn_no)
    return _view(session, body.by_psn_no, staff=True)


@router.post("/api/family-networks/{network_id}/dissolve", summary="解散家庭共济网（各共济账户余额退回历年个账）")
def dissolve(network_id: str, body: ByIn, session: DbSession, user: FamilyWrite) -> dict[str, Any]:
    family.dissolve(session, network_id, by_psn_no=body.by_psn_no, actor=user.username)
    return _view(session, body.by_psn_no, staff=True)


@router.post("/api/family-accounts/{psn_no}/mutual", status_code=201, summary="开设共济健康账户")
def open_mutual(psn_no: str, session: DbSession, _: FamilyWrite) -> dict[str, Any]:
    family.open_mutual(session, psn_no)
    return _view(session, psn_no, staff=True)


@router.post("/api/family-accounts/{psn_no}/transfers", summary="历年个账与共济健康账户之间划转")
def transfer(psn_no: str, body: TransferIn, session: DbSession, user: FamilyWrite) -> dict[str, Any]:
    done = family.transfer(session, psn_no, body.amount, into_mutual=body.direction == "in", actor=user.username)
    return dataclasses.asdict(done)


@router.post("/api/family-accounts/daily-files",
             summary="导入职工医保历年个账日报（CSV 或 Excel；同一文件编号只导入一次）")
def daily_file(session: DbSession, user: BatchWrite, file: UploadFile = File(...), file_id: str = Form(...),
               day: dt.date = Form(..., description="日报日期（须为上一份日报的次日）")) -> dict[str, Any]:
    done = historical.import_daily_file(session, file.filename or "", file.file.read(), file_id=file_id, day=day,
                                        actor=user.username)
    return dataclasses.asdict(done)


@router.get("/api/family-accounts/daily-uses/{day}", summary="导出某日历年个账使用明细（报送职工医保系统，CSV）")
def daily_uses(day: dt.date, request: Request, session: DbSession, _: BatchWrite) -> Response:
    export = historical.export_daily_uses(session, day)
    saw(request, session, Action.EXPORT, export.subjects, "历年个账使用明细")
    return download(export.content, export.filename, CSV)


# ---------------------------------------------------------------------------------------------------
# 宁波医保通 (a signed-in resident): the same services, the resident as the one who acts


@router.get("/api/me/family", summary="我的家庭共济：历年个账、共济账户、成员与使用顺序")
def my_family(session: DbSession, psn_no: ResidentPsnNo) -> dict[str, Any]:
    return _view(session, psn_no, staff=False)


@router.post("/api/me/family", status_code=201, summary="发起家庭共济网")
def my_create(session: DbSession, psn_no: ResidentPsnNo) -> dict[str, Any]:
    family.create_network(session, initiator_psn_no=psn_no, channel="app", actor=f"resident:{psn_no}")
    return _view(session, psn_no, staff=False)


def _my_network(session: Session, psn_no: str) -> str:
    member = family.live_member(session, psn_no)
    if member is None:
        raise NotInNetwork(name=person_record(session, psn_no).name)
    return member.network_id


@router.post("/api/me/family/members", status_code=201, summary="添加成员（发起人）")
def my_add(body: MyMemberIn, session: DbSession, psn_no: ResidentPsnNo) -> dict[str, Any]:
    family.add_member(session, _my_network(session, psn_no), psn_no=body.psn_no, relationship=body.relationship,
                      proof=body.proof, by_psn_no=psn_no)
    return _view(session, psn_no, staff=False)


@router.post("/api/me/family/members/{member}/leave", summary="退出共济网（本人）或移出成员（发起人）")
def my_leave(member: str, body: MyLeaveIn, session: DbSession, psn_no: ResidentPsnNo) -> dict[str, Any]:
    family.remove_member(session, _my_network(session, psn_no), psn_no=member, by_psn_no=psn_no,
                         reason=body.reason)
    return _view(session, psn_no, staff=False)


@router.put("/api/me/family/order", summary="调整使用顺序（发起人）")
def my_order(body: MyOrderIn, session: DbSession, psn_no: ResidentPsnNo) -> dict[str, Any]:
    family.set_order(session, _my_network(session, psn_no), order=body.order, by_psn_no=psn_no)
    return _view(session, psn_no, staff=False)


@router.post("/api/me/family/dissolve", summary="解散共济网（发起人）")
def my_dissolve(session: DbSession, psn_no: ResidentPsnNo) -> dict[str, Any]:
    family.dissolve(session, _my_network(session, psn_no), by_psn_no=psn_no, actor=f"resident:{psn_no}")
    return _view(session, psn_no, staff=False)


@router.post("/api/me/family/mutual", status_code=201, summary="开设我的共济健康账户")
def my_open(session: DbSession, psn_no: ResidentPsnNo) -> dict[str, Any]:
    family.open_mutual(session, psn_no)
    return _view(session, psn_no, staff=False)


@router.post("/api/me/family/transfers", summary="我的历年个账与共济健康账户之间划转")
def my_transfer(body: TransferIn, session: DbSession, psn_no: ResidentPsnNo) -> dict[str, Any]:
    done = family.transfer(session, psn_no, body.amount, into_mutual=body.direction == "in",
                           actor=f"resident:{psn_no}")
    return dataclasses.asdict(done)


@router.put("/api/me/family/shown", summary="是否向其他成员显示我的共济账户余额")
def my_shown(body: ShownIn, session: DbSession, psn_no: ResidentPsnNo) -> dict[str, Any]:
    family.set_shown(session, psn_no, shown=body.shown)
    return _view(session, psn_no, staff=False)
