"""Staff accounts, sign-in with a real KDF (scrypt), roles and their permissions."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from enum import StrEnum
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from yibao.errors import Conflict, InvalidInput, Unauthorized
from yibao.kit.clock import now
from yibao.kit.passwords import hash_password, verify_password
from yibao.staff.models import StaffSession, StaffUser


class Role(StrEnum):
    CLERK = "clerk"  # 经办员
    AUDITOR = "auditor"  # 稽查员
    ADMIN = "admin"  # 管理员
    READONLY = "readonly"  # 只读


ROLE_LABELS = {Role.CLERK: "经办员", Role.AUDITOR: "稽查员", Role.ADMIN: "管理员", Role.READONLY: "只读"}


class Permission(StrEnum):
    PERSON_READ = "person:read"
    PERSON_WRITE = "person:write"
    PERSON_IDENTITY = "person:identity"  # see full ID numbers (others see them masked)
    ENROLLMENT_READ = "enrollment:read"
    ENROLLMENT_WRITE = "enrollment:write"
    PAYMENT_WRITE = "payment:write"
    BATCH_WRITE = "batch:write"
    REPORT_READ = "report:read"
    SETTLEMENT_READ = "settlement:read"
    SETTLEMENT_WRITE = "settlement:write"  # manual reimbursement, filings
    INSTITUTION_WRITE = "institution:write"  # institutions, doctors, catalogue, agreement status
    STAFF_ADMIN = "staff:admin"


READS = {Permission.PERSON_READ, Permission.ENROLLMENT_READ, Permission.REPORT_READ, Permission.SETTLEMENT_READ}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.READONLY: frozenset(READS),
    Role.AUDITOR: frozenset(READS | {Permission.PERSON_IDENTITY}),
    Role.CLERK: frozenset(READS | {Permission.PERSON_WRITE, Permission.PERSON_IDENTITY, Permission.ENROLLMENT_WRITE,
                                   Permission.PAYMENT_WRITE, Permission.BATCH_WRITE, Permission.SETTLEMENT_WRITE}),
    Role.ADMIN: frozenset(Permission),
}

def create_staff(session: Session, *, username: str, display_name: str, role: str, password: str) -> StaffUser:
    if role not in Role.__members__.values():
        raise InvalidInput(f"未知的角色 {role!r}，可选：{'、'.join(r.value for r in Role)}", field="role")
    if len(password) < 8:
        raise InvalidInput("密码至少 8 位", field="password")
    if not username.strip():
        raise InvalidInput("请填写用户名", field="username")
    if session.get(StaffUser, username) is not None:
        raise Conflict(f"用户名 {username} 已存在", field="username")
    user = StaffUser(username=username.strip(), display_name=display_name.strip() or username, role=role,
                     password_hash=hash_password(password), active=True, created_at=now())
    session.add(user)
    session.flush()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Too many wrong passwords lock an account for a while (staff and residents alike). The door commits the
# count even though it refuses the sign-in, so that guessing costs the guesser.
SIGN_IN_ATTEMPTS = 5
SIGN_IN_LOCK = dt.timedelta(minutes=15)


class Guarded(Protocol):
    failed_sign_ins: int
    locked_until: dt.datetime | None


def check_password(account: Guarded | None, password: str, stored: str | None, refusal: str) -> None:
    """Refuse a locked account or a wrong password (counting it, and locking after SIGN_IN_ATTEMPTS);
    a right one clears the count. `account` None (no such user) is refused like a wrong password."""
    moment = now()
    if account is not None and account.locked_until is not None and account.locked_until > moment:
        raise Unauthorized(f"密码连续输错 {SIGN_IN_ATTEMPTS} 次，账号已锁定至 {account.locked_until:%H:%M}，"
                           "请稍后再试或联系管理员", field="password", code="locked")
    if account is None or stored is None or not verify_password(password, stored):
        if account is not None:
            account.failed_sign_ins += 1
            if account.failed_sign_ins >= SIGN_IN_ATTEMPTS:
                account.failed_sign_ins, account.locked_until = 0, moment + SIGN_IN_LOCK
        raise Unauthorized(refusal, field="password")
    account.failed_sign_ins, account.locked_until = 0, None


def sign_in(session: Session, *, username: str, password: str, hours: int = 12) -> tuple[str, StaffUser]:
    """Check the password; returns a new bearer token (stored only as its hash) and the user."""
    user = session.get(StaffUser, username)
    if user is not None and not user.active:
        raise Unauthorized("用户名或密码错误", field="password")
    check_password(user, password, user.password_hash if user else None, "用户名或密码错误")
    assert user is not None
    token = secrets.token_urlsafe(32)
    moment = now()
    session.execute(delete(StaffSession).where(StaffSession.expires_at < moment))
    session.add(StaffSession(token_hash=_token_hash(token), username=user.username,
                             expires_at=moment + dt.timedelta(hours=hours), created_at=moment))
    session.flush()
    return token, user


def staff_for_token(session: Session, token: str) -> StaffUser:
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    if row is None or row.expires_at < now():
        raise Unauthorized("登录已失效，请重新登录")
    user = session.get(StaffUser, row.username)
    if user is None or not user.active:
        raise Unauthorized("账号已停用")
    return user


def sign_out(session: Session, token: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))


def has_permission(user: StaffUser, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(Role(user.role), frozenset())
