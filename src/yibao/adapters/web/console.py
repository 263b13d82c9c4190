"""Staff console (经办系统): sign-in, menus by role, finding a person, the person page and its actions
(register, enroll, take a payment, open the resident's online account)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, NamedTuple
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from yibao.access import trail as access_trail
from yibao.access.trail import Action, Door
from yibao.adapters.rest.deps import DbSession, EditionsDep, check_permission
from yibao.adapters.trailing import saw, staff_acting
from yibao.adapters.web.common import (
    STAFF_COOKIE,
    Form,
    SignInRequired,
    attempt,
    client_address,
    page,
    page_or_part,
    redirect,
    safe_next,
    signed_in,
    signed_out,
)
from yibao.adapters.web.exports import EXPORT_LIMIT, xlsx_response
from yibao.contributions import service as contributions
from yibao.credential import service as credentials
from yibao.credential.rules import (
    BINDING_STATUS_LABELS,
    CREDENTIAL_STATUS_LABELS,
    DEMO_CHANNEL,
    DEMO_CHANNEL_NAME,
    GUIDE_CHANNELS,
    PARAMETERS,
    PROOF_LABELS,
    RELATIONSHIPS,
)
from yibao.enrollment import service as enrollment
from yibao.enrollment.payments import pay_contribution
from yibao.enrollment.search import STATUS_FILTERS, PersonFilter, find_people
from yibao.errors import Forbidden, InvalidInput, Unauthorized
from yibao.filings.service import REASONS, filings_of
from yibao.glossary import MED_TYPE_LABELS
from yibao.kit.clock import now
from yibao.kit.errors import DomainError
from yibao.kit.masks import mask_id, mask_phone
from yibao.people import service as people
from yibao.people.service import CERTIFICATE_KINDS
from yibao.people.towns import TOWN_BY_CODE, TOWNS
from yibao.settlement.settle import read_accumulators, settlements_of
from yibao.staff import service as staff
from yibao.staff.models import StaffUser
from yibao.staff.service import Permission, has_permission

router = APIRouter(prefix="/console", include_in_schema=False)


def console_user(request: Request, session: DbSession) -> StaffUser:
    token = request.cookies.get(STAFF_COOKIE)
    try:
        if not token:
            raise Unauthorized("请先登录")
        return staff_acting(session, staff.staff_for_token(session, token), Door.CONSOLE)
    except Unauthorized:
        raise SignInRequired("/console/login", request.url.path) from None


ConsoleUser = Annotated[StaffUser, Depends(console_user)]


need = check_permission  # a console page refuses a role as the REST routes do


# ---------------------------------------------------------------------------------------------------
# Sign-in


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/console") -> Response:
    return page(request, "console/login.html", next=safe_next(next, "/console"))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, session: DbSession) -> Response:
    form = await Form.read(request)
    target = safe_next(form.get("next"), "/console")
    try:
        token, _user = await run_in_threadpool(  # scrypt off the event loop
            partial(staff.sign_in, session, username=form.get("username"), password=form.get("password"),
                    address=client_address(request), hours=request.app.state.settings.session_hours))
    except DomainError as exc:  # not rolled back: a wrong password is counted by the throttle
        form.fail(exc, "password")
        return page(request, "console/login.html", status=exc.http_status, form=form, next=target)
    return signed_in(request, STAFF_COOKIE, token, request.app.state.settings.session_hours, target)


@router.post("/logout")
def logout(request: Request, session: DbSession) -> Response:
    token = request.cookies.get(STAFF_COOKIE)
    if token:
        staff.sign_out(session, token)
    return signed_out(STAFF_COOKIE, "/console/login")


@router.get("", response_class=HTMLResponse)
def home(request: Request, user: ConsoleUser) -> Response:
    return page(request, "console/home.html", user=user, year=now().year)


# ---------------------------------------------------------------------------------------------------
# Finding a person; the person page


@router.get("/people", response_class=HTMLResponse)
def find(request: Request, session: DbSession, editions: EditionsDep, user: ConsoleUser, q: str = "",
         town: str = "", category: str = "", status: str = "", page_no: int = 1) -> Response:
    """Search by what was typed and by town, category and this year's enrollment status, 50 a page."""
    need(user, Permission.PERSON_READ)
    year = now().year
    wanted = PersonFilter(year, q, town, category, status)
    form, found, total = Form({"q": q, "town": town, "category": category, "status": status}, {}), list[Any](), 0
    page_no = max(page_no, 1)
    if not wanted.empty:
        result = attempt(session, form, lambda: find_people(session, wanted, limit=PAGE_SIZE,
                                                            offset=(page_no - 1) * PAGE_SIZE))
        found, total = (list(result[0]), result[1]) if result else ([], 0)
        saw(request, session, Action.SEARCH, (person.psn_no for person in found), "人员查询结果")
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    categories = {code: c.label for code, c in editions.on(dt.date(year, 12, 31)).categories.items()}
    return page_or_part(request, "console/people.html", "console/_people_rows.html", user=user, form=form, q=q,
                        found=found, total=total, page_no=min(page_no, pages), pages=pages, towns=TOWN_BY_CODE,
                        town_list=TOWNS, categories=categories, statuses=STATUS_FILTERS, year=year,
                        filters=urlencode({k: v for k, v in form.values.items() if v}),
                        full_id=has_permission(user, Permission.PERSON_IDENTITY))


PAGE_SIZE = 50  # search results per page


@router.get("/people.xlsx")
def find_xlsx(request: Request, session: DbSession, user: ConsoleUser, q: str = "", town: str = "",
              category: str = "", status: str = "") -> Response:
    """The search's whole result (up to EXPORT_LIMIT) as Excel, the filter applied and numbers masked as on the page."""
    need(user, Permission.PERSON_READ)
    wanted = PersonFilter(now().year, q, town, category, status)
    if wanted.empty:
        raise InvalidInput("请先输入查询内容或选择筛选条件，再下载", field="q")
    found, _ = find_people(session, wanted, limit=EXPORT_LIMIT, offset=0)
    saw(request, session, Action.EXPORT, (person.psn_no for person in found), "导出人员查询结果")
    whole = has_permission(user, Permission.PERSON_IDENTITY)
    return xlsx_response(f"参保人员-{now():%Y%m%d}.xlsx", "参保人员",
                         ("姓名", "身份证号", "人员编号", "性别", "出生日期", "镇（街道）", "联系电话"),
                         ((p.name, p.certno if whole else mask_id(p.certno), p.psn_no, "男" if p.sex == "1" else "女",
                           p.birth_date, TOWN_BY_CODE[p.town].name if p.town in TOWN_BY_CODE else "非本区户籍",
                           (p.phone if whole else mask_phone(p.phone)) if p.phone else "") for p in found))


# the person page's forms, each with its own field ids
FORM_PREFIXES = {"enroll": "enroll-", "pay": "pay-", "account": "account-", "certificate": "cert-",
                 "cancel": "cancel-", "ecard": "ec-", "binding": "ec-", "unbind": "ec-", "proof": "proof-",
                 "edit": "edit-"}
TRAIL_LABELS = {"action": access_trail.ACTION_LABELS, "door": access_trail.DOOR_LABELS,
                "actor_kind": access_trail.ACTOR_KIND_LABELS}
EC_ACTIONS = {"suspend": "暂停使用", "reinstate": "恢复使用", "revoke": "注销"}


class BindingRow(NamedTuple):
    binding: Any
    holder: str
    relative: str


def ecard_context(session: Session, psn_no: str) -> dict[str, Any]:
    """The person page's e-credential part: the credentials, their state, the family bindings either way."""
    history = credentials.credentials_history(session, psn_no)
    me = people.person_record(session, psn_no).name
    rows = [BindingRow(b.binding, me, b.person.name)
            for b in credentials.bindings_of(session, psn_no, include_removed=True)]
    rows += [BindingRow(b.binding, b.person.name, me)
             for b in credentials.bound_by(session, psn_no, include_removed=True)]
    return {"ecard": history, "ec_live": any(c.status in credentials.LIVE for c in history),
            "ec_status": CREDENTIAL_STATUS_LABELS, "ec_channels": {**GUIDE_CHANNELS, DEMO_CHANNEL: DEMO_CHANNEL_NAME},
            "ec_actions": EC_ACTIONS, "bindings": rows, "relationships": RELATIONSHIPS,
            "relationship_options": {code: label for code, (label, _) in RELATIONSHIPS.items()},
            "proofs": PROOF_LABELS, "binding_status": BINDING_STATUS_LABELS}


def person_page(request: Request, session: Session, editions: Any, user: StaffUser, psn_no: str, *,
                form: Form | None = None, status: int = 200, notice: str = "") -> Response:
    need(user, Permission.PERSON_READ)
    person = people.get_person(session, psn_no, with_certificates=True)
    saw(request, session, Action.VIEW, [psn_no], "人员详情页")
    year = now().year
    special, cross = filings_of(session, psn_no)
    trail = access_trail.history(session, psn_no) if has_permission(user, Permission.PERSON_TRAIL) else None
    return page(
        request, "console/person.html", status=status, user=user, person=person, form=form or Form({}, {}),
        notice=notice, year=year, town=TOWN_BY_CODE.get(person.town or ""),
        full_id=has_permission(user, Permission.PERSON_IDENTITY), certificate_kinds=CERTIFICATE_KINDS,
        enrollments=enrollment.enrollments_of(session, psn_no), bills=contributions.bills_of(session, psn_no),
        payments=contributions.payments_of(session, psn_no),
        special=special, cross=cross, reasons=REASONS, settlements=settlements_of(session, psn_no),
        accumulators=read_accumulators(session, psn_no, year), med_types=MED_TYPE_LABELS,
        channels=enrollment.CHANNELS, pay_channels=contributions.PAYMENT_CHANNELS, banks=contributions.BANKS,
        bill_status=contributions.BILL_STATUS, editions=editions,
        **{f"blank_{action}": Form({}, {}, prefix) for action, prefix in FORM_PREFIXES.items()},
        **ecard_context(session, psn_no), trail=trail, trail_labels=TRAIL_LABELS,
        changes=people.changes_of(session, psn_no), changed_fields=people.CHANGED_FIELDS,
        towns_by_code={t.code: t.name for t in TOWNS},
    )



@router.get("/people/new", response_class=HTMLResponse)
def new_person_page(request: Request, user: ConsoleUser) -> Response:
    need(user, Permission.PERSON_WRITE)
    return page(request, "console/person_new.html", user=user, towns=TOWNS)


@router.post("/people/new", response_class=HTMLResponse)
async def new_person(request: Request, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.PERSON_WRITE)
    form = await Form.read(request)
    person = attempt(session, form, lambda: people.register_person(
        session, certno=form.required("certno", "身份证号"), name=form.required("name", "姓名"),
        local=form.get("local") == "1", town=form.get("town") or None, phone=form.get("phone") or None))
    if person is None:
        return page(request, "console/person_new.html", status=400, user=user, towns=TOWNS, form=form)
    return redirect(f"/console/people/{person.psn_no}?notice=registered")


NOTICES = {"registered": "已登记参保人。", "enrolled": "已办理参保登记，请收取个人缴费。",
           "paid": "已缴费，参保登记生效。", "certificate": "已登记证件；资助资格以参保登记日为准。",
           "cancelled": "已注销参保登记（已缴费的已办理退费）。",
           "account": "已开通网上服务，请将初始密码交给参保人并提醒其登录后妥善保管。",
           "ecard": "已变更医保电子凭证或亲情账户，原因已记录。", "binding": "已办理亲情账户绑定。",
           "edited": "已修改人员信息，原值和变更原因已记录。"}


@router.get("/people/{psn_no}", response_class=HTMLResponse)
def person_view(request: Request, psn_no: str, session: DbSession, editions: EditionsDep, user: ConsoleUser,
                notice: str = "") -> Response:
    return person_page(request, session, editions, user, psn_no, notice=NOTICES.get(notice, ""))


def person_action(permission: Permission, act: Callable[[Session, Any, StaffUser, str, Form], Any],
                  notice: str) -> Callable[..., Any]:
    """A POST on the person page: the permission, one service call, back to the page (or its form errors)."""

    async def handler(request: Request, psn_no: str, session: DbSession, editions: EditionsDep,
                      user: ConsoleUser) -> Response:
        need(user, permission)
        form = await Form.read(request)
        form.prefix = FORM_PREFIXES.get(form.get("action"), "")
        if attempt(session, form, lambda: act(session, editions, user, psn_no, form) or True) is None:
            return person_page(request, session, editions, user, psn_no, form=form, status=400)
        return redirect(f"/console/people/{psn_no}?notice={notice}")

    return handler


def _enroll(session: Session, editions: Any, user: StaffUser, psn_no: str, form: Form) -> Any:
    request = enrollment.EnrollmentRequest(
        psn_no=psn_no, year=form.year("year"), registration_date=form.date("registration_date", "登记日期"),
        channel=form.required("channel", "参保渠道"), student=form.get("student") == "1",
        adult_tier=form.get("adult_tier") or None, proxy_name=form.get("proxy_name") or None,
        proxy_certno=form.get("proxy_certno") or None, late_exception=form.get("late_exception") or None)
    return enrollment.enroll_person(session, editions, request, actor=user.username)


def _pay(session: Session, editions: Any, user: StaffUser, psn_no: str, form: Form) -> Any:
    bill = contributions.bill_by_no(session, form.required("bill_no", "缴费单号"))
    if bill.psn_no != psn_no:
        raise Forbidden("该缴费单不是此参保人的")
    request = contributions.PaymentRequest(
        bill.bill_no, form.required("channel", "缴费渠道"), form.amount("amount", "缴费金额"),
        form.date("paid_on", "缴费日期"), form.required("reference", "缴费流水号"), bank=form.get("bank") or None,
        card_no=form.get("card_no") or None, payer_name=form.get("payer_name") or None,
        payer_certno=form.get("payer_certno") or None)
    return pay_contribution(session, request, actor=user.username)


def _certificate(session: Session, editions: Any, user: StaffUser, psn_no: str, form: Form) -> Any:
    return people.add_certificate(
        session, psn_no=psn_no, kind=form.required("kind", "证件类别"), cert_no=form.get("cert_no"),
        valid_from=form.date("valid_from", "有效期起"),
        valid_to=form.date("valid_to", "有效期止") if form.get("valid_to") else None)


def _cancel(session: Session, editions: Any, user: StaffUser, psn_no: str, form: Form) -> Any:
    chosen = form.required("enrollment_id", "参保登记")
    return enrollment.cancel_enrollment(session, psn_no=psn_no, enrollment_id=chosen, reason=form.get("reason"),
                                        on=now().date(), actor=user.username)


def _ecard(session: Session, editions: Any, user: StaffUser, psn_no: str, form: Form) -> Any:
    if form.get("action") == "unbind":
        return credentials.end_binding(session, binding_id=form.required("binding_id", "绑定"), by_psn_no=None,
                                       actor=user.username)
    change = form.required("change", "操作")
    if change not in EC_ACTIONS:
        raise InvalidInput("请选择暂停、恢复或注销", field="change")
    return credentials.change_credential(session, psn_no, change, reason=form.get("reason"), actor=user.username)


def _binding(session: Session, editions: Any, user: StaffUser, psn_no: str, form: Form) -> Any:
    return credentials.bind_relative(session, PARAMETERS, holder=psn_no, certno=form.required("certno", "亲属身份证号"),
                                     name=form.required("name", "亲属姓名"),
                                     relationship=form.required("relationship", "与参保人关系"), actor=user.username,
                                     proof_no=form.get("proof_no") or None, at_window=True)


def _edit(session: Session, editions: Any, user: StaffUser, psn_no: str, form: Form) -> Any:
    return people.update_person(session, psn_no=psn_no, phone=form.get("phone") or None,
                                town=form.get("town") or None, reason=form.get("reason"), actor=user.username)


def _account(session: Session, editions: Any, user: StaffUser, psn_no: str, form: Form) -> Any:
    return people.open_resident_account(session, psn_no=psn_no, password=form.get("password"), actor=user.username)


router.add_api_route("/people/{psn_no}/enroll", person_action(Permission.ENROLLMENT_WRITE, _enroll, "enrolled"),
                     methods=["POST"], response_class=HTMLResponse)
router.add_api_route("/people/{psn_no}/pay", person_action(Permission.PAYMENT_WRITE, _pay, "paid"),
                     methods=["POST"], response_class=HTMLResponse)
router.add_api_route("/people/{psn_no}/certificates",
                     person_action(Permission.PERSON_WRITE, _certificate, "certificate"), methods=["POST"],
                     response_class=HTMLResponse)
router.add_api_route("/people/{psn_no}/cancel", person_action(Permission.ENROLLMENT_WRITE, _cancel, "cancelled"),
                     methods=["POST"], response_class=HTMLResponse)
router.add_api_route("/people/{psn_no}/ecard", person_action(Permission.PERSON_WRITE, _ecard, "ecard"),
                     methods=["POST"], response_class=HTMLResponse)
router.add_api_route("/people/{psn_no}/bindings", person_action(Permission.PERSON_WRITE, _binding, "binding"),
                     methods=["POST"], response_class=HTMLResponse)
router.add_api_route("/people/{psn_no}/account", person_action(Permission.PERSON_WRITE, _account, "account"),
                     methods=["POST"], response_class=HTMLResponse)
router.add_api_route("/people/{psn_no}/edit", person_action(Permission.PERSON_WRITE, _edit, "edited"),
                     methods=["POST"], response_class=HTMLResponse)
