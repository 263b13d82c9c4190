"""Hospital desk (定点机构收费窗口) for clinics and pharmacies without an HIS: sign in with the institution's
code and interface secret (as 9001 does), look up a patient by ID or social-security card, enter fee lines
from the catalogue, pre-settle, settle, cancel, print the receipt. The same settlement service as the
gateway; an institution sees and settles only its own visits."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Annotated, Any, NamedTuple
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from yibao.access.sessions import close_session
from yibao.access.trail import Action, Actor, Door, act_as
from yibao.adapters.rest.deps import DbSession, EditionsDep
from yibao.adapters.trailing import receipt_response, saw
from yibao.adapters.web.common import (
    DESK_COOKIE,
    DESK_HOURS,
    Form,
    SignInRequired,
    attempt,
    client_address,
    page,
    redirect,
    signed_in,
    signed_out,
)
from yibao.adapters.web.exports import EXPORT_LIMIT, xlsx_response
from yibao.audit.realtime import enforce as audit_at_counter
from yibao.credential import service as credentials
from yibao.errors import InvalidInput, Unauthorized
from yibao.glossary import CERT_TYPE_LABELS, E_CREDENTIAL, MED_TYPE_LABELS, SETTLEMENT_KIND_LABELS, SS_CARD
from yibao.institutions import service as institutions
from yibao.institutions.models import InstitutionRecord
from yibao.kit.clock import now
from yibao.kit.errors import DomainError
from yibao.kit.money import money, round_money
from yibao.people import service as people
from yibao.people.cards import card_holder
from yibao.settlement import fees, visits
from yibao.settlement import settle as settling
from yibao.settlement.listing import SettlementQuery, day_totals, find_settlements
from yibao.settlement.receipt import build_receipt

router = APIRouter(prefix="/desk", include_in_schema=False)
# What a desk may open: outpatient care at a clinic, a purchase at a pharmacy (inpatient stays need an HIS)
DESK_MED_TYPES = {"pharmacy": ("41",), "community": ("11", "13"), "hospital": ("11", "13")}
CERT_TYPES = {code: CERT_TYPE_LABELS[code] for code in ("02", "03")}  # typed numbers; the e-credential is scanned
# the national business type of a decode at the desk: a pharmacy sells drugs, a clinic registers a visit
DECODE_BUSINESS = {"pharmacy": "02121", "community": "01101", "hospital": "01101"}


class Desk(NamedTuple):
    institution: InstitutionRecord
    opter: str


def desk(request: Request, session: DbSession) -> Desk:
    try:
        signed_in = Desk(*institutions.desk_session(session, request.cookies.get(DESK_COOKIE)))
    except Unauthorized:
        raise SignInRequired("/desk/login", request.url.path) from None
    act_as(session, Actor("desk", f"{signed_in.institution.fixmedins_code}:{signed_in.opter}", Door.DESK))
    return signed_in


DeskUser = Annotated[Desk, Depends(desk)]


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    return page(request, "desk/login.html")


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, session: DbSession) -> Response:
    form = await Form.read(request)
    try:
        token = await run_in_threadpool(  # scrypt off the event loop
            partial(institutions.desk_sign_in, session, code=form.required("fixmedins_code", "机构编码"),
                    secret=form.get("secret"), opter=form.required("opter", "收费员"),
                    address=client_address(request), hours=DESK_HOURS))
    except DomainError as exc:  # not rolled back: a wrong secret is counted by the throttle
        form.fail(exc)
        return page(request, "desk/login.html", status=exc.http_status, form=form)
    return signed_in(request, DESK_COOKIE, token, DESK_HOURS, "/desk")


@router.post("/logout")
def logout(request: Request, session: DbSession) -> Response:
    close_session(session, request.cookies.get(DESK_COOKIE))
    return signed_out(DESK_COOKIE, "/desk/login")


def _home(request: Request, d: Desk, form: Form | None = None, status: int = 200, **context: Any) -> Response:
    return page(request, "desk/home.html", status=status, desk=d, form=form or Form({}, {}), cert_types=CERT_TYPES,
                med_types={m: MED_TYPE_LABELS[m] for m in DESK_MED_TYPES[d.institution.kind]}, **context)


@router.get("", response_class=HTMLResponse)
def home(request: Request, d: DeskUser) -> Response:
    return _home(request, d)


@router.post("/visits", response_class=HTMLResponse)
async def open_visit(request: Request, session: DbSession, editions: EditionsDep, d: DeskUser) -> Response:
    """Look the patient up and open the visit (as 1101 + 2201): refused with the rule that refused it."""
    form = await Form.read(request)

    def act() -> Any:
        med_type = form.get("med_type") or DESK_MED_TYPES[d.institution.kind][0]
        if med_type not in DESK_MED_TYPES[d.institution.kind]:
            raise InvalidInput("本窗口不能办理该医疗类别", field="med_type")
        psn_no, cert_type, cert_no = _patient(request, session, d, form)
        return visits.open_visit(session, editions, institution=d.institution, psn_no=psn_no,
                                 med_type=med_type, begntime=now().replace(microsecond=0), cert_type=cert_type,
                                 cert_no=cert_no)

    visit = attempt(session, form, act, "qrCode" if form.get("qrCode") else "certno")
    if visit is None:
        return _home(request, d, form, 400)
    return redirect(f"/desk/visits/{visit.mdtrt_id}")


def _patient(request: Request, session: Session, d: Desk, form: Form) -> tuple[str, str, str]:
    """(psn_no, cert type, cert no) of the patient at the window: the scanned e-credential code (the scanner types
    its text into the field) decoded as ec.query does, else the ID number typed or read off the card."""
    scanned = form.get("qrCode")
    if scanned:
        code = d.institution.fixmedins_code
        decoded = credentials.decode_code(session, request.app.state.ec_keys, request.app.state.ec_params,
                                          fixmedins_code=code, request=credentials.DecodeRequest(
                                              code, DECODE_BUSINESS[d.institution.kind], d.opter, d.opter, None,
                                              None, scanned))
        saw(request, session, Action.LOOKUP, [decoded.person.psn_no], "窗口扫码识别参保人")
        return decoded.person.psn_no, E_CREDENTIAL, decoded.ec_token
    cert_type = form.get("cert_type", "02")
    if cert_type not in CERT_TYPES:
        raise InvalidInput("证件类型只能是居民身份证或社会保障卡；医保电子凭证请扫码", field="cert_type")
    typed = form.required("certno", "证件号码（身份证号；社会保障卡填卡号），或扫描医保码")
    if cert_type == SS_CARD:
        holder = card_holder(session, card_no=typed, card_sn=None, check_sn=False).psn_no
        saw(request, session, Action.LOOKUP, [holder], "窗口凭社会保障卡识别参保人")
        return holder, cert_type, typed
    person = people.person_by_certno(session, typed)
    saw(request, session, Action.LOOKUP, [person.psn_no], "窗口凭身份证号识别参保人")
    return person.psn_no, cert_type, person.certno


def visit_page(request: Request, session: Session, editions: Any, d: Desk, mdtrt_id: str, *,
               form: Form | None = None, status: int = 200, preview: Any = None,
               use_accounts: bool = True, tendered: str = "") -> Response:
    visit = visits.visit_record(session, mdtrt_id, institution=d.institution.fixmedins_code)
    person = people.get_person(session, visit.psn_no)
    settled = settling.visit_settlement(session, visit)
    owners = {row.mulaid_psn_no: people.person_record(session, row.mulaid_psn_no).name
              for row in (preview, settled) if row is not None and row.mulaid_psn_no}
    return page(request, "desk/visit.html", status=status, desk=d, visit=visit, person=person,
                form=form or Form({}, {}), lines=fees.fee_lines_of(session, visit), preview=preview,
                settled=settled, med_types=MED_TYPE_LABELS, owners=owners, use_accounts=use_accounts,
                change=_change(tendered, settled))


def _change(tendered: str, settled: Any) -> tuple[Decimal, Decimal] | None:
    """(cash received, change) as the cashier entered it at settling; None when not entered."""
    try:
        received = money(tendered) if tendered and settled is not None else None
    except ValueError:
        return None
    return None if received is None else (received, received - settled.psn_cash_pay)


def _uses_accounts(form: Form) -> bool:
    """The cashier's choice, as acct_used_flag: the family's accounts pay the personal share (POLICY.md §11)."""
    return form.get("use_accounts") == "1"


@router.get("/visits/{mdtrt_id}", response_class=HTMLResponse)
def visit_view(request: Request, mdtrt_id: str, session: DbSession, editions: EditionsDep, d: DeskUser,
               tendered: str = "") -> Response:
    return visit_page(request, session, editions, d, mdtrt_id, tendered=tendered)


def _fee(form: Form, visit: Any, serial: int) -> fees.FeeIn:
    """A line typed at the desk; it occurs at the visit (an outpatient visit is one day, POLICY.md §7a)."""
    code = form.required("code", "收费项目").split(" ", 1)[0]
    count, price = form.positive("cnt", "数量"), form.positive("pric", "单价")
    # the line amount by the same rule upload_fees checks it with (round_money, POLICY.md §7a)
    return fees.FeeIn(f"W{serial:04d}", visit.begntime, code, count, price, round_money(count * price))


@router.post("/visits/{mdtrt_id}/fees", response_class=HTMLResponse)
async def add_fee(request: Request, mdtrt_id: str, session: DbSession, editions: EditionsDep,
                  d: DeskUser) -> Response:
    form = await Form.read(request)

    def act() -> Any:
        visit = visits.visit_record(session, mdtrt_id, institution=d.institution.fixmedins_code)
        serial = fees.fee_serials_used(session, visit) + 1
        return fees.upload_fees(session, editions, visit, [_fee(form, visit, serial)], msgid=None)

    if attempt(session, form, act, "code") is None:
        return visit_page(request, session, editions, d, mdtrt_id, form=form, status=400)
    return redirect(f"/desk/visits/{mdtrt_id}")


@router.post("/visits/{mdtrt_id}/fees/{feedetl_sn}/delete", response_class=HTMLResponse)
async def delete_fee(request: Request, mdtrt_id: str, feedetl_sn: str, session: DbSession, editions: EditionsDep,
                     d: DeskUser) -> Response:
    form = Form({}, {})

    def act() -> Any:
        visit = visits.visit_record(session, mdtrt_id, institution=d.institution.fixmedins_code)
        return fees.delete_fees(session, visit, [feedetl_sn])

    if attempt(session, form, act) is None:
        return visit_page(request, session, editions, d, mdtrt_id, form=form, status=400)
    return redirect(f"/desk/visits/{mdtrt_id}")


@router.post("/visits/{mdtrt_id}/presettle", response_class=HTMLResponse)
async def presettle(request: Request, mdtrt_id: str, session: DbSession, editions: EditionsDep,
                    d: DeskUser) -> Response:
    """预结算: the split as it would be now; nothing is written (a savepoint rolled back in any case)."""
    form = await Form.read(request)
    preview = None
    try:
        with session.begin_nested() as savepoint:
            visit = visits.visit_record(session, mdtrt_id, institution=d.institution.fixmedins_code)
            audit_at_counter(session, visit, d.institution, record=False)
            preview = settling.presettle(session, editions, visit, use_accounts=_uses_accounts(form))
            savepoint.rollback()
    except DomainError as exc:
        form.fail(exc)
    return visit_page(request, session, editions, d, mdtrt_id, form=form, status=400 if form.errors else 200,
                      preview=preview, use_accounts=_uses_accounts(form))


@router.post("/visits/{mdtrt_id}/settle", response_class=HTMLResponse)
async def settle(request: Request, mdtrt_id: str, session: DbSession, editions: EditionsDep, d: DeskUser) -> Response:
    """结算 with the total the cashier saw pre-settled: if the lines changed since, it is refused."""
    form = await Form.read(request)

    def act() -> Any:
        visit = visits.visit_record(session, mdtrt_id, institution=d.institution.fixmedins_code)
        expected = form.amount("medfee_sumamt", "医疗费总额") if form.get("medfee_sumamt") else None
        received = form.amount("tendered", "实收现金") if form.get("tendered") else None
        audit_at_counter(session, visit, d.institution, record=True)
        row = settling.settle_visit(session, editions, visit, expected_total=expected, msgid=None,
                                    actor=f"{d.institution.fixmedins_code}:{d.opter}",
                                    use_accounts=_uses_accounts(form))
        if received is not None and received < row.psn_cash_pay:  # refused: the savepoint takes the settlement back
            raise InvalidInput(f"实收现金 {received} 元少于应收 {row.psn_cash_pay} 元，请核对后重新结算",
                               field="tendered")
        return row

    if attempt(session, form, act) is None:
        return visit_page(request, session, editions, d, mdtrt_id, form=form, status=400,
                          use_accounts=_uses_accounts(form))
    tendered = form.get("tendered")
    return redirect(f"/desk/visits/{mdtrt_id}" + (f"?{urlencode({'tendered': tendered})}" if tendered else ""))


@router.post("/settlements/{setl_id}/cancel", response_class=HTMLResponse)
async def cancel(request: Request, setl_id: str, session: DbSession, editions: EditionsDep, d: DeskUser) -> Response:
    form = await Form.read(request)
    code = d.institution.fixmedins_code
    row = attempt(session, form, lambda: settling.cancel_settlement(
        session, setl_id, institution=code, msgid=None, actor=f"{code}:{d.opter}",
        reason=form.required("reason", "撤销原因")), "reason")
    original = settling.get_settlement(session, setl_id, institution=code)
    if row is None:
        return visit_page(request, session, editions, d, original.mdtrt_id or "", form=form, status=400)
    return redirect(f"/desk/visits/{original.mdtrt_id}")


@router.get("/settlements/{setl_id}/receipt", response_class=HTMLResponse)
def receipt(setl_id: str, request: Request, session: DbSession, d: DeskUser) -> Response:
    return receipt_response(request, session, build_receipt(session, setl_id, institution=d.institution.fixmedins_code),
                            back="/desk")


@router.get("/settlements/{setl_id}/receipt.pdf")
def receipt_file(setl_id: str, request: Request, session: DbSession, d: DeskUser) -> Response:
    return receipt_response(request, session, build_receipt(session, setl_id, institution=d.institution.fixmedins_code),
                            pdf=True)


@router.get("/day", response_class=HTMLResponse)
def day_page(request: Request, session: DbSession, d: DeskUser, day: str = "") -> Response:
    """今日结算与日结: the day's settlements and cancellations at this institution, each to reprint, and the day's
    totals by fund with the cash the till should hold."""
    form = Form({"day": day} if day else {}, {})
    when = form.date_or("day", "日期", now().date())
    code = d.institution.fixmedins_code
    rows, total = find_settlements(session, SettlementQuery(fixmedins_code=code, settled_on=when), limit=EXPORT_LIMIT)
    saw(request, session, Action.VIEW, sorted({r.psn_no for r in rows}), "机构日结")
    return page(request, "desk/day.html", status=400 if form.errors else 200, desk=d, form=form, day=when,
                rows=rows, total=total, totals=day_totals(session, fixmedins_code=code, day=when),
                kinds=SETTLEMENT_KIND_LABELS, med_types=MED_TYPE_LABELS)


DAY_HEADER = ("结算编号", "结算时间", "姓名", "人员编号", "类别", "医疗费总额", "统筹基金", "大病保险", "医疗救助",
              "家庭账户", "个人现金")


@router.get("/day.xlsx")
def day_xlsx(request: Request, session: DbSession, d: DeskUser, day: str = "") -> Response:
    form = Form({"day": day} if day else {}, {})
    when = form.date_or("day", "日期", now().date())
    if form.errors:
        raise InvalidInput(form.errors["day"], field="day")
    code = d.institution.fixmedins_code
    rows, _ = find_settlements(session, SettlementQuery(fixmedins_code=code, settled_on=when), limit=EXPORT_LIMIT)
    saw(request, session, Action.EXPORT, sorted({r.psn_no for r in rows}), "机构日结")
    t = day_totals(session, fixmedins_code=code, day=when)
    body = [(r.setl_id, r.setl_time.strftime("%Y-%m-%d %H:%M:%S"), r.psn_name, r.psn_no,
             SETTLEMENT_KIND_LABELS.get(r.kind, r.kind), r.medfee_sumamt, r.hifp_pay, r.hifmi_pay, r.maf_pay,
             r.acct_pay, r.psn_cash_pay) for r in rows]
    body.append(("合计", f"结算 {t.settlements} 笔，撤销 {t.cancellations} 笔", "", "", "", t.sums["medfee_sumamt"],
                 t.sums["hifp_pay"], t.sums["hifmi_pay"], t.sums["maf_pay"],
                 t.sums["acct_pay"] + t.sums["acct_mulaid_pay"], t.cash))
    return xlsx_response(f"日结-{code}-{when}.xlsx", "日结", DAY_HEADER, body)


@router.get("/catalogue", response_class=HTMLResponse)
def catalogue(request: Request, session: DbSession, d: DeskUser, code: str = "") -> Response:
    """Options for the item picker (htmx sends the field as the cashier types: a code or part of a name)."""
    return page(request, "desk/_catalogue.html", items=institutions.find_catalogue(session, code.split(" ", 1)[0]))

