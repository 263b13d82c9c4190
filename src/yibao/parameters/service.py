"""Propose, approve and reject amendments of an edition's parameters (POLICY.md §1; issue 17 item 5), and the
editions in force with the approved ones (`LiveEditions`, the server's `app.state.editions`).

The rules: an amendment names a scalar cited parameter of an edition (policy/amendments.py `parameters`), a value
the parameter can take (checked by applying it), its source (a document and clause, or "ASSUMPTION: …") and the
date it takes effect, within the edition's period. A second administrator approves it (the four-eyes rule); from
then on, settlements and enrollments dated on or after its effective date use it and record it. Settlements made
before the approval keep what they computed. Nothing is ever deleted: a rejected amendment is kept with the reason.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.kit.clock import now
from yibao.parameters.errors import (
    AmendmentDecided,
    AmendmentNotFound,
    BadParameterValue,
    DecisionNoteRequired,
    EffectiveInClearedMonth,
    OutsideEdition,
    OwnAmendment,
    SourceRequired,
    UnknownParameter,
)
from yibao.parameters.models import (
    AMENDMENT_STATUS_LABELS,
    AmendmentStatus,
    PolicyAmendment,
    PolicyAmendmentRecord,
)
from yibao.policy.amendments import AmendedEditions, Amendment, Parameter, amend, parameters
from yibao.policy.editions import Edition, Editions
from yibao.policy.errors import EditionInvalid, UnknownEdition
from yibao.statements import Db, Read, fixed

REFRESH_SECONDS = 2.0  # how stale a server process's view of the approved amendments may be


def _amendment(row: PolicyAmendment | PolicyAmendmentRecord) -> Amendment:
    return Amendment(row.id, row.edition, row.path, row.value, row.source, row.effective_from)


_APPROVED = Read(PolicyAmendmentRecord, PolicyAmendment, PolicyAmendment.status == fixed(AmendmentStatus.APPROVED),
                 order_by=(PolicyAmendment.decided_at, PolicyAmendment.id))


def approved(db: Db) -> list[Amendment]:
    """The approved amendments, in the order they were approved."""
    return [_amendment(row) for row in _APPROVED.all(db)]


def base_of(editions: Editions) -> Editions:
    return editions.base if isinstance(editions, AmendedEditions) else editions


def period_of(editions: Editions, edition: Edition) -> tuple[dt.date, dt.date | None]:
    """The days an edition is in force: from its start until the day before the next edition's."""
    later = [e.effective_from for e in editions if e.effective_from > edition.effective_from]
    return edition.effective_from, (min(later) - dt.timedelta(days=1)) if later else None


def _check(session: Session, editions: Editions, amendment: Amendment, cleared_through: dt.date | None) -> None:
    """Every rule of an amendment; `cleared_through`: the last day of the months whose institution clearing has been
    approved (the doors ask clearing/), whose settlements an amendment must not reach back into."""
    if cleared_through is not None and amendment.effective_from <= cleared_through:
        raise EffectiveInClearedMonth(day=amendment.effective_from, through=cleared_through)
    base = base_of(editions)
    try:
        edition = base.get(amendment.edition)
    except UnknownEdition:
        raise UnknownParameter(edition=amendment.edition, path=amendment.path) from None
    found = parameters(edition).get(amendment.path)
    if found is None or not found.amendable:
        raise UnknownParameter(edition=amendment.edition, path=amendment.path)
    if len(amendment.source.strip()) < 2:
        raise SourceRequired()
    start, end = period_of(base, edition)
    if amendment.effective_from < start or (end is not None and amendment.effective_from > end):
        raise OutsideEdition(day=amendment.effective_from, edition=edition.code, start=start, end=end or "今后")
    others = [a for a in approved(session) if a.edition == edition.code]
    try:
        amend(edition, [*others, amendment])
    except EditionInvalid as exc:
        problem = exc.args[0].split("：", 2)[-1] if exc.args else "取值无效"
        raise BadParameterValue(path=amendment.path, value=amendment.value or "（未设定）", problem=problem) from None


def propose(session: Session, editions: Editions, *, edition: str, path: str, value: str | None, source: str,
            effective_from: dt.date, actor: str, cleared_through: dt.date | None = None) -> PolicyAmendment:
    """A proposed change, checked as it would apply; in force only once another administrator approves it."""
    text = value.strip() if value is not None else None
    amendment = Amendment("proposed", edition.strip(), path.strip(), text or None, source.strip(), effective_from)
    _check(session, editions, amendment, cleared_through)
    row = PolicyAmendment(edition=amendment.edition, path=amendment.path, value=amendment.value,
                          source=amendment.source, effective_from=effective_from,
                          status=AmendmentStatus.PROPOSED.value, proposed_by=actor, proposed_at=now())
    session.add(row)
    session.flush()
    return row


def _pending(session: Session, amendment_id: str) -> PolicyAmendment:
    row = session.get(PolicyAmendment, amendment_id, with_for_update=True)
    if row is None:
        raise AmendmentNotFound(id=amendment_id)
    if row.status != AmendmentStatus.PROPOSED:
        raise AmendmentDecided(id=amendment_id, status=AMENDMENT_STATUS_LABELS[AmendmentStatus(row.status)])
    return row


def approve(session: Session, editions: Editions, amendment_id: str, *, actor: str,
            note: str | None = None, cleared_through: dt.date | None = None) -> PolicyAmendment:
    """Approve a proposed change (by an administrator other than its proposer); checked again as it applies now."""
    row = _pending(session, amendment_id)
    if row.proposed_by == actor:
        raise OwnAmendment(actor=actor)
    _check(session, editions, _amendment(row), cleared_through)
    row.status, row.decided_by, row.decided_at = AmendmentStatus.APPROVED.value, actor, now()
    row.decision_note = (note or "").strip() or None
    session.flush()
    if isinstance(editions, LiveEditions):
        editions.invalidate()  # this process reads it again at its next request
    return row


def reject(session: Session, amendment_id: str, *, actor: str, note: str) -> PolicyAmendment:
    """Reject (or, by its proposer, withdraw) a proposed change, with the reason."""
    row = _pending(session, amendment_id)
    if not note.strip():
        raise DecisionNoteRequired()
    row.status, row.decided_by, row.decided_at = AmendmentStatus.REJECTED.value, actor, now()
    row.decision_note = note.strip()
    session.flush()
    return row


def history(session: Session, *, limit: int = 200) -> Sequence[PolicyAmendment]:
    return session.scalars(select(PolicyAmendment).order_by(PolicyAmendment.proposed_at.desc())
                           .limit(limit)).all()


@dataclass(frozen=True, slots=True)
class ParameterRow:
    """A line of the parameter table: the value in force on a day, where it comes from."""

    edition: str
    path: str
    value: object
    source: str
    assumption: bool
    amendable: bool
    amendment: str | None  # the approved amendment that set it, None: the packaged edition


def parameter_table(editions: Editions, day: dt.date) -> list[ParameterRow]:
    """Every cited parameter of every edition as in force on `day` (or, for an edition not yet or no longer in
    force, as of its last day with the amendments it carries by then)."""
    rows = []
    base = base_of(editions)
    for edition in base:
        start, end = period_of(base, edition)
        on = min(max(day, start), end) if end is not None else max(day, start)
        current = editions.on(on)
        setters = {a.path: a.id for a in (editions.amendments if isinstance(editions, AmendedEditions) else ())
                   if a.id in current.amendments}
        for p in parameters(current).values():
            rows.append(_row(edition.code, p, setters.get(p.path)))
    return rows


def _row(edition: str, p: Parameter, amendment: str | None) -> ParameterRow:
    return ParameterRow(edition, p.path, p.value, p.source, p.assumption, p.amendable, amendment)


# ---------------------------------------------------------------------------------------------------
# The server's editions


class LiveEditions(AmendedEditions):
    """The packaged editions with the approved amendments, read again from the database at most every
    `REFRESH_SECONDS` on the unit of work of a request that asks (`fresh`), so every server process follows an
    approval within seconds and no request waits on a connection of its own."""

    def __init__(self, base: Editions, amendments: Sequence[Amendment] = ()) -> None:
        super().__init__(base, amendments)
        self._checked = -float("inf")
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        self._checked = -float("inf")

    def fresh(self, db: Db) -> LiveEditions:
        moment = time.monotonic()
        if moment - self._checked < REFRESH_SECONDS:
            return self
        found = approved(db)
        with self._lock:
            self._checked = moment
            self.replace(found)
        return self


def current(editions: Editions, db: Db) -> Editions:
    """The editions a request computes with: the server's, refreshed on the request's unit of work."""
    return editions.fresh(db) if isinstance(editions, LiveEditions) else editions


# ---------------------------------------------------------------------------------------------------
# What the table calls each parameter

_LABELS = {
    "personal_contribution": "个人缴费（元/年）", "government_subsidy": "政府补助（元/年）",
    "adult_born_by_offset": "成年居民：出生不晚于（参保年度减 N 年）",
    "infant_born_from_offset": "婴幼儿：出生不早于（减 N 年）",
    "late_waiting_months": "逾期参保待遇等待期（月）", "max_age": "非本地户籍儿童年龄上限（周岁）",
    "parent_min_employee_months": "父母职工医保连续缴费（月）",
    "cross_province_needs_designated_institution": "跨省就医须在跨省定点机构",
    "first_selfpay_default": "乙类先行自付默认比例", "waived_for_special_disease_patients": "门诊特病人员住院免起付线",
    "ordinary_rate": "普通医疗救助比例", "maternity_subsidy": "生育医疗费定额补助（元）",
    "adult_categories": "成年居民档次", "filing_required_in": "须备案的就医地区",
}


def parameter_label(edition: Edition, path: str) -> str:
    """A parameter in words: "成年居民 个人缴费（元/年）", "低保对象 普通医疗救助比例" …"""
    parts = path.split(".")
    what = _LABELS.get(parts[-1], parts[-1])
    if parts[0] == "categories" and len(parts) == 3 and parts[1] in edition.categories:
        return f"{edition.categories[parts[1]].label} {what}"
    if parts[:2] == ["medical_assistance", "classes"] and parts[2] in edition.medical_assistance.classes:
        return f"{edition.medical_assistance.classes[parts[2]].label} {what}"
    return what
