"""The transactions yibao serves (INTERFACE.md), each a small handler: read the fields, call the service,
format the output. A writing handler also returns the typed record of what reversal (2601) must undo.

`TRANSACTIONS` is the registry: one `Transaction` per infno, saying its name, whether it writes, and whether it
is made only of repository statements (so that on SQLite it may run without a Session, `statements.DriverUnit`).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from yibao.access import throttle
from yibao.accounts.payments import holdings
from yibao.adapters.gateway.auth import Seen, check_sign_in
from yibao.adapters.gateway.envelope import Fields, GatewayInputError, money_out
from yibao.adapters.gateway.signins import forget_sign_in
from yibao.adapters.gateway.undo import (
    CancelSettlement,
    ReinstateSettlement,
    RestoreDischarge,
    RestoreFees,
    RestoreVisitInfo,
    RestoreVisitStatus,
    Reverser,
    RevokeCrossRegionFiling,
    RevokeFiling,
    Undo,
    undo_from_json,
)
from yibao.audit.realtime import enforce as audit_at_counter
from yibao.credential.rules import PARAMETERS
from yibao.credential.service import token_holder
from yibao.enrollment.service import enrollments_of
from yibao.errors import Conflict, NotFound, Refused, Unauthorized
from yibao.filings.service import file_cross_region, file_special_disease
from yibao.glossary import (
    ACCUMULATOR_LABELS,
    CERT_TYPE_LABELS,
    CHRGITM_LV,
    E_CREDENTIAL,
    FUNDS,
    ID_CARD,
    INSUTYPE,
    MATERNITY_MED_TYPES,
    MedType,
    charge_item_type,
)
from yibao.institutions.models import InstitutionRecord
from yibao.institutions.service import institution_record
from yibao.kit.clock import now
from yibao.kit.dates import age_on
from yibao.people.cards import card_holder
from yibao.people.models import PersonRecord
from yibao.people.service import certificates_of, get_person, person_by_certno, person_record
from yibao.policy.editions import Editions
from yibao.settlement.fees import FeeIn, batches_of, delete_fees, lines_of_batch, upload_fees
from yibao.settlement.models import (
    FeeDetail,
    FeeStatus,
    GatewayMessage,
    GatewaySignIn,
    SettlementRecord,
    Visit,
    VisitRecord,
    VisitStatus,
)
from yibao.settlement.settle import (
    SETLINFO_MONEY,
    cancel_settlement,
    get_settlement,
    institution_totals,
    presettle_priced,
    read_accumulators,
    settle_priced,
)
from yibao.settlement.standing import check_direct
from yibao.settlement.visits import (
    cancel_visit,
    change_visit_info,
    discharge_visit,
    is_inpatient,
    open_visit,
    present_credential,
    undo_discharge,
    visit_record,
)
from yibao.statements import Db, orm_session


@dataclass(frozen=True, slots=True)
class SignInProof:
    """What 9001 needs to judge the sign-in: the scheme gateway headers already proved (None: none), and the
    envelope's signtype and inf_time for a cainfo signature (adapters/gateway/auth.py)."""

    headers: str | None
    signtype: str | None
    inf_time: str | None
    seen: Seen
    address: str = ""  # the caller's (the throttle of wrong secrets keys on it)


@dataclass
class Context:
    session: Db  # a Session, or for repository-only transactions on SQLite a DriverUnit
    editions: Editions
    institution: InstitutionRecord
    msgid: str
    infno: str
    input: Fields
    opter: str
    cainfo: str | None
    admdvs: str
    proof: SignInProof
    dev_no: str | None = None  # the envelope's terminal number, when the HIS sends one (audit rule ND03)
    viewed: list[str] = field(default_factory=list)  # psn_no of persons whose data the answer shows (the trail)

    @property
    def actor(self) -> str:
        return f"{self.institution.fixmedins_code}:{self.opter}"

    @property
    def orm(self) -> Session:
        """The Session of a transaction that uses the ORM (every one not marked `repository_only`)."""
        return orm_session(self.session)


Handler = Callable[[Context], tuple[Any, Undo | None]]


@dataclass(frozen=True, slots=True)
class Transaction:
    infno: str
    name: str
    writes: bool
    handler: Handler
    repository_only: bool  # only repository statements: on SQLite it may run without a Session (DriverUnit)

    @property
    def takes_writer(self) -> bool:
        """Writes, or signs in or out (9001/9002 record it): needs the database's writer."""
        return self.writes or self.infno in ("9001", "9002")

    @property
    def slow(self) -> bool:
        """May check a password (9001's plain secret, scrypt): run in a thread, not in the event loop."""
        return self.infno == "9001"


TRANSACTIONS: dict[str, Transaction] = {}


def transaction(infno: str, name: str, *, writes: bool, repository_only: bool = False) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        TRANSACTIONS[infno] = Transaction(infno, name, writes, handler, repository_only)
        return handler

    return register


CERT_TYPES = tuple(CERT_TYPE_LABELS)


def check_insutype(data: Fields) -> None:
    """The insurance a call names, if it names one, is the residents' (390)."""
    if (data.text("insutype", required=False, max_len=6) or INSUTYPE) != INSUTYPE:
        raise GatewayInputError("险种 insutype 应为 390（城乡居民基本医疗保险）", field=f"{data.path}.insutype")
CVLSERV_FLAG = "0"  # 公务员标志: residents' insurance has no civil-servant subsidy
NO_CEILING = Decimal("999999")  # pric_uplmt_amt of an item without a price ceiling, as the platform sends it


# ---------------------------------------------------------------------------------------------------
# 9001 sign-in, 1101 person information


GATEWAY_DOOR = "gateway"  # the sign-in throttle's name for 9001 with the plain secret


@transaction("9001", "签到", writes=False)
def sign_in(ctx: Context) -> tuple[Any, None]:
    node = ctx.input.child("signIn")
    opter_no = node.req("opter_no", max_len=30)
    moment = now()
    if ctx.proof.headers is None:
        throttle.check(ctx.orm, GATEWAY_DOOR, ctx.institution.fixmedins_code, ctx.proof.address)
        check_sign_in(ctx.institution, cainfo=ctx.cainfo, signtype=ctx.proof.signtype, msgid=ctx.msgid,
                      infno=ctx.infno, inf_time=ctx.proof.inf_time, moment=moment,
                      seen=ctx.proof.seen.on(ctx.session))
    sign_no = f"{moment:%Y%m%d%H%M%S}{secrets.token_hex(8)}"
    ctx.orm.add(
        GatewaySignIn(
            sign_no=sign_no,
            fixmedins_code=ctx.institution.fixmedins_code,
            opter_no=opter_no,
            sign_time=moment,
            expires_at=dt.datetime.combine(moment.date(), dt.time.max),
        )
    )
    return {"signinoutb": {"sign_time": moment.strftime("%Y-%m-%d %H:%M:%S"), "sign_no": sign_no}}, None


@transaction("9002", "签退", writes=False)
def sign_out(ctx: Context) -> tuple[Any, None]:
    node = ctx.input.child("signOut")
    sign_no, opter_no = node.req("sign_no", max_len=30), node.req("opter_no", max_len=30)
    row = ctx.orm.get(GatewaySignIn, sign_no)
    moment = now()
    if row is None or row.fixmedins_code != ctx.institution.fixmedins_code or row.expires_at < moment:
        raise Unauthorized("签退失败：sign_no 不是本机构有效的签到编号", field="input.signOut.sign_no")
    if row.opter_no != opter_no:
        raise GatewayInputError(f"签退失败：sign_no 是操作员 {row.opter_no} 的签到", field="input.signOut.opter_no")
    row.expires_at = moment
    forget_sign_in(sign_no)
    return {"signoutoutb": {"sign_time": moment.strftime("%Y-%m-%d %H:%M:%S")}}, None


def find_person(session: Db, data: Fields, fixmedins_code: str) -> PersonRecord:
    cert_type = data.req("mdtrt_cert_type", choices=CERT_TYPES)
    if cert_type == E_CREDENTIAL:  # the ecToken the institution got from decoding the person's code (ec.query)
        token = token_holder(session, data.req("mdtrt_cert_no", max_len=64), fixmedins_code=fixmedins_code,
                             params=PARAMETERS)
        person = person_record(session, token.psn_no)
    elif cert_type == ID_CARD:
        person = person_by_certno(session, data.req("mdtrt_cert_no", max_len=18))
    else:  # 03: the card read at the counter, its number and chip identifier (the card register)
        person = card_holder(session, card_no=data.req("mdtrt_cert_no", max_len=20),
                             card_sn=data.req("card_sn", max_len=32))
    name = data.text("psn_name", required=False)
    if name is not None and name != person.name:
        raise GatewayInputError("input.data.psn_name 与参保人姓名不一致", field="input.data.psn_name")
    return person


def person_base(person: PersonRecord, day: dt.date) -> dict[str, Any]:
    return {
        "psn_no": person.psn_no,
        "psn_cert_type": "01",
        "certno": person.certno,
        "psn_name": person.name,
        "gend": person.sex,
        "naty": "01",
        "brdy": person.birth_date.isoformat(),
        "age": age_on(person.birth_date, day),
    }


@transaction("1101", "人员信息获取", writes=False, repository_only=True)
def person_info(ctx: Context) -> tuple[Any, None]:
    person = find_person(ctx.session, ctx.input.child("data"), ctx.institution.fixmedins_code)
    ctx.viewed.append(person.psn_no)
    today = now().date()
    insuinfo = []
    balc = money_out(holdings(ctx.session, person.psn_no, lock=False).usable)  # POLICY.md §11
    for enrollment in enrollments_of(ctx.session, person.psn_no):
        if enrollment.status == "cancelled":
            continue
        edition = ctx.editions.get(enrollment.edition)
        insuinfo.append(
            {
                "balc": balc,
                "insutype": INSUTYPE,
                "psn_type": edition.categories[enrollment.category].psn_type,
                "psn_insu_stas": "1" if enrollment.status == "active" else "0",
                "psn_insu_date": enrollment.benefit_start.isoformat(),
                "paus_insu_date": enrollment.benefit_end.isoformat(),
                "cvlserv_flag": CVLSERV_FLAG,
                "insuplc_admdvs": ctx.admdvs,
                "year": enrollment.year,
            }
        )
    certificates = certificates_of(ctx.session, person.psn_no)
    idetinfo = [
        {
            "psn_idet_type": c.kind,
            "begntime": f"{c.valid_from} 00:00:00",  # 日期时间型 in the spec
            "endtime": f"{c.valid_to} 23:59:59" if c.valid_to else None,
        }
        for c in certificates
        if c.valid_to is None or c.valid_to >= today
    ]
    return {"baseinfo": person_base(person, today), "insuinfo": insuinfo, "idetinfo": idetinfo}, None


# ---------------------------------------------------------------------------------------------------
# Visits: 2201/2202 outpatient, 2401/2402/2404/2405 inpatient, 2203 visit information


def own_visit(ctx: Context, data: Fields) -> VisitRecord:
    """The institution's own visit named by the input."""
    return visit_record(
        ctx.session,
        data.req("mdtrt_id", max_len=30),
        institution=ctx.institution.fixmedins_code,
        psn_no=data.req("psn_no", max_len=20),
    )


def _open(ctx: Context, data: Fields, med_type: str, number_key: str) -> VisitRecord:
    psn_no = data.req("psn_no", max_len=20)
    check_insutype(data)
    return open_visit(
        ctx.session,
        ctx.editions,
        institution=ctx.institution,
        psn_no=psn_no,
        med_type=med_type,
        begntime=data.req_time("begntime"),
        cert_type=data.req("mdtrt_cert_type", choices=CERT_TYPES),
        cert_no=data.text("mdtrt_cert_no", required=False, max_len=64),
        ipt_otp_no=data.text(number_key, required=False, column=Visit.ipt_otp_no),
        atddr_no=data.text("atddr_no", required=False, column=Visit.atddr_no),
        dr_name=data.text("dr_name", required=False, column=Visit.dr_name),
        dept_code=(data.text("dept_code", required=False, column=Visit.dept_code)
                   or data.text("adm_dept_codg", required=False, column=Visit.dept_code)),
        dept_name=(data.text("dept_name", required=False, column=Visit.dept_name)
                   or data.text("adm_dept_name", required=False, column=Visit.dept_name)),
        dise_codg=data.text("dise_codg", required=False, column=Visit.dise_codg),
        dise_name=data.text("dise_name", required=False, column=Visit.dise_name),
    )


@transaction("2201", "门诊挂号", writes=True, repository_only=True)
def outpatient_register(ctx: Context) -> tuple[Any, Undo]:
    data = ctx.input.child("data")
    med_type = MedType.PHARMACY if ctx.institution.kind == "pharmacy" else MedType.OUTPATIENT
    visit = _open(ctx, data, med_type, "ipt_otp_no")
    return ({"data": {"mdtrt_id": visit.mdtrt_id, "psn_no": visit.psn_no, "ipt_otp_no": visit.ipt_otp_no}},
            RestoreVisitStatus(visit.mdtrt_id, VisitStatus.CANCELLED))


@transaction("2401", "入院办理", writes=True)
def admission(ctx: Context) -> tuple[Any, Undo]:
    data = ctx.input.child("mdtrtinfo")
    med_type = data.text("med_type", required=False) or MedType.INPATIENT
    check_direct(med_type, ctx.editions.on(data.req_time("begntime").date()))  # 52 生育住院: the subsidy is claimed
    if med_type != MedType.INPATIENT:
        raise GatewayInputError("入院办理的医疗类别 med_type 应为 21（普通住院）", field="input.mdtrtinfo.med_type")
    visit = _open(ctx, data, MedType.INPATIENT, "ipt_no")
    answer = {"mdtrt_id": visit.mdtrt_id, "psn_no": visit.psn_no, "ipt_no": visit.ipt_otp_no}
    return ({"result": answer, "data": answer},  # the spec's node is result; data as yibao answered before
            RestoreVisitStatus(visit.mdtrt_id, VisitStatus.CANCELLED))


def _cancel_visit(ctx: Context, data: Fields, inpatient: bool) -> tuple[Any, Undo]:
    visit = own_visit(ctx, data)
    if is_inpatient(visit) != inpatient:
        raise GatewayInputError(
            f"就诊 {visit.mdtrt_id} 不是{'住院' if inpatient else '门诊'}就诊", field="input.data.mdtrt_id"
        )
    previous = cancel_visit(ctx.session, visit)
    return {}, RestoreVisitStatus(visit.mdtrt_id, previous)


@transaction("2202", "门诊挂号撤销", writes=True)
def outpatient_unregister(ctx: Context) -> tuple[Any, Undo]:
    return _cancel_visit(ctx, ctx.input.child("data"), inpatient=False)


@transaction("2404", "入院撤销", writes=True)
def admission_cancel(ctx: Context) -> tuple[Any, Undo]:
    return _cancel_visit(ctx, ctx.input.child("data"), inpatient=True)


@transaction("2203", "门诊就诊信息上传", writes=True)
def outpatient_info(ctx: Context) -> tuple[Any, Undo]:
    info = ctx.input.child("mdtrtinfo")
    visit = own_visit(ctx, info)
    undo = RestoreVisitInfo(visit.mdtrt_id, visit.med_type, visit.dise_codg, visit.dise_name)
    change_visit_info(ctx.session, ctx.editions, visit,
                      med_type=info.req("med_type", choices=("11", "12", "13", "14", "41", *MATERNITY_MED_TYPES)),
                      dise_codg=info.text("dise_codg", required=False),
                      dise_name=info.text("dise_name", required=False))
    return {}, undo


@transaction("2402", "出院办理", writes=True)
def discharge(ctx: Context) -> tuple[Any, Undo]:
    info = ctx.input.child("dscginfo")
    visit = own_visit(ctx, info)
    discharge_visit(ctx.session, visit, info.req_time("endtime"), dscg_way=info.text("dscg_way", required=False))
    return {}, RestoreDischarge(visit.mdtrt_id, None)


@transaction("2405", "出院撤销", writes=True)
def discharge_cancel(ctx: Context) -> tuple[Any, Undo]:
    was = undo_discharge(ctx.session, own_visit(ctx, ctx.input.child("data")))
    return {}, RestoreDischarge(was.mdtrt_id, was.endtime.isoformat() if was.endtime else None)


# ---------------------------------------------------------------------------------------------------
# Fee lines: 2204/2205 outpatient, 2301/2302 inpatient


def _upload(ctx: Context, inpatient: bool) -> tuple[Any, Undo]:
    items = ctx.input.items("feedetail")
    ids = {(item.req("mdtrt_id", max_len=30), item.req("psn_no", max_len=20)) for item in items}
    if len(ids) != 1:
        raise GatewayInputError("一次上传的费用明细须属于同一就诊", field="input.feedetail")
    mdtrt_id, psn_no = ids.pop()
    visit = visit_record(ctx.session, mdtrt_id, institution=ctx.institution.fixmedins_code, psn_no=psn_no)
    if is_inpatient(visit) != inpatient:
        raise GatewayInputError(
            f"就诊 {mdtrt_id} 应使用{'2301' if is_inpatient(visit) else '2204'}上传费用", field="input.feedetail"
        )
    fees = [
        FeeIn(
            feedetl_sn=item.req("feedetl_sn", max_len=30),
            fee_ocur_time=item.req_time("fee_ocur_time"),
            med_list_codg=item.req("med_list_codg", max_len=50),
            cnt=item.req_number("cnt", places=4, signed=True),
            pric=item.req_number("pric", places=6),
            det_item_fee_sumamt=item.req_money("det_item_fee_sumamt", signed=True),
            chrg_bchno=item.text("chrg_bchno", required=False, column=FeeDetail.chrg_bchno),
            rxno=item.text("rxno", required=False, column=FeeDetail.rxno),
            medins_list_codg=item.text("medins_list_codg", required=False, column=FeeDetail.medins_list_codg),
            bilg_dr_codg=item.text("bilg_dr_codg", required=False, column=FeeDetail.bilg_dr_codg),
            bilg_dr_name=item.text("bilg_dr_name", required=False, column=FeeDetail.bilg_dr_name),
            init_feedetl_sn=item.text("init_feedetl_sn", required=False, column=FeeDetail.init_feedetl_sn),
        )
        for item in items
    ]
    rows = upload_fees(ctx.session, ctx.editions, visit, fees, msgid=ctx.msgid)
    result = [
        {
            "feedetl_sn": r.feedetl_sn,
            "det_item_fee_sumamt": money_out(r.det_item_fee_sumamt),
            "cnt": r.cnt,
            "pric": r.pric,
            "pric_uplmt_amt": r.pric_uplmt_amt if r.pric_uplmt_amt is not None else NO_CEILING,
            "selfpay_prop": r.selfpay_prop,
            "fulamt_ownpay_amt": money_out(r.fulamt_ownpay_amt),
            "overlmt_amt": money_out(r.overlmt_amt),
            "preselfpay_amt": money_out(r.preselfpay_amt),
            "inscp_scp_amt": money_out(r.inscp_scp_amt),
            "chrgitm_lv": CHRGITM_LV[r.item_class],
            "med_chrgitm_type": charge_item_type(r.med_list_codg),
            "lmt_used_flag": "0",
        }
        for r in rows
    ]
    return {"result": result}, RestoreFees(visit.psn_no, mdtrt_id, [r.feedetl_sn for r in rows], FeeStatus.DELETED)


@transaction("2204", "门诊费用明细上传", writes=True, repository_only=True)
def outpatient_fees(ctx: Context) -> tuple[Any, Undo]:
    return _upload(ctx, inpatient=False)


@transaction("2301", "住院费用明细上传", writes=True, repository_only=True)
def inpatient_fees(ctx: Context) -> tuple[Any, Undo]:
    return _upload(ctx, inpatient=True)


def _delete(ctx: Context, selector: str) -> tuple[Any, Undo]:
    visit, wanted = _lines_named(ctx, selector)
    deleted = delete_fees(ctx.session, visit, wanted)
    return {}, RestoreFees(visit.psn_no, visit.mdtrt_id, deleted, FeeStatus.ACTIVE)


def _lines_named(ctx: Context, selector: str) -> tuple[VisitRecord, list[str] | None]:
    """The visit and the serials of the lines a deletion names (None: all), from `data` as one object naming a
    line or a batch ("0000": all), or as the spec's list of lines (2302)."""
    if isinstance(ctx.input.raw("data"), list):
        items = ctx.input.items("data")
        visit = own_visit(ctx, items[0])
        chosen = []
        for item in items:
            if (item.req("mdtrt_id", max_len=30), item.req("psn_no", max_len=20)) != (visit.mdtrt_id, visit.psn_no):
                raise GatewayInputError("一次撤销的费用明细应属于同一次就诊", field=f"{item.path}.mdtrt_id")
            chosen.append(item.req(selector, max_len=30))
        return visit, None if "0000" in chosen else chosen
    data = ctx.input.child("data")
    visit = own_visit(ctx, data)
    one = data.text(selector, required=False)
    if not one or one == "0000":
        return visit, None
    if selector != "chrg_bchno":
        return visit, [one]
    batch = lines_of_batch(ctx.session, visit, one)
    if not batch:
        raise NotFound(f"收费批次 {one} 没有未结算的费用明细", field="input.data.chrg_bchno")
    return visit, batch


@transaction("2205", "门诊费用明细撤销", writes=True)
def outpatient_fees_delete(ctx: Context) -> tuple[Any, Undo]:
    return _delete(ctx, "chrg_bchno")


@transaction("2302", "住院费用明细撤销", writes=True)
def inpatient_fees_delete(ctx: Context) -> tuple[Any, Undo]:
    return _delete(ctx, "feedetl_sn")


# ---------------------------------------------------------------------------------------------------
# Settlement: 2206/2207/2208 outpatient, 2303/2304/2305 inpatient


def setlinfo(ctx: Context, row: SettlementRecord, visit: VisitRecord | None, balc: Decimal) -> dict[str, Any]:
    """The spec's setlinfo, every required field present: psn_type of the category settled, cvlserv_flag 0
    (residents are not civil servants), medins_setl_id the msgid of this call (pre-settlement too); acct_pay and
    acct_mulaid_pay what the family's accounts paid, balc what they can still pay at one settlement (POLICY.md
    §11)."""
    person = person_record(ctx.session, row.psn_no)
    denominator = row.inscp_scp_amt - row.act_pay_dedc
    pool_prop = (
        ((denominator - row.hifp_pay) / denominator).quantize(Decimal("0.0001")) if denominator else Decimal("0.0000")
    )
    info = {
        "mdtrt_id": row.mdtrt_id,
        "setl_id": row.setl_id or None,
        **person_base(person, row.service_date),
        "insutype": INSUTYPE,
        "psn_type": ctx.editions.get(row.edition).categories[row.category].psn_type,
        "cvlserv_flag": CVLSERV_FLAG,
        "setl_time": row.setl_time.strftime("%Y-%m-%d %H:%M:%S"),
        "mdtrt_cert_type": visit.mdtrt_cert_type if visit else None,
        "med_type": row.med_type,
        "pool_prop_selfpay": pool_prop,
        "cvlserv_pay": Decimal("0.00"),
        "hifes_pay": Decimal("0.00"),
        "hifob_pay": Decimal("0.00"),
        "oth_pay": Decimal("0.00"),
        "hosp_part_amt": Decimal("0.00"),
        "balc": money_out(balc),
        "medins_setl_id": row.msgid or ctx.msgid,
        "clr_optins": ctx.admdvs,
        "clr_way": "1",
        "clr_type": "21" if row.med_type == MedType.INPATIENT else "11",
    }
    for name in SETLINFO_MONEY:
        info[name] = money_out(getattr(row, name))
    return info


def setldetail(row: SettlementRecord) -> list[dict[str, Any]]:
    """One line per fund, with setl_proc_info explaining how the trace computed it."""
    steps = {step["stage"]: step for step in json.loads(row.trace)}
    detail = []
    for fund in FUNDS:
        explained = "；".join(steps[stage]["explanation"] for stage in fund.stages if stage in steps)
        paid = money_out(getattr(row, fund.amount_field))
        # crt_payb_lmt_amt (本次可支付限额, required): ASSUMPTION — what the fund's bands and caps let it pay this
        # time, which is what it paid (the chain pays up to the limit); the spec gives no formula
        detail.append({"fund_pay_type": fund.code, "inscp_scp_amt": money_out(row.inscp_scp_amt),
                       "crt_payb_lmt_amt": paid, "fund_payamt": paid,
                       "fund_pay_type_name": fund.name, "setl_proc_info": explained or "本次不适用"})
    return detail


def _settle_input(ctx: Context, *, record_credential: bool) -> tuple[Fields, VisitRecord]:
    data = ctx.input.child("data")
    visit = present_credential(ctx.session, own_visit(ctx, data),
                               data.text("mdtrt_cert_type", required=False, choices=CERT_TYPES),
                               data.text("mdtrt_cert_no", required=False, max_len=64), record=record_credential)
    med_type = data.text("med_type", required=False)
    if med_type is not None and med_type != visit.med_type:
        raise GatewayInputError(
            f"med_type {med_type} 与就诊登记的 {visit.med_type} 不一致", field="input.data.med_type"
        )
    if data.text("mid_setl_flag", required=False) not in (None, "0"):
        raise Refused("暂不支持中途结算（mid_setl_flag=1），请出院后结算", field="input.data.mid_setl_flag")
    check_settlement_codes(ctx, data, visit)
    return data, visit


def check_settlement_codes(ctx: Context, data: Fields, visit: VisitRecord) -> None:
    """What a settlement call names besides the visit, checked against the code tables and the visit (issue 18
    item 4): insutype 390; psn_setlway 01 (按项目; 02 按定额 is not how Fenghua settles residents); acct_used_flag
    0/1 (`uses_accounts`); chrg_bchno a batch of the visit's unsettled lines ("0000": all)."""
    check_insutype(data)
    if data.text("psn_setlway", required=False, choices=("01", "02")) == "02":
        raise Refused("本统筹区城乡居民医保按项目结算：psn_setlway 应为 01", field="input.data.psn_setlway")
    uses_accounts(data)
    batch = data.text("chrg_bchno", required=False, max_len=30)
    batches = batches_of(ctx.session, visit) if batch and batch != "0000" else set()
    if batches and batch not in batches:  # (no lines at all is the settlement's own refusal)
        raise GatewayInputError(f"收费批次 chrg_bchno {batch} 没有本次就诊未结算的费用明细",
                                field="input.data.chrg_bchno")


def uses_accounts(data: Fields) -> bool:
    """acct_used_flag: 1 (or absent, as the spec requires it and HIS clients send 1 by default) lets the family's
    accounts pay the personal share; 0 has the person pay it all in cash (POLICY.md §11)."""
    return data.text("acct_used_flag", required=False, choices=("0", "1")) != "0"


def _check_echo(data: Fields, row: SettlementRecord) -> None:
    """Amounts the HIS sends must add up with the stored lines (2207 echoes the pre-settlement's split)."""
    for name in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt"):
        sent = data.money(name, required=False)
        if sent is not None and sent != getattr(row, name):
            raise GatewayInputError(
                f"input.data.{name} {sent} 与费用明细计算的 {getattr(row, name)} 不符", field=f"input.data.{name}"
            )


def _presettle(ctx: Context) -> tuple[Any, None]:
    data, visit = _settle_input(ctx, record_credential=False)
    audit_at_counter(ctx.session, visit, ctx.institution, record=False, dev_no=ctx.dev_no)
    row, balc = presettle_priced(ctx.session, ctx.editions, visit, institution=ctx.institution,
                                 use_accounts=uses_accounts(data))
    sent = data.money("medfee_sumamt", required=False)
    if sent is not None and sent != row.medfee_sumamt:
        raise GatewayInputError(
            f"input.data.medfee_sumamt {sent} 与费用明细合计 {row.medfee_sumamt} 不符", field="input.data.medfee_sumamt"
        )
    return {"setlinfo": setlinfo(ctx, row, visit, balc), "setldetail": setldetail(row)}, None


def _settle(ctx: Context) -> tuple[Any, Undo]:
    data, visit = _settle_input(ctx, record_credential=True)
    audit_at_counter(ctx.session, visit, ctx.institution, record=True, dev_no=ctx.dev_no)
    row, balc = settle_priced(ctx.session, ctx.editions, visit, expected_total=data.money("medfee_sumamt"),
                              msgid=ctx.msgid, actor=ctx.actor, institution=ctx.institution,
                              use_accounts=uses_accounts(data), dev_no=ctx.dev_no)
    _check_echo(data, row)
    return ({"setlinfo": setlinfo(ctx, row, visit, balc), "setldetail": setldetail(row)},
            CancelSettlement(row.setl_id))


def _cancel(ctx: Context) -> tuple[Any, Undo]:
    data = ctx.input.child("data")
    visit = own_visit(ctx, data)
    setl_id = data.req("setl_id", max_len=30)
    original = get_settlement(ctx.session, setl_id, institution=ctx.institution.fixmedins_code)
    if original.mdtrt_id != visit.mdtrt_id:
        raise GatewayInputError(f"结算 {setl_id} 不属于就诊 {visit.mdtrt_id}", field="input.data.setl_id")
    row = cancel_settlement(ctx.session, setl_id, institution=ctx.institution.fixmedins_code, msgid=ctx.msgid,
                            actor=ctx.actor)
    balc = holdings(ctx.session, row.psn_no, lock=False).usable
    return ({"setlinfo": setlinfo(ctx, row, visit, balc), "setldetail": setldetail(row)},
            ReinstateSettlement(setl_id))


for _infno, _name, _handler, _writes in (
    ("2206", "门诊预结算", _presettle, False),
    ("2207", "门诊结算", _settle, True),
    ("2208", "门诊结算撤销", _cancel, True),
    ("2303", "住院预结算", _presettle, False),
    ("2304", "住院结算", _settle, True),
    ("2305", "住院结算撤销", _cancel, True),
):
    transaction(_infno, _name, writes=_writes, repository_only=_infno not in ("2208", "2305"))(_handler)


# ---------------------------------------------------------------------------------------------------
# 2503 special-disease filing, 5206 accumulated amounts, 3201 reconciliation


@transaction("2503", "人员慢特病备案", writes=True)
def special_disease_filing(ctx: Context) -> tuple[Any, Undo]:
    data = ctx.input.child("data")
    filing = file_special_disease(
        ctx.orm,
        psn_no=data.req("psn_no", max_len=20),
        disease_code=data.req("opsp_dise_code", max_len=30),
        disease_name=data.req("opsp_dise_name", max_len=100),
        fixmedins_code=data.text("ide_fixmedins_no", required=False) or ctx.institution.fixmedins_code,
        begndate=data.req_date("begndate"),
        enddate=data.date("enddate", required=False),
        diag_dr_code=data.text("diag_dr_codg", required=False),
    )
    return {"result": {"trt_dcla_detl_sn": filing.id}}, RevokeFiling(filing.psn_no, filing.id)


@transaction("2501", "转院备案", writes=True)
def referral_filing(ctx: Context) -> tuple[Any, Undo]:
    """A referral to an institution elsewhere (异地转诊): a cross-region filing with reason referral for the
    place of the institution referred to, valid from begndate (the filing that care there needs, POLICY.md §9)."""
    data = ctx.input.child("refmedin")
    data.req("diag_code" if data.raw("diag_code") else "dise_codg", max_len=30)  # the diagnosis referred for
    target_code = data.req("reflin_medins_no", max_len=20)
    target = institution_record(ctx.session, target_code)
    place = target.name if target else data.req("reflin_medins_name", max_len=100)
    filing = file_cross_region(ctx.orm, psn_no=data.req("psn_no", max_len=20), reason="referral", place=place,
                               begndate=data.req_date("begndate"), enddate=data.date("enddate", required=False),
                               admdvs=target.admdvs if target else data.text("mdtrtarea_admdvs", required=False,
                                                                             max_len=6))
    return {"result": {"trt_dcla_detl_sn": filing.id}}, RevokeCrossRegionFiling(filing.psn_no, filing.id)


@transaction("5206", "人员累计信息查询", writes=False)
def accumulated(ctx: Context) -> tuple[Any, None]:
    data = ctx.input.child("data")
    psn_no = data.req("psn_no", max_len=20)
    get_person(ctx.orm, psn_no)
    ctx.viewed.append(psn_no)
    month = data.text("cum_ym", required=False, max_len=6)
    if month is not None and not (len(month) == 6 and month.isdigit() and 1 <= int(month[4:]) <= 12):
        raise GatewayInputError("input.data.cum_ym 应为 yyyyMM", field="input.data.cum_ym")
    today = now().date()
    year = int(month[:4]) if month else today.year
    cum_ym = month or (f"{today:%Y%m}" if year == today.year else f"{year}12")
    totals = read_accumulators(ctx.session, psn_no, year).as_dict()
    return {
        "cuminfo": [
            {
                "insutype": INSUTYPE,
                "year": str(year),
                "cum_ym": cum_ym,
                "cum_type_code": code,
                "cum_type_name": ACCUMULATOR_LABELS[code],
                "cum": money_out(value),
            }
            for code, value in totals.items()
        ]
    }, None


@transaction("3201", "医药机构费用结算对总账", writes=False)
def reconcile(ctx: Context) -> tuple[Any, None]:
    data = ctx.input.child("data")
    begin, end = data.req_date("stmt_begndate"), data.req_date("stmt_enddate")
    count, medfee, fund, acct = institution_totals(ctx.orm, ctx.institution.fixmedins_code, begin, end)
    theirs = (
        int(data.number("fixmedins_setl_cnt", places=0) or 0),
        data.money("medfee_sumamt"),
        data.money("fund_pay_sumamt"),
        data.money("acct_pay"),
    )
    ours = (count, medfee, fund, acct)
    matched = theirs == ours
    detail = (
        "对账一致"
        if matched
        else (
            f"对账不平：中心 {count} 笔、医疗费 {medfee}、基金 {fund}、个账 {acct}；"
            f"机构 {theirs[0]} 笔、医疗费 {theirs[1]}、基金 {theirs[2]}、个账 {theirs[3]}"
        )
    )
    return {
        "stmtinfo": {"setl_optins": ctx.admdvs, "stmt_rslt": "0" if matched else "1", "stmt_rslt_dscr": detail}
    }, None


# ---------------------------------------------------------------------------------------------------
# 2601 reversal: undo what a message did, once


@transaction("2601", "冲正交易", writes=True)
def reversal(ctx: Context) -> tuple[Any, None]:
    data = ctx.input.child("data")
    omsgid, oinfno = data.req("omsgid", max_len=40), data.req("oinfno", max_len=4)
    psn_no = data.req("psn_no", max_len=20)
    original = ctx.orm.get(GatewayMessage, omsgid)
    if original is None or original.fixmedins_code != ctx.institution.fixmedins_code:
        return {"result": {"omsgid": omsgid, "rslt": "原交易未生效，无需冲正"}}, None
    if original.infno != oinfno:
        raise GatewayInputError(
            f"原交易 {omsgid} 的交易编号是 {original.infno}，不是 {oinfno}", field="input.data.oinfno"
        )
    if original.reversed_by is not None:
        raise Conflict(f"原交易 {omsgid} 已由 {original.reversed_by} 冲正", field="input.data.omsgid")
    if original.infno == "2601":
        raise Refused("冲正交易本身不能再冲正", field="input.data.oinfno")
    undo = undo_from_json(original.undo)
    if undo is not None:
        undo.apply(Reverser(ctx.session, ctx.editions, ctx.institution.fixmedins_code, psn_no, ctx.msgid, ctx.actor))
        ctx.orm.flush()
    original.reversed_by = ctx.msgid
    return {"result": {"omsgid": omsgid, "rslt": "冲正成功"}}, None
