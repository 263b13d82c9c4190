"""Resident self-service (我的医保) and the public pages: sign-in with ID number and password, my insurance
status, category and benefit period, my settlements and receipts; the benefit calculator (待遇测算) with
its explanation in plain words; the policy Q&A (S22 and S18, searchable) and the town hotlines (S22 §8)."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache, partial
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from yibao.access.sessions import close_session
from yibao.access.trail import Actor, Door, act_as
from yibao.adapters.rest.deps import DbSession, EditionsDep
from yibao.adapters.trailing import receipt_response
from yibao.adapters.web.common import (
    CLASS_LABELS,
    HERE,
    RESIDENT_COOKIE,
    RESIDENT_HOURS,
    Form,
    SignInRequired,
    attempt,
    client_address,
    fee_lines,
    page,
    page_or_part,
    signed_in,
    signed_out,
)
from yibao.contributions import service as contributions
from yibao.enrollment.service import coverage_on, enrollments_of, live_enrollment
from yibao.errors import InvalidInput, NotFound, Unauthorized
from yibao.filings.service import REASONS, filings_of
from yibao.glossary import MED_TYPE_LABELS, source_words
from yibao.kit.clock import now
from yibao.kit.errors import DomainError
from yibao.people import service as people
from yibao.people.models import Person
from yibao.people.towns import DISTRICT_CENTRE_HOTLINE, TOWN_BY_CODE, TOWNS
from yibao.policy.editions import BENEFIT_LABELS, LEVEL_LABELS, Benefit, Level
from yibao.settlement.estimate import estimate_benefit
from yibao.settlement.models import SettlementKind
from yibao.settlement.receipt import build_receipt
from yibao.settlement.settle import read_accumulators, settlements_of

router = APIRouter(include_in_schema=False)
CALC_LINES = 3


def resident(request: Request, session: DbSession) -> Person:
    try:
        person = people.resident_session(session, request.cookies.get(RESIDENT_COOKIE))
    except Unauthorized:
        raise SignInRequired("/me/login", request.url.path) from None
    act_as(session, Actor("resident", person.psn_no, Door.RESIDENT))
    return person


Resident = Annotated[Person, Depends(resident)]


@router.get("/", response_class=HTMLResponse)
def welcome(request: Request) -> Response:
    return page(request, "public/welcome.html")


# ---------------------------------------------------------------------------------------------------
# Sign-in


@router.get("/me/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    return page(request, "me/login.html")


@router.post("/me/login", response_class=HTMLResponse)
async def login(request: Request, session: DbSession) -> Response:
    form = await Form.read(request)
    try:
        token, _person = await run_in_threadpool(  # scrypt off the event loop
            partial(people.resident_sign_in, session, certno=form.required("certno", "身份证号"),
                    password=form.required("password", "密码"), address=client_address(request),
                    hours=RESIDENT_HOURS))
    except DomainError as exc:  # not rolled back: a wrong password is counted by the throttle
        form.fail(exc)
        return page(request, "me/login.html", status=exc.http_status, form=form)
    return signed_in(request, RESIDENT_COOKIE, token, RESIDENT_HOURS, "/me")


@router.post("/me/logout")
def logout(request: Request, session: DbSession) -> Response:
    close_session(session, request.cookies.get(RESIDENT_COOKIE))
    return signed_out(RESIDENT_COOKIE, "/me/login")


# ---------------------------------------------------------------------------------------------------
# My insurance, my settlements


def status_words(session: Any, person: Person, today: dt.date) -> tuple[str, str]:
    """(headline, detail) of the person's standing today, in plain words."""
    covered = coverage_on(session, person.psn_no, today)
    if covered is not None:
        return "保障中", f"{covered.year} 年度待遇享受期：{covered.benefit_start} 至 {covered.benefit_end}"
    current = live_enrollment(session, person.psn_no, today.year)
    if current is None:
        return "未参保", (f"{today.year} 年度尚未参保，请到户籍所在地村（社区）或通过浙里办、支付宝办理参保登记"
                          "（见政策问答）")
    if current.status != "active":
        return "待缴费", f"{today.year} 年度已登记参保，缴费后生效；可通过宁波税务微信、支付宝或委托银行柜面缴费"
    return "等待期", f"待遇自 {current.benefit_start} 起享受（{current.benefit_basis}）"


@router.get("/me", response_class=HTMLResponse)
def me(request: Request, session: DbSession, editions: EditionsDep, person: Resident) -> Response:
    today = now().date()
    headline, detail = status_words(session, person, today)
    enrollments = [e for e in enrollments_of(session, person.psn_no) if e.status != "cancelled"]
    labels = {e.id: editions.get(e.edition).categories[e.category].label for e in enrollments}
    special, cross = filings_of(session, person.psn_no)
    paid = {p.bill_id: p for p in contributions.payments_of(session, person.psn_no)}
    return page(request, "me/home.html", person=person, headline=headline, detail=detail, enrollments=enrollments,
                category_labels=labels, accumulators=read_accumulators(session, person.psn_no, today.year),
                year=today.year, settlements=my_settlements(session, person.psn_no),
                med_types=MED_TYPE_LABELS, town=TOWN_BY_CODE.get(person.town or ""),
                bills=sorted(contributions.bills_of(session, person.psn_no), key=lambda b: -b.year), paid=paid,
                bill_status=contributions.BILL_STATUS, pay_channels=contributions.PAYMENT_CHANNELS,
                banks="、".join(contributions.BANKS.values()), special=special, cross=cross, reasons=REASONS,
                today=today)


def my_settlements(session: Any, psn_no: str) -> list[Any]:
    """What a resident sees of their settlements: newest first, without the negated copies that record a
    cancellation (the cancelled one shows 已撤销 instead)."""
    shown = [s for s in settlements_of(session, psn_no) if s.kind != SettlementKind.CANCEL]
    return sorted(shown, key=lambda s: (s.service_date, s.setl_time), reverse=True)


@router.get("/me/password", response_class=HTMLResponse)
def password_page(request: Request, person: Resident) -> Response:
    return page(request, "me/password.html", person=person)


@router.post("/me/password", response_class=HTMLResponse)
async def change_password(request: Request, session: DbSession, person: Resident) -> Response:
    form = await Form.read(request)

    def act() -> bool:
        if form.get("new") != form.get("confirm"):
            raise InvalidInput("两次输入的新密码不一致", field="confirm")
        people.change_resident_password(session, psn_no=person.psn_no, current=form.get("current"),
                                        new=form.get("new"), keep=request.cookies.get(RESIDENT_COOKIE))
        return True

    if attempt(session, form, act) is None:
        return page(request, "me/password.html", status=400, person=person, form=form)
    return page(request, "me/password.html", person=person, notice="密码已修改，下次请用新密码登录。")


def own_settlement(session: Any, person: Person, setl_id: str) -> Any:
    receipt = build_receipt(session, setl_id)
    if receipt.settlement.psn_no != person.psn_no:
        raise NotFound(f"没有结算 {setl_id}", field="setl_id")
    return receipt


@router.get("/me/settlements/{setl_id}", response_class=HTMLResponse)
def my_receipt(setl_id: str, request: Request, session: DbSession, person: Resident) -> Response:
    return receipt_response(request, session, own_settlement(session, person, setl_id), back="/me")


@router.get("/me/settlements/{setl_id}/receipt.pdf")
def my_receipt_file(setl_id: str, request: Request, session: DbSession, person: Resident) -> Response:
    return receipt_response(request, session, own_settlement(session, person, setl_id), pdf=True)


# ---------------------------------------------------------------------------------------------------
# 待遇测算


def _calc_page(request: Request, editions: Any, person: Person | None, form: Form, status: int = 200,
               **result: Any) -> Response:
    edition = editions.on(now().date())
    return page(request, "public/calc.html", status=status, form=form, person=person, benefits=BENEFIT_LABELS,
                levels=LEVEL_LABELS, classes=CLASS_LABELS, rows=range(CALC_LINES),
                categories={code: c.label for code, c in edition.categories.items()}, **result)


def current_resident(request: Request, session: Any) -> Person | None:
    """The signed-in resident, or None (the calculator serves everybody)."""
    try:
        return resident(request, session)
    except (SignInRequired, NotFound):
        return None


@router.get("/calc", response_class=HTMLResponse)
def calc_page(request: Request, session: DbSession, editions: EditionsDep) -> Response:
    form = Form({"service_date": now().date().isoformat(), "benefit": "inpatient", "level": "tertiary_b"}, {})
    return _calc_page(request, editions, current_resident(request, session), form)


@router.post("/calc", response_class=HTMLResponse)
async def calc(request: Request, session: DbSession, editions: EditionsDep) -> Response:
    form = await Form.read(request)
    person = current_resident(request, session)
    estimate = attempt(session, form, lambda: estimate_benefit(
        session, editions, day=form.date("service_date", "就医日期"),
        benefit=form.choice("benefit", "就医类型", Benefit), level=form.choice("level", "医院等级", Level),
        lines=fee_lines(form, CALC_LINES), psn_no=person.psn_no if person else None,
        category=None if person else form.get("category")))
    if estimate is None:
        return _calc_page(request, editions, person, form, 400)
    computed, before = estimate
    return _calc_page(request, editions, person, form, result=computed, before=before)


# ---------------------------------------------------------------------------------------------------
# 政策问答, 咨询电话


_FOLDED = re.compile(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])")  # YAML's folding joined Chinese lines with a space


@cache
def questions() -> list[dict[str, str]]:
    with open(HERE / "qa.yaml", encoding="utf-8") as source:
        entries: list[dict[str, str]] = yaml.safe_load(source)
    return [{**e, "answer": _FOLDED.sub("", e["answer"]), "source": source_words(e["source"])} for e in entries]


@router.get("/qa", response_class=HTMLResponse)
def qa(request: Request, q: str = "") -> Response:
    words = q.split()
    found = [e for e in questions() if all(w in e["question"] or w in e["answer"] for w in words)]
    return page_or_part(request, "public/qa.html", "public/_qa_list.html", q=q, found=found, towns=TOWNS,
                        centre=DISTRICT_CENTRE_HOTLINE)
