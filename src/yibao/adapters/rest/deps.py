"""What every HTTP router needs: the request's session (one transaction) and declared permissions.

Routers depend on `DbSession` and on one permission alias (`PersonRead`, `EnrollmentWrite` …); each
permission dependency is marked so that a test can walk the route table and find any route without one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from yibao.access.trail import Door
from yibao.adapters.trailing import staff_acting
from yibao.db import session_scope
from yibao.errors import Forbidden, Unauthorized
from yibao.kit.schema import Out
from yibao.parameters.service import current
from yibao.policy.editions import Editions
from yibao.staff.models import StaffUser
from yibao.staff.service import (
    PERMISSION_LABELS,
    ROLE_LABELS,
    Permission,
    Role,
    has_permission,
    staff_for_token,
)


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed when the endpoint returns (before the response is sent, see
    `scope="function"` below), rolled back on any error, so a refused request writes nothing."""
    factory = request.app.state.read_sessions if request.method in ("GET", "HEAD") else request.app.state.sessions
    with session_scope(factory) as session:
        yield session


DbSession = Annotated[Session, Depends(get_session, scope="function")]


def get_editions(request: Request, session: DbSession) -> Editions:
    """The editions in force with the approved parameter amendments (parameters/service.py), refreshed on the
    request's own unit of work."""
    return current(request.app.state.editions, session)


EditionsDep = Annotated[Editions, Depends(get_editions)]
bearer = HTTPBearer(auto_error=False)


def current_staff(session: DbSession,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> StaffUser:
    if credentials is None:
        raise Unauthorized("请先登录（Authorization: Bearer <令牌>）")
    return staff_acting(session, staff_for_token(session, credentials.credentials), Door.REST)


def check_permission(user: StaffUser, permission: Permission) -> None:
    """Refuse a staff member whose role lacks `permission` (the REST routes and the console pages alike)."""
    if not has_permission(user, permission):
        raise Forbidden(f"当前角色（{ROLE_LABELS[Role(user.role)]}）无权执行此操作"
                        f"（需要“{PERMISSION_LABELS[permission]}”权限），"
                        "请联系管理员")


def requires(permission: Permission) -> Callable[..., StaffUser]:
    """A dependency that lets through only staff whose role has `permission`."""

    def check(user: Annotated[StaffUser, Depends(current_staff)]) -> StaffUser:
        check_permission(user, permission)
        return user

    check.__yibao_permission__ = permission  # type: ignore[attr-defined]
    return check


OutModel = TypeVar("OutModel", bound=Out)


def shown(user: StaffUser, model: type[OutModel], record: object) -> OutModel:
    """`record` as `model`, its personal numbers masked unless the viewer's role has person:identity (the
    one masking rule of every door: kit/masks, marked on the schema's fields by kit/schema.Personal)."""
    out = model.model_validate(record)
    return out if has_permission(user, Permission.PERSON_IDENTITY) else out.masked()


PersonRead = Annotated[StaffUser, Depends(requires(Permission.PERSON_READ))]
PersonWrite = Annotated[StaffUser, Depends(requires(Permission.PERSON_WRITE))]
PersonTrail = Annotated[StaffUser, Depends(requires(Permission.PERSON_TRAIL))]
EnrollmentRead = Annotated[StaffUser, Depends(requires(Permission.ENROLLMENT_READ))]
EnrollmentWrite = Annotated[StaffUser, Depends(requires(Permission.ENROLLMENT_WRITE))]
PaymentWrite = Annotated[StaffUser, Depends(requires(Permission.PAYMENT_WRITE))]
BatchWrite = Annotated[StaffUser, Depends(requires(Permission.BATCH_WRITE))]
ReportRead = Annotated[StaffUser, Depends(requires(Permission.REPORT_READ))]
SettlementRead = Annotated[StaffUser, Depends(requires(Permission.SETTLEMENT_READ))]
SettlementWrite = Annotated[StaffUser, Depends(requires(Permission.SETTLEMENT_WRITE))]
InstitutionWrite = Annotated[StaffUser, Depends(requires(Permission.INSTITUTION_WRITE))]
StaffAdmin = Annotated[StaffUser, Depends(requires(Permission.STAFF_ADMIN))]
PolicyAmend = Annotated[StaffUser, Depends(requires(Permission.POLICY_AMEND))]
FamilyWrite = Annotated[StaffUser, Depends(requires(Permission.FAMILY_WRITE))]
ClearingWrite = Annotated[StaffUser, Depends(requires(Permission.CLEARING_WRITE))]
AuditWrite = Annotated[StaffUser, Depends(requires(Permission.AUDIT_WRITE))]
AuditDecide = Annotated[StaffUser, Depends(requires(Permission.AUDIT_DECIDE))]
