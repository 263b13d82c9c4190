"""Pre-settle, settle, cancel and reinstate (2206/2303, 2207/2304, 2208/2305 and the reversal of a cancel):
the policy chain (POLICY.md §7a) over the visit's stored lines and the person's locked accumulators; the
settlement row, the accumulators and the journal entry written together, all or nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yibao.accounts.ledger import institution_account, person_account, post_journal, reverse_entry_of
from yibao.accounts.payments import check_available, draw_postings, holdings
from yibao.db import sql_money
from yibao.glossary import BENEFIT_OF_MED_TYPE, FUNDS
from yibao.institutions.errors import InstitutionNotFound
from yibao.institutions.models import InstitutionRecord
from yibao.institutions.service import institution_record
from yibao.kit.clock import now
from yibao.kit.ids import random_digits
from yibao.policy.chain import AMOUNT_FIELDS, Accumulators, Claim
from yibao.policy.chain import Settlement as Computed
from yibao.policy.chain import settle as run_chain
from yibao.policy.editions import Benefit, Editions, Level
from yibao.policy.family import NO_DRAWS, Draws, payable
from yibao.settlement import repository
from yibao.settlement.errors import (
    CancellationNotCancellable,
    SettlementAlreadyCancelled,
    SettlementNotCancelled,
    SettlementNotFound,
    TotalMismatch,
    VisitAlreadySettled,
    VisitNotFound,
    VisitSettledAgain,
)
from yibao.settlement.fees import claim_lines
from yibao.settlement.models import (
    Settlement,
    SettlementKind,
    SettlementRecord,
    SettlementStatus,
    VisitRecord,
    VisitStatus,
)
from yibao.settlement.repository import ACCUMULATOR_FIELDS
from yibao.settlement.standing import Standing, check_benefit, check_place, filed_disease, standing_on
from yibao.settlement.visits import check_unsettled, service_date
from yibao.statements import Db, batch

# setlinfo's money fields: the chain's amounts, then what the person's accounts and cash paid
SETLINFO_MONEY = (*AMOUNT_FIELDS, "acct_pay", "acct_mulaid_pay", "psn_cash_pay")
AMOUNT_COLUMNS = (*SETLINFO_MONEY, *(f"add_{n}" for n in ACCUMULATOR_FIELDS))


@dataclass(frozen=True, slots=True)
class Prepared:
    """A claim through the chain, before anything is written."""

    standing: Standing
    claim: Claim
    computed: Computed
    before: Accumulators  # the year's accumulators before this claim (locked when settling)
    institution: InstitutionRecord | None


def prepare(session: Db, editions: Editions, visit: VisitRecord, *, lock: bool,
            institution: InstitutionRecord | None = None) -> Prepared:
    """The claim of a visit through the chain; `institution`: the visit's institution if the caller has just
    read it (the gateway has), else it is read here."""
    if institution is None or institution.fixmedins_code != visit.fixmedins_code:
        institution = institution_record(session, visit.fixmedins_code)
    if institution is None:
        raise InstitutionNotFound(code=visit.fixmedins_code)
    day = service_date(visit)
    standing = standing_on(session, editions, visit.psn_no, day)
    check_place(session, standing, institution, day)
    benefit = BENEFIT_OF_MED_TYPE[visit.med_type]
    check_benefit(standing, benefit)
    if benefit is Benefit.SPECIAL_DISEASE:  # a filed disease, where its filing may be treated (POLICY.md §5)
        filed_disease(session, standing, visit.dise_codg, institution.fixmedins_code)
    claim = Claim(visit.mdtrt_id, benefit, day, Level(institution.level), claim_lines(session, visit))
    before = (repository.lock_accumulators if lock else repository.read_accumulators)(session, visit.psn_no, day.year)
    computed = run_chain(standing.edition, standing.insured, claim, before)
    return Prepared(standing, claim, computed, before, institution)


def trace_json(computed: Computed) -> str:
    return json.dumps([step.as_dict() for step in computed.trace], ensure_ascii=False)


def new_setl_id(admdvs: str = "330213") -> str:
    return f"{admdvs}S{now():%y%m%d%H%M%S}{random_digits(9)}"


def settlement_row(
    prepared: Prepared,
    *,
    setl_id: str | None,
    kind: SettlementKind,
    msgid: str | None,
    actor: str,
    med_type: str,
    mdtrt_id: str | None,
    place: str | None = None,
    draws: Draws = NO_DRAWS,
    dev_no: str | None = None,
) -> SettlementRecord:
    """The settlement as a record of the settlements table (written by the caller, or by nobody); `place`: where
    a manual claim's care was given; `draws`: what the family's accounts pay of the personal share; `dev_no`: the
    terminal the message came from."""
    c, standing = prepared.computed, prepared.standing
    institution = prepared.institution
    return repository.new_settlement(
        psn_no=standing.person.psn_no,
        setl_id=setl_id or "",
        mdtrt_id=mdtrt_id,
        fixmedins_code=institution.fixmedins_code if institution else None,
        kind=kind.value,
        original_setl_id=None,
        status=SettlementStatus.VALID.value,
        year=c.year,
        edition=c.edition,
        benefit=c.benefit.value,
        med_type=med_type,
        level=prepared.claim.level.value,
        setl_time=now(),
        service_date=prepared.claim.date,
        **{name: getattr(c, name) for name in AMOUNT_FIELDS},
        acct_pay=draws.acct_pay,
        acct_mulaid_pay=draws.acct_mulaid_pay,
        psn_cash_pay=c.psn_part_amt - draws.total,
        **{f"add_{name}": getattr(c.added, name) for name in ACCUMULATOR_FIELDS},
        category=standing.insured.category,
        assistance_class=standing.insured.assistance_class,
        trace=trace_json(c),
        msgid=msgid,
        created_by=actor,
        place=place,
        amendments=",".join(standing.edition.amendments) or None,
        mulaid_psn_no=draws.mulaid_owner,
        dev_no=dev_no,
    )


class Priced(NamedTuple):
    """A settlement (or pre-settlement) and `balc`: what the person's accounts can still pay at one settlement
    after it (setlinfo balc)."""

    row: SettlementRecord
    balc: Decimal


def family_draws(session: Db, prepared: Prepared, *, lock: bool, use: bool) -> tuple[Draws, Decimal]:
    """What the person's and their family's accounts pay of the personal share (POLICY.md §11, in S18's order;
    nothing when `use` is off: acct_used_flag 0), and what they can pay after it; `lock`: the accounts stay
    locked until commit."""
    held = holdings(session, prepared.standing.person.psn_no, lock=lock)
    c = prepared.computed
    amount = payable(c.psn_part_amt, c.fulamt_ownpay_amt,
                     pays_full_ownpay=prepared.standing.edition.family_accounts.pays_full_ownpay.value)
    draws = held.draws(amount) if use else NO_DRAWS
    return draws, held.after(draws).usable


def presettle(session: Db, editions: Editions, visit: VisitRecord, *,
              institution: InstitutionRecord | None = None, use_accounts: bool = True) -> SettlementRecord:
    """预结算: the settlement as it would be now, written nowhere (no side effects); with what the family's accounts
    would pay unless `use_accounts` is off (acct_used_flag 0)."""
    return presettle_priced(session, editions, visit, institution=institution, use_accounts=use_accounts).row


def presettle_priced(session: Db, editions: Editions, visit: VisitRecord, *,
                     institution: InstitutionRecord | None = None, use_accounts: bool = True) -> Priced:
    """The pre-settlement with what the accounts could still pay after it."""
    if visit.status == VisitStatus.SETTLED:
        raise VisitAlreadySettled(mdtrt_id=visit.mdtrt_id)
    prepared = prepare(session, editions, visit, lock=False, institution=institution)
    draws, balc = family_draws(session, prepared, lock=False, use=use_accounts)
    return Priced(settlement_row(prepared, setl_id=None, kind=SettlementKind.SETTLE, msgid=None, actor="",
                                 med_type=visit.med_type, mdtrt_id=visit.mdtrt_id, draws=draws), balc)


def settle_visit(
    session: Db, editions: Editions, visit: VisitRecord, *, expected_total: Decimal | None, msgid: str | None,
    actor: str, institution: InstitutionRecord | None = None, use_accounts: bool = True, dev_no: str | None = None,
) -> SettlementRecord:
    """结算 (see `settle_priced`)."""
    return settle_priced(session, editions, visit, expected_total=expected_total, msgid=msgid, actor=actor,
                         institution=institution, use_accounts=use_accounts, dev_no=dev_no).row


def settle_priced(
    session: Db, editions: Editions, visit: VisitRecord, *, expected_total: Decimal | None, msgid: str | None,
    actor: str, institution: InstitutionRecord | None = None, use_accounts: bool = True, dev_no: str | None = None,
) -> Priced:
    """结算: the pre-settlement's numbers, written with the accumulators and the journal, all or nothing; the
    family's accounts pay what they may unless `use_accounts` is off (acct_used_flag 0).

    The visit row is read again under lock first (PostgreSQL FOR UPDATE; SQLite's writer lock), so two
    requests for one visit settle it once: the second finds it settled."""
    current = repository.visit(session, visit.mdtrt_id, lock=True)
    if current is None:
        raise VisitNotFound(mdtrt_id=visit.mdtrt_id)
    check_unsettled(current)
    prepared = prepare(session, editions, current, lock=True, institution=institution)
    if expected_total is not None and expected_total != prepared.computed.medfee_sumamt:
        raise TotalMismatch(sent=expected_total, total=prepared.computed.medfee_sumamt)
    draws, balc = family_draws(session, prepared, lock=True, use=use_accounts)
    row = settlement_row(prepared, setl_id=new_setl_id(), kind=SettlementKind.SETTLE, msgid=msgid, actor=actor,
                         med_type=current.med_type, mdtrt_id=current.mdtrt_id, draws=draws, dev_no=dev_no)
    with batch(session):  # the settlement's six writes in one round trip (PostgreSQL)
        record_settlement(session, row, prepared.before)
        repository.assign_lines(session, current, row.setl_id)
        repository.set_visit_status(session, current, VisitStatus.SETTLED)
    return Priced(row, balc)


def record_settlement(session: Db, row: SettlementRecord, before: Accumulators) -> None:
    """Write a (positive) settlement: its row, the accumulators it adds to, its journal entry."""
    repository.add_settlement(session, row)
    apply_to_accumulators(session, row, before, +1)
    post_settlement(session, row)


def apply_to_accumulators(session: Db, row: SettlementRecord, before: Accumulators, sign: int) -> None:
    """The (locked) accumulators take a settlement's additions, or give them back."""
    after = Accumulators(*(getattr(before, name) + sign * getattr(row, f"add_{name}") for name in ACCUMULATOR_FIELDS))
    repository.write_accumulators(session, row.psn_no, row.year, after)


def _copy_settlement(original: SettlementRecord, *, kind: SettlementKind, original_setl_id: str | None,
                     msgid: str | None, actor: str, sign: int) -> SettlementRecord:
    """A new settlement record with the original's facts and (signed) amounts, under a new setl_id and time."""
    values = {name: getattr(original, name) for name in repository.SETTLEMENT_COLUMNS}
    values |= {name: sign * values[name] for name in AMOUNT_COLUMNS}
    values |= {"setl_id": new_setl_id(), "kind": kind.value, "original_setl_id": original_setl_id,
               "status": SettlementStatus.VALID.value, "setl_time": now(), "msgid": msgid, "created_by": actor,
               "reason": None, "clearing_id": None}  # a new row: in the clearing of its own month
    return repository.new_settlement(**values)


def get_settlement(session: Db, setl_id: str, *, institution: str | None = None) -> SettlementRecord:
    """A settlement by setl_id; an institution sees only its own."""
    row = repository.settlement(session, setl_id)
    if row is None or (institution is not None and row.fixmedins_code != institution):
        raise SettlementNotFound(setl_id=setl_id)
    return row


def cancel_settlement(
    session: Db, setl_id: str, *, institution: str | None, msgid: str | None, actor: str, reason: str | None = None
) -> SettlementRecord:
    """结算撤销: a new settlement row with every amount negated, the accumulators given back, a reversing
    journal entry; the visit's lines may then be changed and settled again."""
    original = get_settlement(session, setl_id, institution=institution)
    if original.kind == SettlementKind.CANCEL:
        raise CancellationNotCancellable()
    if original.status == SettlementStatus.CANCELLED:
        raise SettlementAlreadyCancelled(setl_id=setl_id)
    before = repository.lock_accumulators(session, original.psn_no, original.year)
    cancel = _copy_settlement(original, kind=SettlementKind.CANCEL, original_setl_id=original.setl_id, msgid=msgid,
                              actor=actor, sign=-1)._replace(reason=reason)
    try:
        repository.add_settlement(session, cancel)  # one cancellation per settlement: a unique index guards it
    except IntegrityError:
        raise SettlementAlreadyCancelled(setl_id=setl_id) from None
    apply_to_accumulators(session, original, before, -1)
    repository.set_settlement_status(session, original, SettlementStatus.CANCELLED)
    reverse_entry_of(session, original.setl_id, by_setl_id=cancel.setl_id, memo=f"撤销 {original.setl_id}")
    if original.mdtrt_id is not None:
        repository.release_lines(session, original.setl_id)
        visit = repository.visit(session, original.mdtrt_id)
        if visit is not None:
            reopened = VisitStatus.DISCHARGED if visit.endtime is not None else VisitStatus.OPEN
            repository.set_visit_status(session, visit, reopened)
    return cancel


def reinstate_settlement(
    session: Db, editions: Editions, setl_id: str, *, msgid: str | None, actor: str
) -> SettlementRecord:
    """Undo a cancellation (reversal of 2208/2305): the original settlement's amounts stand again as a new
    settlement row, the accumulators take them again, and a new journal entry posts them."""
    original = get_settlement(session, setl_id)
    if original.status != SettlementStatus.CANCELLED:
        raise SettlementNotCancelled(setl_id=setl_id)
    visit = repository.visit(session, original.mdtrt_id) if original.mdtrt_id else None
    if visit is not None and visit.status == VisitStatus.SETTLED:
        raise VisitSettledAgain(mdtrt_id=visit.mdtrt_id)
    check_available(session, original.psn_no, drawn(original))  # the accounts pay again what they paid
    before = repository.lock_accumulators(session, original.psn_no, original.year)
    again = _copy_settlement(original, kind=SettlementKind.SETTLE, original_setl_id=None, msgid=msgid, actor=actor,
                             sign=+1)
    record_settlement(session, again, before)
    if visit is not None:
        repository.assign_lines(session, visit, again.setl_id)
        repository.set_visit_status(session, visit, VisitStatus.SETTLED)
    return again


# --- the settlement in the ledger


def drawn(row: SettlementRecord) -> Draws:
    """What the family's accounts paid of a settlement."""
    return Draws(row.acct_pay, row.acct_mulaid_pay, row.mulaid_psn_no)


def settlement_postings(row: SettlementRecord) -> list[tuple[str, Decimal]]:
    """Direct settlement: the institution is owed the whole bill, by the funds, the family's accounts and the
    person's cash; a manual reimbursement: the funds pay the person back."""
    funds = [(fund.account, -getattr(row, fund.amount_field)) for fund in FUNDS]
    if row.kind == SettlementKind.MANUAL or row.fixmedins_code is None:
        return [(person_account(row.psn_no), row.fund_pay_sumamt), *funds]
    return [
        (institution_account(row.fixmedins_code), row.medfee_sumamt),
        *funds,
        *draw_postings(row.psn_no, drawn(row)),
        (person_account(row.psn_no), -row.psn_cash_pay),
    ]


def post_settlement(session: Db, row: SettlementRecord) -> None:
    label = "零星报销" if row.kind == SettlementKind.MANUAL else "结算"
    post_journal(session, psn_no=row.psn_no, setl_id=row.setl_id, memo=f"{label} {row.setl_id}",
                 postings=settlement_postings(row))


# --- reading settlements


def read_accumulators(session: Db, psn_no: str, year: int) -> Accumulators:
    """The person's accumulators for the year (zero before any settlement)."""
    return repository.read_accumulators(session, psn_no, year)


def visit_settlement(session: Db, visit: VisitRecord) -> SettlementRecord | None:
    """The visit's standing settlement, if it is settled."""
    return repository.standing_settlement(session, visit.mdtrt_id)


def settlements_of(session: Db, psn_no: str) -> list[SettlementRecord]:
    return repository.settlements_of(session, psn_no)


def institution_totals(
    session: Session, code: str, begin: dt.date, end: dt.date
) -> tuple[int, Decimal, Decimal, Decimal]:
    """(settlements, medfee, fund, account pay) net of cancellations, for 3201 reconciliation."""
    count, medfee, fund, acct = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(Settlement.medfee_sumamt), 0),
            func.coalesce(func.sum(Settlement.fund_pay_sumamt), 0),
            func.coalesce(func.sum(Settlement.acct_pay), 0),
        ).where(
            Settlement.fixmedins_code == code,
            Settlement.kind == SettlementKind.SETTLE.value,
            Settlement.status == SettlementStatus.VALID.value,
            Settlement.service_date >= begin,
            Settlement.service_date <= end,
        )
    ).one()
    return int(count), sql_money(medfee), sql_money(fund), sql_money(acct)
