"""Filings: the staff API (special disease, cross-region)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import Field

from yibao.adapters.rest.deps import DbSession, SettlementRead, SettlementWrite
from yibao.filings import service
from yibao.kit.schema import In

router = APIRouter(prefix="/api/filings", tags=["备案 filings"])


class SpecialDiseaseIn(In):
    psn_no: str
    disease_code: str = Field(description="门诊慢特病种目录（1309）的病种代码，如 M03900")
    disease_name: str | None = Field(None, max_length=100, description="可不填；填写时须与目录中的名称一致")
    fixmedins_code: str = Field(description="鉴定机构")
    begndate: dt.date
    enddate: dt.date | None = None
    diag_dr_code: str | None = None
    designated_fixmedins_code: str | None = Field(None, description="选定就医机构：填写后该病种只能在此结算")


class CrossRegionIn(In):
    psn_no: str
    reason: str = Field(description="resettled / long_term_residence / stationed_worker / referral")
    place: str
    begndate: dt.date
    enddate: dt.date | None = None
    admdvs: str | None = None


def _row(filing: object) -> dict[str, object]:
    return {k: v for k, v in vars(filing).items() if not k.startswith("_")}


@router.post("/special-disease", status_code=201, summary="门诊特殊病种备案")
def special(body: SpecialDiseaseIn, session: DbSession, user: SettlementWrite) -> dict[str, object]:
    return _row(service.file_special_disease(session, **body.model_dump()))


@router.post("/cross-region", status_code=201, summary="异地就医备案")
def cross_region(body: CrossRegionIn, session: DbSession, user: SettlementWrite) -> dict[str, object]:
    return _row(service.file_cross_region(session, **body.model_dump()))


@router.get("", summary="某人的备案")
def filings(psn_no: str, session: DbSession, user: SettlementRead) -> dict[str, list[dict[str, object]]]:
    special_rows, cross_rows = service.filings_of(session, psn_no)
    return {"special_disease": [_row(f) for f in special_rows], "cross_region": [_row(f) for f in cross_rows]}
