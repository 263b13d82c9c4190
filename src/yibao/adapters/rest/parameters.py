"""Policy parameters an administrator sets without code (parameters/service.py, POLICY.md §1): the table of every
parameter in force, and amendments proposed by one administrator and approved by another."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field

from yibao.adapters.rest.deps import DbSession, EditionsDep, PolicyAmend, SettlementRead
from yibao.clearing.service import cleared_through
from yibao.kit.clock import now
from yibao.kit.schema import In, Out
from yibao.parameters import service
from yibao.parameters.models import PolicyAmendment

router = APIRouter(prefix="/api/parameters", tags=["政策参数 parameters"])


class ParameterRead(Out):
    edition: str
    path: str
    label: str
    value: Any
    source: str
    assumption: bool
    amendable: bool
    amendment: str | None


class AmendmentIn(In):
    edition: str = Field(max_length=10, description="政策版本代码，如 2022")
    path: str = Field(max_length=200, description="参数路径，如 maternity_subsidy")
    value: str | None = Field(None, max_length=100, description="新值（金额、比例写成字符串）；不填为“未设定”")
    source: str = Field(max_length=300, description="依据：文件及条款，或 ASSUMPTION: …")
    effective_from: dt.date


class DecisionIn(In):
    note: str | None = Field(None, max_length=200)


class AmendmentRead(Out):
    id: str
    edition: str
    path: str
    value: str | None
    source: str
    effective_from: dt.date
    status: str
    proposed_by: str
    proposed_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str | None


@router.get("", response_model=list[ParameterRead], summary="全部政策参数：现行值、依据、是否为假定（ASSUMPTION）")
def table(session: DbSession, editions: EditionsDep, _: SettlementRead, day: dt.date | None = None) -> Any:
    rows = service.parameter_table(editions, day or now().date())
    return [{**vars_of(row), "label": service.parameter_label(service.base_of(editions).get(row.edition), row.path)}
            for row in rows]


def vars_of(row: service.ParameterRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in service.ParameterRow.__dataclass_fields__}


@router.get("/amendments", response_model=list[AmendmentRead], summary="参数修改记录（最新的在前）")
def amendments(session: DbSession, _: SettlementRead) -> Any:
    return service.history(session)


@router.post("/amendments", response_model=AmendmentRead, status_code=201, summary="提出参数修改（须另一位管理员批准）")
def propose(body: AmendmentIn, session: DbSession, editions: EditionsDep, user: PolicyAmend) -> PolicyAmendment:
    return service.propose(session, editions, edition=body.edition, path=body.path, value=body.value,
                           source=body.source, effective_from=body.effective_from, actor=user.username,
                           cleared_through=cleared_through(session))


@router.post("/amendments/{amendment_id}/approve", response_model=AmendmentRead, summary="批准参数修改")
def approve(amendment_id: str, body: DecisionIn, request: Request, session: DbSession, user: PolicyAmend) -> Any:
    return service.approve(session, request.app.state.editions, amendment_id, actor=user.username, note=body.note,
                           cleared_through=cleared_through(session))


@router.post("/amendments/{amendment_id}/reject", response_model=AmendmentRead, summary="驳回（或撤回）参数修改")
def reject(amendment_id: str, body: DecisionIn, session: DbSession, user: PolicyAmend) -> Any:
    return service.reject(session, amendment_id, actor=user.username, note=body.note or "")
