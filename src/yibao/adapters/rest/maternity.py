"""生育医疗费定额补助 at the staff API (settlement/maternity.py, POLICY.md §8): claim, list, cancel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from yibao.adapters.rest.deps import DbSession, EditionsDep, SettlementRead, SettlementWrite, shown
from yibao.kit.schema import CardNumber, In, Out
from yibao.settlement import maternity

router = APIRouter(prefix="/api/maternity-claims", tags=["生育医疗费定额补助 maternity"])


class MaternityIn(In):
    psn_no: str = Field(max_length=20)
    birth_date: dt.date
    birth_cert_no: str = Field(max_length=30, description="出生医学证明编号")
    family_planning: bool = Field(description="已核对材料：符合国家计划生育政策")
    children: int = Field(1, ge=1, le=9, description="本次生育的婴儿数")


class MaternityRead(Out):
    claim_no: str
    psn_no: str
    birth_date: dt.date
    birth_cert_no: CardNumber  # masked like a card number for roles without person:identity
    children: int
    amount: Decimal
    edition: str
    amendments: str | None
    source: str
    status: str
    claimed_on: dt.date
    created_by: str
    cancelled_reason: str | None


class CancelIn(In):
    reason: str = Field(min_length=1, max_length=200)


@router.post("", response_model=MaternityRead, status_code=201, summary="申领生育医疗费定额补助（婴儿出生后 6 个月内）")
def claim(body: MaternityIn, session: DbSession, editions: EditionsDep, user: SettlementWrite) -> Any:
    return shown(user, MaternityRead, maternity.claim_maternity(
        session, editions, psn_no=body.psn_no, birth_date=body.birth_date, birth_cert_no=body.birth_cert_no,
        family_planning=body.family_planning, children=body.children, actor=user.username))


@router.get("", response_model=list[MaternityRead], summary="某人的生育医疗费定额补助")
def claims(psn_no: str, session: DbSession, user: SettlementRead) -> Any:
    return [shown(user, MaternityRead, c) for c in maternity.claims_of(session, psn_no)]


@router.post("/{claim_no}/cancel", response_model=MaternityRead, summary="撤销生育医疗费定额补助（须写明原因）")
def cancel(claim_no: str, body: CancelIn, session: DbSession, user: SettlementWrite) -> Any:
    return shown(user, MaternityRead, maternity.cancel_claim(session, claim_no, reason=body.reason,
                                                             actor=user.username))
