"""Settlements for staff: a person's settlements, manual reimbursement, receipts (HTML and PDF)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from yibao.adapters.rest.deps import DbSession, EditionsDep, SettlementRead, SettlementWrite
from yibao.adapters.trailing import receipt_response
from yibao.kit.schema import In, MoneyIn, MoneyOut, Out
from yibao.policy.chain import FeeLine, ItemClass
from yibao.policy.editions import Benefit, Level
from yibao.settlement.manual import manual_reimbursement
from yibao.settlement.models import SettlementRecord
from yibao.settlement.receipt import build_receipt
from yibao.settlement.settle import get_settlement, settlements_of

router = APIRouter(prefix="/api/settlements", tags=["结算 settlements"])


class SettlementOut(Out):
    setl_id: str
    psn_no: str
    mdtrt_id: str | None
    fixmedins_code: str | None
    place: str | None = None  # a manual claim's hospital
    kind: str
    status: str
    original_setl_id: str | None
    year: int
    edition: str
    benefit: str
    med_type: str
    level: str
    setl_time: dt.datetime
    service_date: dt.date
    medfee_sumamt: MoneyOut
    fulamt_ownpay_amt: MoneyOut
    overlmt_selfpay: MoneyOut
    preselfpay_amt: MoneyOut
    inscp_scp_amt: MoneyOut
    act_pay_dedc: MoneyOut
    hifp_pay: MoneyOut
    hifmi_pay: MoneyOut
    maf_pay: MoneyOut
    fund_pay_sumamt: MoneyOut
    psn_part_amt: MoneyOut
    trace: list[dict[str, object]]


class LineIn(In):
    amount: MoneyIn
    item_class: Literal["A", "B", "C"] = Field(alias="class")
    selfpay_prop: Decimal | None = Field(None, ge=0, le=1, description="乙类先行自付比例；不填用政策默认")
    overlimit: MoneyIn = Decimal("0.00")


class ManualIn(In):
    psn_no: str
    benefit: Benefit
    service_date: dt.date
    level: Level
    region: str = Field(description="ningbo / zhejiang / other_province")
    place: str = Field(min_length=1, max_length=100, description="就医机构名称")
    lines: list[LineIn] = Field(min_length=1)
    disease_code: str | None = Field(None, max_length=30,
                                     description="门诊特殊病种：备案的病种代码（只有一个备案病种时可不填）")


def _read(row: SettlementRecord) -> dict[str, object]:
    values = {name: getattr(row, name) for name in SettlementOut.model_fields if name != "trace"}
    values["trace"] = json.loads(row.trace)
    return values


@router.get("", response_model=list[SettlementOut], summary="某人的结算记录")
def settlements(psn_no: str, session: DbSession, user: SettlementRead) -> object:
    return [_read(row) for row in settlements_of(session, psn_no)]


@router.post("/manual", response_model=SettlementOut, status_code=201, summary="零星报销")
def manual(body: ManualIn, session: DbSession, editions: EditionsDep, user: SettlementWrite) -> object:
    lines = tuple(FeeLine(line.amount, ItemClass(line.item_class), line.selfpay_prop, line.overlimit)
                  for line in body.lines)
    row = manual_reimbursement(session, editions, psn_no=body.psn_no, benefit=body.benefit,
                                       service_date=body.service_date, level=body.level, region=body.region,
                                       lines=lines, place=body.place, actor=user.username,
                                       disease_code=body.disease_code)
    return _read(row)


@router.get("/{setl_id}", response_model=SettlementOut, summary="结算详情（含计算过程）")
def settlement(setl_id: str, session: DbSession, user: SettlementRead) -> object:
    return _read(get_settlement(session, setl_id))


@router.get("/{setl_id}/receipt", response_class=HTMLResponse, summary="结算单（HTML）")
def receipt(setl_id: str, request: Request, session: DbSession, user: SettlementRead) -> Response:
    return receipt_response(request, session, build_receipt(session, setl_id), technical=True)


@router.get("/{setl_id}/receipt.pdf", summary="结算单（PDF）")
def receipt_file(setl_id: str, request: Request, session: DbSession, user: SettlementRead) -> Response:
    return receipt_response(request, session, build_receipt(session, setl_id), pdf=True)
