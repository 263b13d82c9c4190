"""Manual reimbursement (零星报销, S18 §6): care that could not be settled directly, claimed with receipts and
computed by the same chain, recorded in the same accumulators and ledger, and paid to the person."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from yibao.filings.service import cross_region_filing_on
from yibao.glossary import MED_TYPE_OF_BENEFIT
from yibao.institutions.service import REGIONS
from yibao.policy.chain import Claim, FeeLine
from yibao.policy.chain import settle as run_chain
from yibao.policy.editions import Benefit, Editions, Level
from yibao.settlement import repository
from yibao.settlement.errors import NoCrossRegionFilingForClaim, PlaceRequired, UnknownRegion
from yibao.settlement.models import SettlementKind, SettlementRecord
from yibao.settlement.settle import Prepared, new_setl_id, record_settlement, settlement_row
from yibao.settlement.standing import check_benefit, filed_disease, needs_cross_region_filing, standing_on


def manual_reimbursement(
    session: Session,
    editions: Editions,
    *,
    psn_no: str,
    benefit: Benefit,
    service_date: dt.date,
    level: Level,
    region: str,
    lines: tuple[FeeLine, ...],
    place: str,
    actor: str,
    disease_code: str | None = None,
) -> SettlementRecord:
    """Care that could not be settled directly, claimed with receipts and computed by the same rules."""
    if region not in REGIONS:
        raise UnknownRegion(choices="、".join(REGIONS))
    if not place.strip():
        raise PlaceRequired()
    standing = standing_on(session, editions, psn_no, service_date)
    if needs_cross_region_filing(standing, region) and cross_region_filing_on(session, psn_no, service_date) is None:
        raise NoCrossRegionFilingForClaim(region=REGIONS[region])
    check_benefit(standing, benefit)
    if benefit is Benefit.SPECIAL_DISEASE:  # a filed disease (POLICY.md §5); the care was elsewhere by nature
        filed_disease(session, standing, disease_code, None)
    claim = Claim(f"manual-{place[:20]}", benefit, service_date, level, lines)
    before = repository.lock_accumulators(session, psn_no, service_date.year)
    computed = run_chain(standing.edition, standing.insured, claim, before)
    row = settlement_row(Prepared(standing, claim, computed, before, None), setl_id=new_setl_id(),
                         kind=SettlementKind.MANUAL, msgid=None, actor=actor,
                         med_type=MED_TYPE_OF_BENEFIT[benefit].value, mdtrt_id=None, place=place.strip())
    record_settlement(session, row, before)
    return row
