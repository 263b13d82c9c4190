"""Staff sign-in and account administration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import Field

from yibao.adapters.rest.deps import DbSession, StaffAdmin, bearer, current_staff
from yibao.adapters.web.common import client_address
from yibao.errors import Unauthorized
from yibao.kit.schema import In, Out
from yibao.staff import service
from yibao.staff.models import StaffUser

router = APIRouter(prefix="/api/auth", tags=["登录 staff"])
PUBLIC_ROUTES = {"/api/auth/login"}  # the only route that needs no signed-in staff


class LoginIn(In):
    username: str = Field(min_length=1, max_length=50)
    password: str = Field(min_length=1, max_length=200)


class StaffRead(Out):
    username: str
    display_name: str
    role: str


class LoginOut(Out):
    token: str
    staff: StaffRead


class StaffCreate(In):
    username: str = Field(min_length=1, max_length=50)
    display_name: str = Field(min_length=1, max_length=50)
    role: str
    password: str = Field(min_length=8)


@router.post("/login", response_model=LoginOut, summary="工作人员登录",
             description="密码错误按来源地址和账号计数，超过次数后须等待（HTTP 429，Retry-After 给出秒数）。")
def login(body: LoginIn, request: Request, session: DbSession) -> object:
    try:
        token, user = service.sign_in(session, username=body.username, password=body.password,
                                      address=client_address(request),
                                      hours=request.app.state.settings.session_hours)
    except Unauthorized:
        session.commit()  # the wrong password is counted (throttle) although the sign-in is refused
        raise
    return {"token": token, "staff": user}


@router.get("/me", response_model=StaffRead, summary="当前登录人")
def me(user: Annotated[StaffUser, Depends(current_staff)]) -> object:
    return user


@router.post("/logout", status_code=204, summary="退出登录")
def logout(session: DbSession, user: Annotated[StaffUser, Depends(current_staff)],
           credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
    if credentials is not None:
        service.sign_out(session, credentials.credentials)


@router.post("/staff", response_model=StaffRead, status_code=201, summary="新建工作人员账号")
def create_staff(body: StaffCreate, session: DbSession, user: StaffAdmin) -> object:
    return service.create_staff(session, **body.model_dump())
