"""The interface log as the centre reads it: every gateway call, filtered and paged, newest first."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.settlement.models import GatewayCall

PAGE = 50


class CallQuery(NamedTuple):
    fixmedins_code: str | None = None
    infno: str | None = None
    outcome: str | None = None  # "ok" / "failed"
    msgid: str | None = None
    psn_no: str | None = None
    day: dt.date | None = None
    page: int = 1


def find_calls(session: Session, query: CallQuery) -> tuple[list[GatewayCall], int]:
    """(this page of calls, how many match)."""
    where = []
    if query.fixmedins_code:
        where.append(GatewayCall.fixmedins_code == query.fixmedins_code)
    if query.infno:
        where.append(GatewayCall.infno == query.infno)
    if query.outcome == "ok":
        where.append(GatewayCall.infcode == 0)
    elif query.outcome == "failed":
        where.append(GatewayCall.infcode != 0)
    if query.msgid:
        where.append(GatewayCall.msgid == query.msgid)
    if query.psn_no:
        where.append(GatewayCall.psn_no == query.psn_no)
    if query.day:
        start = dt.datetime.combine(query.day, dt.time())
        where.append(GatewayCall.called_at.between(start, start + dt.timedelta(days=1)))
    total = int(session.scalar(select(func.count()).select_from(GatewayCall).where(*where)) or 0)
    rows = session.scalars(select(GatewayCall).where(*where).order_by(GatewayCall.called_at.desc(), GatewayCall.id)
                           .offset((max(query.page, 1) - 1) * PAGE).limit(PAGE))
    return list(rows), total
