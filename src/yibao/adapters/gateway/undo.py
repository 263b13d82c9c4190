"""What reversal (2601) must undo of an accepted write: one typed record per kind of write, stored as JSON with
the message (`{"tag": [fields…]}`, a one-field record as `{"tag": value}`, as earlier releases stored them), and
applied through the settlement services, which refuse once the visit is settled.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from yibao.adapters.gateway.envelope import GatewayInputError
from yibao.filings.service import revoke_cross_region, revoke_special_disease
from yibao.policy.editions import Editions
from yibao.settlement.fees import restore_fee_lines
from yibao.settlement.models import FeeStatus, SettlementStatus, VisitStatus
from yibao.settlement.settle import cancel_settlement, get_settlement, reinstate_settlement
from yibao.settlement.visits import restore_discharge, restore_visit_info, restore_visit_status, visit_record
from yibao.statements import Db, orm_session


@dataclass(frozen=True, slots=True)
class Reverser:
    """Who reverses, and for whom: the institution's own visits, the person the 2601 names."""

    session: Db
    editions: Editions
    institution: str
    psn_no: str
    msgid: str
    actor: str


class Undo:
    tag: ClassVar[str]

    def apply(self, r: Reverser) -> None:
        raise NotImplementedError

    def to_json(self) -> str:
        values = [getattr(self, field.name) for field in fields(self)]  # type: ignore[arg-type]
        return json.dumps({self.tag: values[0] if len(values) == 1 else values}, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class CancelSettlement(Undo):
    """Undo of 2207/2304: the settlement is cancelled (if it still stands)."""

    setl_id: str
    tag: ClassVar[str] = "cancel_settlement"

    def apply(self, r: Reverser) -> None:
        row = get_settlement(r.session, self.setl_id)
        if row.psn_no != r.psn_no:
            raise GatewayInputError("psn_no 与原交易不一致", field="input.data.psn_no")
        if row.status == SettlementStatus.VALID:
            cancel_settlement(r.session, row.setl_id, institution=r.institution, msgid=r.msgid, actor=r.actor)


@dataclass(frozen=True, slots=True)
class ReinstateSettlement(Undo):
    """Undo of 2208/2305: the cancelled settlement stands again."""

    setl_id: str
    tag: ClassVar[str] = "reinstate_settlement"

    def apply(self, r: Reverser) -> None:
        reinstate_settlement(r.session, r.editions, self.setl_id, msgid=r.msgid, actor=r.actor)


@dataclass(frozen=True, slots=True)
class RestoreFees(Undo):
    """Undo of an upload (the lines deleted) or a deletion (the lines active again)."""

    psn_no: str
    mdtrt_id: str
    feedetl_sns: list[str]
    status: str
    tag: ClassVar[str] = "fees"

    def apply(self, r: Reverser) -> None:
        visit = visit_record(r.session, self.mdtrt_id, institution=r.institution, psn_no=r.psn_no)
        restore_fee_lines(r.session, visit, self.feedetl_sns, FeeStatus(self.status))


@dataclass(frozen=True, slots=True)
class RestoreVisitStatus(Undo):
    """Undo of a registration (the visit cancelled) or a cancellation (the status it had)."""

    mdtrt_id: str
    status: str
    tag: ClassVar[str] = "visit_status"

    def apply(self, r: Reverser) -> None:
        visit = visit_record(r.session, self.mdtrt_id, institution=r.institution, psn_no=r.psn_no)
        restore_visit_status(r.session, visit, VisitStatus(self.status))


@dataclass(frozen=True, slots=True)
class RestoreVisitInfo(Undo):
    """Undo of 2203: the med_type and diagnosis the visit had."""

    mdtrt_id: str
    med_type: str
    dise_codg: str | None
    dise_name: str | None
    tag: ClassVar[str] = "visit_info"

    def apply(self, r: Reverser) -> None:
        visit = visit_record(r.session, self.mdtrt_id, institution=r.institution, psn_no=r.psn_no)
        restore_visit_info(r.session, visit, med_type=self.med_type, dise_codg=self.dise_codg, dise_name=self.dise_name)


@dataclass(frozen=True, slots=True)
class RestoreDischarge(Undo):
    """Undo of 2402 (endtime None: not discharged) or 2405 (the discharge time it had, ISO)."""

    mdtrt_id: str
    endtime: str | None
    tag: ClassVar[str] = "discharge"

    def apply(self, r: Reverser) -> None:
        visit = visit_record(r.session, self.mdtrt_id, institution=r.institution, psn_no=r.psn_no)
        restore_discharge(r.session, visit, dt.datetime.fromisoformat(self.endtime) if self.endtime else None)


@dataclass(frozen=True, slots=True)
class RevokeFiling(Undo):
    """Undo of 2503: the special-disease filing is revoked."""

    psn_no: str
    filing_id: str
    tag: ClassVar[str] = "revoke_filing"

    def apply(self, r: Reverser) -> None:
        revoke_special_disease(orm_session(r.session), self.psn_no, self.filing_id, reason="冲正交易 2601",
                               actor=r.actor)


@dataclass(frozen=True, slots=True)
class RevokeCrossRegionFiling(Undo):
    """Undo of 2501: the referral's cross-region filing is revoked."""

    psn_no: str
    filing_id: str
    tag: ClassVar[str] = "revoke_cross_region"

    def apply(self, r: Reverser) -> None:
        revoke_cross_region(orm_session(r.session), self.psn_no, self.filing_id, reason="冲正交易 2601",
                            actor=r.actor)


KINDS: dict[str, type[Undo]] = {kind.tag: kind for kind in (
    CancelSettlement, ReinstateSettlement, RestoreFees, RestoreVisitStatus, RestoreVisitInfo, RestoreDischarge,
    RevokeFiling, RevokeCrossRegionFiling)}


def undo_from_json(text: str | None) -> Undo | None:
    """The stored record (None: the write left nothing to undo)."""
    stored: dict[str, Any] = json.loads(text or "{}")
    if not stored:
        return None
    (tag, value), = stored.items()
    kind = KINDS[tag]
    values = value if len(fields(kind)) > 1 else [value]  # type: ignore[arg-type]
    return kind(*values)
