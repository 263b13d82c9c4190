"""What every page needs: the templates, signed cookies, who is signed in (staff, resident, hospital desk),
and the form errors shown at their field. Pages hold no rules: they parse a form, call a service, render.

Sign-ins: staff, residents and hospital desks carry a random session token in an HttpOnly, SameSite=Strict
cookie (Secure over HTTPS); the server keeps the session (access/sessions.py), so signing out or changing the
password ends it. Every state-changing request carries a CSRF token (`check_csrf`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar, overload
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.orm import Session

from yibao.errors import InvalidInput
from yibao.glossary import ACCUMULATOR_LABELS, AMOUNT_LABELS, ITEM_CLASS_LABELS, MED_TYPE_LABELS
from yibao.kit.errors import DomainError
from yibao.kit.masks import mask_id as mask
from yibao.kit.masks import mask_phone
from yibao.kit.money import fmt, fmt_grouped, fmt_yuan, money
from yibao.policy.chain import FeeLine, ItemClass
from yibao.policy.editions import BENEFIT_LABELS, LEVEL_LABELS
from yibao.staff.models import StaffUser
from yibao.staff.service import ROLE_LABELS, Permission, has_permission

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["money"] = lambda value: "—" if value is None else fmt(value)
templates.env.filters["grouped"] = lambda value: "—" if value is None else fmt_grouped(value)
templates.env.filters["yuan"] = lambda value: "—" if value is None else fmt_yuan(value)
templates.env.filters["mask"] = mask
templates.env.filters["mask_phone"] = mask_phone
templates.env.filters["num"] = lambda value: f"{value.normalize():f}"  # 2.0000 → 2, 120.000000 → 120
templates.env.globals.update(BENEFIT_LABELS={b.value: label for b, label in BENEFIT_LABELS.items()},
                             LEVEL_LABELS={lv.value: label for lv, label in LEVEL_LABELS.items()},
                             ROLE_LABELS={r.value: label for r, label in ROLE_LABELS.items()},
                             AMOUNT_LABELS=AMOUNT_LABELS, ACCUMULATOR_LABELS=ACCUMULATOR_LABELS,
                             MED_TYPE_LABELS=MED_TYPE_LABELS)

E = TypeVar("E", bound=Enum)
STAFF_COOKIE, RESIDENT_COOKIE, DESK_COOKIE = "yibao_staff", "yibao_resident", "yibao_desk"  # SESSION_COOKIES
RESIDENT_HOURS, DESK_HOURS = 2, 12


class SignInRequired(Exception):
    """Raised by a page dependency when nobody (of the right kind) is signed in: the door redirects."""

    def __init__(self, login_path: str, next_path: str) -> None:
        self.location = f"{login_path}?next={quote(next_path)}"


# ---------------------------------------------------------------------------------------------------
# Session cookies (access/sessions.py keeps the sessions; a cookie holds only the random token)


def serves_https(request: Request) -> bool:
    return bool(request.app.state.settings.https) or request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, hours: float) -> None:
    response.set_cookie(name, value, max_age=int(hours * 3600), httponly=True, samesite="strict", path="/",
                        secure=serves_https(request))


def signed_in(request: Request, cookie: str, token: str, hours: float, location: str) -> Response:
    """Sign in: a redirect to `location` carrying the session's token."""
    response = redirect(location)
    set_cookie(request, response, cookie, token, hours)
    return response


def signed_out(cookie: str, location: str) -> Response:
    response = redirect(location)
    response.delete_cookie(cookie, path="/")
    return response


def client_address(request: Request) -> str:
    """The client's address, as the server sees it (behind a proxy: run uvicorn with --proxy-headers and
    --forwarded-allow-ips so that this is the browser's, not the proxy's). Throttling keys on it."""
    return request.client.host if request.client else ""


# ---------------------------------------------------------------------------------------------------
# CSRF (issue 19 item 5): SameSite=Strict does not stop a page on another port of the same host, which is
# the same site. Every state-changing request of the pages carries a synchronizer token — an HMAC of a
# random per-browser nonce (cookie yibao_csrf) and of the browser's session cookies, keyed by the server's
# secret — in the form (`csrf_token`) or, for htmx and scripts, the X-CSRF-Token header; and a request whose
# Origin is another origin is refused outright.

CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER = "yibao_csrf", "csrf_token", "x-csrf-token"
SESSION_COOKIES = ("yibao_staff", "yibao_resident", "yibao_desk")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRefused(DomainError):
    code = "csrf"
    http_status = 403


def _secret(request: Request) -> bytes:
    key: bytes = request.app.state.secret_key
    return key


def _csrf_nonce(request: Request) -> str:
    nonce = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_nonce", None)
    if not nonce:
        nonce = secrets.token_urlsafe(24)
        request.state.csrf_nonce = nonce  # page() sets the cookie on the response
    return nonce


def _csrf_mac(request: Request, nonce: str) -> str:
    bound = "|".join([nonce, *(request.cookies.get(name, "") for name in SESSION_COOKIES)])
    return hmac.new(_secret(request), b"csrf|" + bound.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token this browser's forms carry (templates: {{ csrf_field() }} or the <meta> for htmx)."""
    return _csrf_mac(request, _csrf_nonce(request))


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:  # not a browser's cross-origin request (browsers send Origin with every POST)
        return True
    return origin == f"{request.url.scheme}://{request.headers.get('host', '')}"


async def check_csrf(request: Request) -> None:
    """A dependency of every page router (and of the residents' cookie-signed API): unsafe methods need a
    same-origin request with this browser's token; nothing is read or written before this passes."""
    if request.method in SAFE_METHODS:
        return
    if not _same_origin(request):
        raise CsrfRefused("请求来自其他网站，已拒绝；请在本系统的页面上操作")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    nonce = request.cookies.get(CSRF_COOKIE)
    if not sent or not nonce or not hmac.compare_digest(sent, _csrf_mac(request, nonce)):
        raise CsrfRefused("页面已过期或不是从本系统打开的，请刷新页面后重新提交")


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site (no open redirect)."""
    return target if target and target.startswith("/") and not target.startswith("//") else default


# ---------------------------------------------------------------------------------------------------
# Rendering


@dataclass
class Form:
    """A submitted form's values and the errors to show at each field (field → Chinese message)."""

    values: dict[str, Any]
    errors: dict[str, str]
    prefix: str = ""  # field ids are f-<prefix><name>: several forms on one page keep their ids apart
    codes: dict[str, str] = field(default_factory=dict)  # field → the refusal's stable code (data-code)

    @classmethod
    async def read(cls, request: Request) -> Form:
        data = await request.form()
        return cls({key: value for key, value in data.items() if isinstance(value, str)}, {})

    def get(self, name: str, default: str = "") -> str:
        return str(self.values.get(name, default)).strip()

    def fail(self, exc: DomainError, fallback_field: str = "_form") -> None:
        self.errors[exc.field or fallback_field] = exc.message
        self.codes[exc.field or fallback_field] = exc.code

    def required(self, name: str, label: str) -> str:
        value = self.get(name)
        if not value:
            raise InvalidInput(f"请填写{label}", field=name)
        return value

    def date(self, name: str, label: str) -> dt.date:
        text = self.required(name, label)
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(f"{label}格式应为 年-月-日（如 2026-03-01）", field=name) from None

    @overload
    def date_or(self, name: str, label: str, default: dt.date) -> dt.date: ...

    @overload
    def date_or(self, name: str, label: str, default: None) -> dt.date | None: ...

    def date_or(self, name: str, label: str, default: dt.date | None) -> dt.date | None:
        """An optional date (a report's day, a list's filter): its value, or `default` when empty; a bad one is
        the field's error (shown on the page) and `default`."""
        if not self.get(name):
            return default
        try:
            return self.date(name, label)
        except InvalidInput as exc:
            self.fail(exc)
            return default

    def choice(self, name: str, label: str, choices: type[E]) -> E:
        """One of an enum's values, as picked from a list."""
        text = self.required(name, label)
        try:
            return choices(text)
        except ValueError:
            raise InvalidInput(f"请从列表中选择{label}", field=name) from None

    def year(self, name: str, label: str = "参保年度") -> int:
        text = self.required(name, label)
        if not (text.isdigit() and len(text) == 4):
            raise InvalidInput(f"{label}应为四位年份（如 2026）", field=name)
        return int(text)

    def positive(self, name: str, label: str) -> Decimal:
        """A finite number above zero (a count, a unit price)."""
        try:
            value = Decimal(self.required(name, label).replace(",", ""))
        except InvalidOperation:
            value = Decimal(0)
        if not value.is_finite() or value <= 0:
            raise InvalidInput(f"{label}应为大于 0 的数", field=name)
        return value

    def amount(self, name: str, label: str) -> Decimal:
        text = self.required(name, label).replace(",", "")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise InvalidInput(f"{label}应为金额（如 1200.50）", field=name) from None
        if not value.is_finite() or value <= 0 or int(value.as_tuple().exponent) < -2:
            raise InvalidInput(f"{label}应为大于 0、最多两位小数的金额", field=name)
        return money(text)


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("form", Form({}, {}))
    response = templates.TemplateResponse(request, template, context, status_code=status)
    nonce = getattr(request.state, "csrf_nonce", None)
    if nonce and not request.cookies.get(CSRF_COOKIE):  # a first visit: the nonce its forms' tokens are bound to
        response.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="strict", path="/",
                            secure=serves_https(request))
    return response


def page_or_part(request: Request, template: str, part: str, **context: Any) -> HTMLResponse:
    """The whole page, or only the part htmx asked for (search results, a progress bar)."""
    return page(request, part if request.headers.get("HX-Request") else template, **context)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file a form sent (its name and bytes; empty when none was chosen)."""

    name: str
    content: bytes

    @classmethod
    async def read(cls, file: Any) -> Upload:
        return cls(file.filename, await file.read()) if file is not None and file.filename else cls("", b"")

    def chosen(self, what: str) -> bytes:
        """The bytes; none chosen → the refusal at the form's file field (inside `attempt`)."""
        if not self.content:
            raise InvalidInput(f"请选择{what}", field="file")
        return self.content


def attempt(session: Session, form: Form, action: Callable[[], Any], fallback_field: str = "_form") -> Any:
    """Run one service call in a savepoint: on a refusal nothing it wrote stays, and the message goes to its
    field in `form`. Returns the action's result, or None when refused."""
    try:
        with session.begin_nested():
            return action()
    except DomainError as exc:
        form.fail(exc, fallback_field)
        return None


CLASS_LABELS = ITEM_CLASS_LABELS


def fee_lines(form: Form, rows: int) -> tuple[FeeLine, ...]:
    """Receipt lines typed into a form (amount_i, class_i): the calculator and manual reimbursement."""
    lines = []
    for i in range(rows):
        if not form.get(f"amount_{i}"):
            continue
        cls = form.get(f"class_{i}", "A")
        if cls not in CLASS_LABELS:
            raise InvalidInput("费用类别只能是甲类、乙类或丙类", field=f"class_{i}")
        lines.append(FeeLine(form.amount(f"amount_{i}", f"第 {i + 1} 行金额"), ItemClass(cls)))
    if not lines:
        raise InvalidInput("请至少填写一行费用金额", field="amount_0")
    return tuple(lines)


def can(user: StaffUser | None, permission: Permission) -> bool:
    return user is not None and has_permission(user, permission)


def _csrf_field(request: Request) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, csrf_token(request))


templates.env.globals.update(can=can, Permission=Permission, csrf_token=csrf_token, csrf_input=_csrf_field)


def error_page(request: Request, exc: DomainError) -> HTMLResponse:
    """A refused page request (not found, forbidden …): the Chinese message and a way back."""
    return page(request, "error.html", status=exc.http_status, message=exc.message, code=exc.code)


PAGE_AREAS = ("", "console", "me", "desk", "calc", "qa")


def is_page(request: Request) -> bool:
    """A request for a page (answered in HTML), not for the API or the gateway (answered in their formats)."""
    return request.url.path.split("/", 2)[1] in PAGE_AREAS
