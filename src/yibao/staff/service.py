"""Staff accounts, sign-in with a real KDF (scrypt), roles and their permissions."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.orm import Session

from yibao.access import throttle
from yibao.access.sessions import Kind, close_session, live_session, open_session
from yibao.errors import Conflict, InvalidInput, Unauthorized
from yibao.kit.clock import now
from yibao.kit.passwords import hash_password
from yibao.staff.models import StaffUser


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
    PERSON_TRAIL = "person:trail"  # see who looked up or changed a person (the access trail)
    ENROLLMENT_READ = "enrollment:read"
    ENROLLMENT_WRITE = "enrollment:write"
    PAYMENT_WRITE = "payment:write"
    BATCH_WRITE = "batch:write"
    REPORT_READ = "report:read"
    SETTLEMENT_READ = "settlement:read"
    SETTLEMENT_WRITE = "settlement:write"  # manual reimbursement, filings
    INSTITUTION_WRITE = "institution:write"  # institutions, doctors, catalogue, agreement status
    STAFF_ADMIN = "staff:admin"
    POLICY_AMEND = "policy:amend"  # propose and approve parameter amendments (parameters/, POLICY.md §1)
    FAMILY_WRITE = "family:write"  # family mutual-aid networks and transfers at the window (POLICY.md §11)
    CLEARING_WRITE = "clearing:write"  # build, approve (a second person) and pay institution clearings (S18 §6)
    AUDIT_WRITE = "audit:write"  # scan for findings, open and work cases, propose decisions (POLICY.md §12)
    AUDIT_DECIDE = "audit:decide"  # approve audit decisions: sanctions, refusals of payment, recoveries


PERMISSION_LABELS = {  # what the refusal names (in words a clerk knows, not the code)
    Permission.PERSON_READ: "查询参保人", Permission.PERSON_WRITE: "登记和修改参保人",
    Permission.PERSON_IDENTITY: "查看完整身份证号", Permission.PERSON_TRAIL: "查看查阅与修改记录",
    Permission.ENROLLMENT_READ: "查询参保登记", Permission.ENROLLMENT_WRITE: "办理参保登记",
    Permission.PAYMENT_WRITE: "登记缴费", Permission.BATCH_WRITE: "批量导入与续保",
    Permission.REPORT_READ: "查看统计报表", Permission.SETTLEMENT_READ: "查询结算",
    Permission.SETTLEMENT_WRITE: "办理零星报销、备案和撤销结算",
    Permission.INSTITUTION_WRITE: "管理定点机构、医师和目录", Permission.STAFF_ADMIN: "管理工作人员账号",
    Permission.POLICY_AMEND: "修改和批准政策参数", Permission.FAMILY_WRITE: "办理家庭共济网和账户划转",
    Permission.CLEARING_WRITE: "办理定点机构清算", Permission.AUDIT_WRITE: "办理稽查（疑点、立案、拟定处理意见）",
    Permission.AUDIT_DECIDE: "审批稽查决定（追回、不予支付、暂停结算、扣分）",
}
READS = {Permission.PERSON_READ, Permission.ENROLLMENT_READ, Permission.REPORT_READ, Permission.SETTLEMENT_READ}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.READONLY: frozenset(READS),
    Role.AUDITOR: frozenset(READS | {Permission.PERSON_IDENTITY, Permission.PERSON_TRAIL, Permission.AUDIT_WRITE}),
    Role.CLERK: frozenset(READS | {Permission.PERSON_WRITE, Permission.PERSON_IDENTITY, Permission.ENROLLMENT_WRITE,
                                   Permission.PAYMENT_WRITE, Permission.BATCH_WRITE, Permission.SETTLEMENT_WRITE,
                                   Permission.FAMILY_WRITE, Permission.CLEARING_WRITE}),
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


SIGN_IN_REFUSAL = "用户名或密码错误"  # one message for a wrong password, an unknown or a disabled account


def sign_in(session: Session, *, username: str, password: str, address: str = "",
            hours: float = 12) -> tuple[str, StaffUser]:
    """Check the password (throttled by address and account, access/throttle.py); returns a new bearer
    token (stored only as its hash) and the user."""
    user = session.get(StaffUser, username.strip())
    stored = user.password_hash if user is not None and user.active else None
    if not throttle.guarded_check(session, "staff", username, address, password, stored):
        raise Unauthorized(SIGN_IN_REFUSAL, field="password")
    assert user is not None
    return open_session(session, Kind.STAFF, user.username, hours=hours), user


def staff_for_token(session: Session, token: str) -> StaffUser:
    row = live_session(session, Kind.STAFF, token)
    user = session.get(StaffUser, row.subject)
    if user is None or not user.active:
        raise Unauthorized("账号已停用")
    return user


def sign_out(session: Session, token: str) -> None:
    close_session(session, token)


def has_permission(user: StaffUser, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(Role(user.role), frozenset())
