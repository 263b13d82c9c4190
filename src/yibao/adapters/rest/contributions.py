"""Contributions REST door: bills, payments, withholding agreements, daily reconciliation."""

from __future__ import annotations

from fastapi import APIRouter

from yibao.adapters.rest.deps import DbSession, EnrollmentRead, PaymentWrite, ReportRead, shown
from yibao.contributions import schemas, service

router = APIRouter(prefix="/api/contributions", tags=["缴费 contributions"])


@router.get("/bills", response_model=list[schemas.BillRead], summary="某人的缴费单")
def bills(psn_no: str, session: DbSession, user: EnrollmentRead) -> object:
    return service.bills_of(session, psn_no)


@router.post("/agreements", response_model=schemas.AgreementRead, status_code=201, summary="签订银行卡代扣协议")
def sign(body: schemas.AgreementCreate, session: DbSession, user: PaymentWrite) -> object:
    return shown(user, schemas.AgreementRead, service.sign_agreement(session, **body.model_dump()))


@router.post("/reconciliations", response_model=list[schemas.ReconciliationRowRead], summary="按渠道、银行日对账")
def reconcile(body: schemas.ReconciliationIn, session: DbSession, user: ReportRead) -> object:
    statements = [service.StatementLine(s.channel, s.bank, s.count, s.amount) for s in body.statements]
    rows = service.reconcile_day(session, body.day, statements)
    return [{**{name: getattr(row, name) for name in row.__slots__}, "net": row.net, "matched": row.matched}
            for row in rows]
