from __future__ import annotations

import datetime as dt

from pydantic import Field

from yibao.kit.schema import CardNumber, In, MoneyIn, MoneyOut, Out


class BillRead(Out):
    bill_no: str
    psn_no: str
    year: int
    amount_due: MoneyOut
    status: str
    paid_at: dt.datetime | None


class PaymentCreate(In):
    bill_no: str
    channel: str = Field(description="bank_withholding / wechat / alipay / cash / school")
    amount: MoneyIn
    paid_on: dt.date
    reference: str = Field(min_length=1, max_length=64, description="缴费流水号（唯一）")
    bank: str | None = Field(None, description="boc / abc / icbc / ccb / bocom / psbc / nbcb / rcc")
    card_no: str | None = None
    payer_name: str | None = None
    payer_certno: str | None = None


class PaymentRead(Out):
    id: str
    psn_no: str
    channel: str
    bank: str | None
    amount: MoneyOut
    paid_on: dt.date
    reference: str
    payer_name: str | None


class AgreementCreate(In):
    psn_no: str
    bank: str
    card_no: str
    signed_on: dt.date


class AgreementRead(Out):
    id: str
    psn_no: str
    bank: str
    card_no: CardNumber
    signed_on: dt.date
    status: str


class StatementLineIn(In):
    channel: str
    bank: str | None = None
    count: int = Field(ge=0)
    amount: MoneyIn


class ReconciliationIn(In):
    day: dt.date
    statements: list[StatementLineIn] = Field(default_factory=list)


class ReconciliationRowRead(Out):
    channel: str
    bank: str | None
    payments: int
    paid: MoneyOut
    refunds: int
    refunded: MoneyOut
    net: MoneyOut
    statement_count: int | None
    statement_amount: MoneyOut | None
    matched: bool | None

