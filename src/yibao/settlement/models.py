"""Settlement tables. Settlements and journal entries are never updated in amount or deleted: a
cancellation is a new settlement row with negated amounts and a new, reversing journal entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import ForeignKey, Index, LargeBinary, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from yibao.access.trail import trailed
from yibao.db import Base, Sealed, SealedText


class VisitStatus(StrEnum):
    """A visit's life: open → (inpatient: discharged →) settled; a settlement's cancellation opens it again;
    a visit without fee lines can be cancelled."""

    OPEN = "open"
    DISCHARGED = "discharged"
    SETTLED = "settled"
    CANCELLED = "cancelled"


class FeeStatus(StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"


class SettlementKind(StrEnum):
    SETTLE = "settle"  # a hospital's or pharmacy's settlement (or its reinstatement)
    CANCEL = "cancel"  # the negated copy that cancels one
    MANUAL = "manual"  # 零星报销, paid to the person


class SettlementStatus(StrEnum):
    VALID = "valid"
    CANCELLED = "cancelled"  # a cancel row is always valid


class Visit(Base):
    """就诊 (mdtrt_id): an outpatient visit or an inpatient stay at one institution."""

    __tablename__ = "visits"

    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), primary_key=True)
    mdtrt_id: Mapped[str] = mapped_column(String(30), primary_key=True)
    fixmedins_code: Mapped[str] = mapped_column(ForeignKey("institutions.fixmedins_code"))
    med_type: Mapped[str] = mapped_column(String(4))
    insutype: Mapped[str] = mapped_column(String(3))
    begntime: Mapped[dt.datetime]
    endtime: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(20))  # VisitStatus
    ipt_otp_no: Mapped[str | None] = mapped_column(String(30))
    atddr_no: Mapped[str | None] = mapped_column(String(30))
    dr_name: Mapped[str | None] = mapped_column(String(50))
    dept_code: Mapped[str | None] = mapped_column(String(30))
    dept_name: Mapped[str | None] = mapped_column(String(50))
    dise_codg: Mapped[str | None] = mapped_column(String(30))
    dise_name: Mapped[str | None] = mapped_column(String(100))
    dscg_way: Mapped[str | None] = mapped_column(String(10))
    mdtrt_cert_type: Mapped[str] = mapped_column(String(2))
    mdtrt_cert_no: Mapped[str | None] = mapped_column(Sealed("mdtrt_cert_no", 64))
    created_at: Mapped[dt.datetime]

    __table_args__ = (Index("uq_visits_mdtrt_id", "mdtrt_id", unique=True),)


class FeeDetail(Base):
    """One fee line (费用明细) with its split as the national 2204/2301 result returns it."""

    __tablename__ = "fee_details"

    psn_no: Mapped[str] = mapped_column(primary_key=True)
    mdtrt_id: Mapped[str] = mapped_column(String(30), primary_key=True)
    feedetl_sn: Mapped[str] = mapped_column(String(30), primary_key=True)
    chrg_bchno: Mapped[str | None] = mapped_column(String(30))
    rxno: Mapped[str | None] = mapped_column(String(30))
    fee_ocur_time: Mapped[dt.datetime]
    med_list_codg: Mapped[str] = mapped_column(String(50))
    medins_list_codg: Mapped[str | None] = mapped_column(String(50))
    item_name: Mapped[str] = mapped_column(String(100))
    item_class: Mapped[str] = mapped_column(String(1))
    cnt: Mapped[Decimal] = mapped_column(Numeric(16, 4))
    pric: Mapped[Decimal] = mapped_column(Numeric(16, 6))
    det_item_fee_sumamt: Mapped[Decimal]
    pric_uplmt_amt: Mapped[Decimal | None] = mapped_column(Numeric(16, 6))
    selfpay_prop: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    fulamt_ownpay_amt: Mapped[Decimal]
    overlmt_amt: Mapped[Decimal]
    preselfpay_amt: Mapped[Decimal]
    inscp_scp_amt: Mapped[Decimal]
    bilg_dr_codg: Mapped[str | None] = mapped_column(String(30))
    bilg_dr_name: Mapped[str | None] = mapped_column(String(50))
    init_feedetl_sn: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))  # FeeStatus
    setl_id: Mapped[str | None] = mapped_column(String(30))
    msgid: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime]


class Settlement(Base):
    """结算: the setlinfo amounts, what it added to the accumulators, and its trace."""

    __tablename__ = "settlements"

    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), primary_key=True)
    setl_id: Mapped[str] = mapped_column(String(30), primary_key=True)
    mdtrt_id: Mapped[str | None] = mapped_column(String(30), index=True)
    fixmedins_code: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))  # SettlementKind
    original_setl_id: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10))  # SettlementStatus
    year: Mapped[int]
    edition: Mapped[str] = mapped_column(String(10))
    benefit: Mapped[str] = mapped_column(String(20))
    med_type: Mapped[str] = mapped_column(String(4))
    level: Mapped[str] = mapped_column(String(20))
    setl_time: Mapped[dt.datetime]
    service_date: Mapped[dt.date]
    medfee_sumamt: Mapped[Decimal]
    fulamt_ownpay_amt: Mapped[Decimal]
    overlmt_selfpay: Mapped[Decimal]
    preselfpay_amt: Mapped[Decimal]
    inscp_scp_amt: Mapped[Decimal]
    act_pay_dedc: Mapped[Decimal]
    hifp_pay: Mapped[Decimal]
    hifmi_pay: Mapped[Decimal]
    maf_pay: Mapped[Decimal]
    fund_pay_sumamt: Mapped[Decimal]
    psn_part_amt: Mapped[Decimal]
    acct_pay: Mapped[Decimal]
    acct_mulaid_pay: Mapped[Decimal]
    psn_cash_pay: Mapped[Decimal]
    add_outpatient: Mapped[Decimal]
    add_inpatient: Mapped[Decimal]
    add_special_disease: Mapped[Decimal]
    add_serious_illness_burden: Mapped[Decimal]
    add_assistance_selfpay: Mapped[Decimal]
    category: Mapped[str] = mapped_column(String(20))
    assistance_class: Mapped[str | None] = mapped_column(String(30))
    trace: Mapped[str] = mapped_column(Text)  # JSON: the steps with their citations
    msgid: Mapped[str | None] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(50))
    place: Mapped[str | None] = mapped_column(String(100))  # a manual claim's hospital, as the receipts name it
    reason: Mapped[str | None] = mapped_column(String(200))  # a cancellation's, when staff give one
    # the parameter amendments the edition carried (parameters/, POLICY.md §1), comma-separated; None: the YAML's
    amendments: Mapped[str | None] = mapped_column(String(400))
    # whose mutual-aid health account paid acct_mulaid_pay (POLICY.md §11), when one did
    mulaid_psn_no: Mapped[str | None] = mapped_column(String(20))
    # the clearing statement that took it (clearing/, S18 §6); None until then: one clearing per settlement
    clearing_id: Mapped[str | None] = mapped_column(String(32))
    # the terminal it was settled at (the envelope's dev_no), when the message named one (audit rule ND03)
    dev_no: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index("uq_settlements_setl_id", "setl_id", unique=True),
        Index("uq_settlements_cancels", "original_setl_id", unique=True,
              sqlite_where=text("kind = 'cancel'"), postgresql_where=text("kind = 'cancel'")),
        Index("ix_settlements_institution_time", "fixmedins_code", "setl_time"),
        Index("ix_settlements_clearing", "clearing_id"),
    )


class Accumulator(Base):
    """A person's year-to-date totals (POLICY.md §7a step 6); locked while a settlement changes them."""

    __tablename__ = "accumulators"

    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    outpatient: Mapped[Decimal]
    inpatient: Mapped[Decimal]
    special_disease: Mapped[Decimal]
    serious_illness_burden: Mapped[Decimal]
    assistance_selfpay: Mapped[Decimal]


class GatewayMessage(Base):
    """Every write the gateway accepted, by the sender's msgid: the idempotency key and the undo record."""

    __tablename__ = "gateway_messages"

    msgid: Mapped[str] = mapped_column(String(40), primary_key=True)
    fixmedins_code: Mapped[str] = mapped_column(String(20))
    infno: Mapped[str] = mapped_column(String(4))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[str | None] = mapped_column(SealedText("gateway_response"))  # it names the ID number
    undo: Mapped[str | None] = mapped_column(Text)  # JSON: what reversal (2601) must undo
    reversed_by: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[dt.datetime]


class GatewayCall(Base):
    """The interface log (issue 18 item 6): every call of the gateway, its institution, transaction, msgid,
    outcome and time; messages masked (no ID or phone number); envelope fields yibao does not read, kept."""

    __tablename__ = "gateway_calls"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    called_at: Mapped[dt.datetime] = mapped_column(index=True)
    fixmedins_code: Mapped[str | None] = mapped_column(String(20), index=True)
    infno: Mapped[str | None] = mapped_column(String(5))
    msgid: Mapped[str | None] = mapped_column(String(64))
    psn_no: Mapped[str | None] = mapped_column(String(20))
    infcode: Mapped[int]
    err_code: Mapped[str | None] = mapped_column(String(40))
    err_msg: Mapped[str | None] = mapped_column(String(300))
    elapsed_ms: Mapped[int]
    extras: Mapped[str | None] = mapped_column(Text)  # JSON of the envelope's fields yibao does not read


class GatewayFile(Base):
    """A file of the interface's file transfer: uploaded by an institution (9101) or made for it (catalogue
    downloads 1301–1306, 3202's result); fetched with 9102 by its file_qury_no until it expires."""

    __tablename__ = "gateway_files"

    file_qury_no: Mapped[str] = mapped_column(String(40), primary_key=True)
    fixmedins_code: Mapped[str] = mapped_column(String(20), index=True)
    filename: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    made_by: Mapped[str] = mapped_column(String(5))  # the infno that made it (9101 for an upload)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]


class GatewaySignIn(Base):
    """9001 sign-in: later calls carry the sign_no; it lasts until the end of the day."""

    __tablename__ = "gateway_sign_ins"

    sign_no: Mapped[str] = mapped_column(String(40), primary_key=True)
    fixmedins_code: Mapped[str] = mapped_column(String(20), index=True)
    opter_no: Mapped[str] = mapped_column(String(30))
    sign_time: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]


class GatewayNonce(Base):
    """An x-tif nonce or a signed 9001's msgid an institution has used, within the clock-skew window
    (adapters/gateway/auth.py): shared by every server process, so a replay to another worker is refused too."""

    __tablename__ = "gateway_nonces"

    fixmedins_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(80), primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(index=True)


class VisitRecord(NamedTuple):
    """A visit as the hot path reads and writes it (frozen; changes go through the repository).

    Fields: the columns of `visits`."""
    psn_no: str
    mdtrt_id: str
    fixmedins_code: str
    med_type: str
    insutype: str
    begntime: dt.datetime
    endtime: dt.datetime | None
    status: str
    ipt_otp_no: str | None
    atddr_no: str | None
    dr_name: str | None
    dept_code: str | None
    dept_name: str | None
    dise_codg: str | None
    dise_name: str | None
    dscg_way: str | None
    mdtrt_cert_type: str
    mdtrt_cert_no: str | None
    created_at: dt.datetime


class FeeLineRecord(NamedTuple):
    """A fee line as stored, with its split.

    Fields: the columns of `fee_details`."""
    psn_no: str
    mdtrt_id: str
    feedetl_sn: str
    chrg_bchno: str | None
    rxno: str | None
    fee_ocur_time: dt.datetime
    med_list_codg: str
    medins_list_codg: str | None
    item_name: str
    item_class: str
    cnt: Decimal
    pric: Decimal
    det_item_fee_sumamt: Decimal
    pric_uplmt_amt: Decimal | None
    selfpay_prop: Decimal
    fulamt_ownpay_amt: Decimal
    overlmt_amt: Decimal
    preselfpay_amt: Decimal
    inscp_scp_amt: Decimal
    bilg_dr_codg: str | None
    bilg_dr_name: str | None
    init_feedetl_sn: str | None
    status: str
    setl_id: str | None
    msgid: str | None
    created_at: dt.datetime


class SettlementRecord(NamedTuple):
    """A settlement row as written (and as pre-settlement computes it, written nowhere).

    Fields: the columns of `settlements`."""
    psn_no: str
    setl_id: str
    mdtrt_id: str | None
    fixmedins_code: str | None
    kind: str
    original_setl_id: str | None
    status: str
    year: int
    edition: str
    benefit: str
    med_type: str
    level: str
    setl_time: dt.datetime
    service_date: dt.date
    medfee_sumamt: Decimal
    fulamt_ownpay_amt: Decimal
    overlmt_selfpay: Decimal
    preselfpay_amt: Decimal
    inscp_scp_amt: Decimal
    act_pay_dedc: Decimal
    hifp_pay: Decimal
    hifmi_pay: Decimal
    maf_pay: Decimal
    fund_pay_sumamt: Decimal
    psn_part_amt: Decimal
    acct_pay: Decimal
    acct_mulaid_pay: Decimal
    psn_cash_pay: Decimal
    add_outpatient: Decimal
    add_inpatient: Decimal
    add_special_disease: Decimal
    add_serious_illness_burden: Decimal
    add_assistance_selfpay: Decimal
    category: str
    assistance_class: str | None
    trace: str
    msgid: str | None
    created_by: str
    place: str | None = None
    reason: str | None = None
    amendments: str | None = None
    mulaid_psn_no: str | None = None
    clearing_id: str | None = None
    dev_no: str | None = None


@trailed("生育医疗费定额补助")
class MaternityClaim(Base):
    """生育医疗费定额补助 (POLICY.md §8, S18 §6): a fixed subsidy an insured woman claims within 6 months of a
    birth within the family-planning policy, paid from the basic fund through the ledger; one per birth."""

    __tablename__ = "maternity_claims"

    claim_no: Mapped[str] = mapped_column(String(30), primary_key=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), index=True)
    birth_date: Mapped[dt.date]
    birth_cert_no: Mapped[str] = mapped_column(Sealed("birth_cert_no", 30))  # 出生医学证明编号, sealed at rest
    children: Mapped[int] = mapped_column(default=1)  # born at that birth (the subsidy is per birth)
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    edition: Mapped[str] = mapped_column(String(10))
    amendments: Mapped[str | None] = mapped_column(String(400))  # the parameter amendments the amount came from
    source: Mapped[str] = mapped_column(String(300))  # the amount's citation
    status: Mapped[str] = mapped_column(String(10))  # paid / cancelled
    claimed_on: Mapped[dt.date]
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[dt.datetime]
    cancelled_reason: Mapped[str | None] = mapped_column(String(200))
    cancelled_by: Mapped[str | None] = mapped_column(String(50))
    cancelled_at: Mapped[dt.datetime | None]

    __table_args__ = (
        Index("uq_maternity_claims_birth", "psn_no", "birth_date", unique=True,
              sqlite_where=text("status = 'paid'"), postgresql_where=text("status = 'paid'")),
    )
