"""The family mutual-aid network (POLICY.md §11, S18 explainer) through its services on both databases: the
explainer's rules one by one, every refusal a named error that writes nothing, and every move of money a balanced
journal entry."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.accounts.family import HOUSEHOLD, Family, daily_file, days_ago, employee, family, resident
from tests.settlement.test_services import fee, refused, visit_at
from yibao.accounts.family import (
    add_member,
    balance,
    create_network,
    dissolve,
    historical_account,
    live_member,
    members_of,
    mutual_account,
    open_mutual,
    remove_member,
    set_order,
    transfer,
)
from yibao.accounts.ledger import ledger_balances, unbalanced_entries
from yibao.accounts.models import FamilyMember, JournalEntry
from yibao.accounts.payments import holdings
from yibao.demo import ensure_demo_institutions
from yibao.policy.editions import Editions
from yibao.settlement.fees import upload_fees
from yibao.settlement.settle import cancel_settlement, presettle, reinstate_settlement, settle_visit

D = "2022-06-15"


@pytest.fixture
def fam(session: Session) -> Family:
    ensure_demo_institutions(session)
    session.flush()
    return family(session)


def entries(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(JournalEntry)) or 0


def settle_80(session: Session, editions: Editions, psn_no: str, *, use_accounts: bool = True, sn: str = "F1"):  # type: ignore[no-untyped-def]
    """An 80-yuan 甲类 prescription at a community centre (S22 §4: 60% → personal share 32.00)."""
    visit = visit_at(session, editions, psn_no)
    upload_fees(session, editions, visit, [fee(sn)], msgid=None)
    return settle_visit(session, editions, visit, expected_total=None, msgid=None, actor="t", use_accounts=use_accounts)


def test_the_network_has_its_members_in_the_order_of_joining(fam: Family, session: Session) -> None:
    members = members_of(session, fam.network_id)
    assert [m.psn_no for m in members] == [fam.initiator.psn_no, fam.spouse.psn_no, fam.father.psn_no,
                                           fam.child.psn_no]
    assert [m.relationship for m in members] == ["self", "spouse", "parent", "child"]
    assert members[1].proof == f"同户：{HOUSEHOLD}"  # proven by the household record


# --- who may build a network and who may join


def test_a_resident_cannot_initiate_and_neither_can_an_employee_without_balance(session: Session) -> None:
    father = resident(session, "张老伯", "1950-01-01")
    refused("initiator_not_employee_insured",
            lambda: create_network(session, initiator_psn_no=father.psn_no, channel="app", actor="t"))
    poor = employee(session, "张职工", "1980-01-01")
    refused("initiator_without_balance",
            lambda: create_network(session, initiator_psn_no=poor.psn_no, channel="app", actor="t"))


def test_a_person_is_in_at_most_one_network(fam: Family, session: Session) -> None:
    refused("already_in_network",
            lambda: create_network(session, initiator_psn_no=fam.spouse.psn_no, channel="app", actor="t"))
    other = employee(session, "李职工", "1976-01-01", household="HH2")
    # that day's balances do not yet have today's moves into the mutual-aid accounts
    daily_file(session, days_ago(2), [(other, "100.00", "100.00"), (fam.initiator, "0", "1000.00"),
                                      (fam.spouse, "0", "500.00")])
    network = create_network(session, initiator_psn_no=other.psn_no, channel="kiosk", actor="t")
    error = refused("already_in_network", lambda: add_member(session, network.id, psn_no=fam.child.psn_no,
                                                             relationship="child", proof="出生证明 X1",
                                                             by_psn_no=other.psn_no))
    assert "王建国" in error.message


def test_strangers_and_non_family_are_refused(fam: Family, session: Session) -> None:
    stranger = resident(session, "外人", "1990-01-01", household="HH9")
    before = session.scalar(select(func.count()).select_from(FamilyMember))
    refused("relationship_unproven", lambda: add_member(session, fam.network_id, psn_no=stranger.psn_no,
                                                        relationship="child", proof=None,
                                                        by_psn_no=fam.initiator.psn_no))
    refused("not_family", lambda: add_member(session, fam.network_id, psn_no=stranger.psn_no,
                                             relationship="cousin", proof="X", by_psn_no=fam.initiator.psn_no))
    refused("relationship_implausible", lambda: add_member(session, fam.network_id, psn_no=stranger.psn_no,
                                                           relationship="parent", proof="户口簿 123",
                                                           by_psn_no=fam.initiator.psn_no))
    refused("second_spouse", lambda: add_member(session, fam.network_id, psn_no=stranger.psn_no,
                                                relationship="spouse", proof="结婚证 1",
                                                by_psn_no=fam.initiator.psn_no))
    refused("not_initiator", lambda: add_member(session, fam.network_id, psn_no=stranger.psn_no,
                                                relationship="child", proof="出生证明 1",
                                                by_psn_no=fam.spouse.psn_no))
    assert session.scalar(select(func.count()).select_from(FamilyMember)) == before
    # a child living elsewhere joins on the document shown
    added = add_member(session, fam.network_id, psn_no=stranger.psn_no, relationship="child",
                       proof="出生医学证明 N330283", by_psn_no=fam.initiator.psn_no)
    assert added.position == 5 and added.proof == "出生医学证明 N330283"


# --- the order of use


def test_only_the_initiator_sets_the_order_and_is_first(fam: Family, session: Session) -> None:
    i, s, f, c = (p.psn_no for p in (fam.initiator, fam.spouse, fam.father, fam.child))
    refused("not_initiator", lambda: set_order(session, fam.network_id, order=[i, c, f, s], by_psn_no=s))
    refused("order_invalid", lambda: set_order(session, fam.network_id, order=[s, i, f, c], by_psn_no=i))
    refused("order_invalid", lambda: set_order(session, fam.network_id, order=[i, s, f], by_psn_no=i))
    refused("order_invalid", lambda: set_order(session, fam.network_id, order=[i, s, f, c, c], by_psn_no=i))
    set_order(session, fam.network_id, order=[i, c, f, s], by_psn_no=i)
    assert [m.psn_no for m in members_of(session, fam.network_id)] == [i, c, f, s]


# --- mutual-aid accounts and transfers


def test_transfers_both_ways_are_balanced_and_never_overdraw(fam: Family, session: Session) -> None:
    i = fam.initiator.psn_no
    assert balance(session, historical_account(i)) == Decimal("700.00")
    assert balance(session, mutual_account(i)) == Decimal("300.00")
    made = entries(session)
    refused("balance_insufficient", lambda: transfer(session, i, "700.01", into_mutual=True, actor="t"))
    refused("balance_insufficient", lambda: transfer(session, i, "300.01", into_mutual=False, actor="t"))
    for bad in ("-5", "0", "1.005", "abc"):
        refused("amount_invalid", lambda bad=bad: transfer(session, i, bad, into_mutual=True, actor="t"))
    assert entries(session) == made
    back = transfer(session, i, "120.50", into_mutual=False, actor="t")
    assert (back.historical, back.mutual) == (Decimal("820.50"), Decimal("179.50"))
    whole = transfer(session, i, "820.50", into_mutual=True, actor="t")  # 部分或全部: the whole balance too
    assert (whole.historical, whole.mutual) == (Decimal("0.00"), Decimal("1000.00"))
    assert unbalanced_entries(session) == []


def test_only_a_member_with_a_historical_account_opens_a_mutual_aid_account(fam: Family, session: Session) -> None:
    refused("no_historical_account", lambda: open_mutual(session, fam.father.psn_no))
    refused("mutual_account_open", lambda: open_mutual(session, fam.initiator.psn_no))
    outsider = employee(session, "赵职工", "1970-01-01", household="HH3")
    refused("not_in_network", lambda: open_mutual(session, outsider.psn_no))
    refused("no_historical_account", lambda: transfer(session, fam.father.psn_no, "1", into_mutual=True, actor="t"))


# --- at settlement: S18's order, one mutual-aid account


def test_own_historical_then_own_mutual_account(fam: Family, session: Session, editions: Editions) -> None:
    f = fam.father.psn_no  # a resident now, with the historical account of his years in employee insurance
    daily_file(session, days_ago(2), [(fam.initiator, "0", "1000.00"), (fam.spouse, "0", "500.00"),
                                      (fam.father, "0", "1000.00")])
    open_mutual(session, f)
    transfer(session, f, "990.00", into_mutual=True, actor="t")  # historical 10.00, mutual 990.00
    row = settle_80(session, editions, f)
    assert row.psn_part_amt == Decimal("32.00")
    assert (row.acct_pay, row.acct_mulaid_pay, row.mulaid_psn_no, row.psn_cash_pay) == (
        Decimal("10.00"), Decimal("22.00"), f, Decimal("0.00"))
    assert balance(session, historical_account(f)) == Decimal("0.00")
    assert balance(session, mutual_account(f)) == Decimal("968.00")
    assert balance(session, mutual_account(fam.initiator.psn_no)) == Decimal("300.00")  # only one mutual account


def test_a_resident_member_draws_on_the_first_account_in_the_order(fam: Family, session: Session,
                                                                   editions: Editions) -> None:
    row = settle_80(session, editions, fam.father.psn_no)
    assert (row.acct_pay, row.acct_mulaid_pay, row.mulaid_psn_no, row.psn_cash_pay) == (
        Decimal("0.00"), Decimal("32.00"), fam.initiator.psn_no, Decimal("0.00"))
    i, s, f, c = (p.psn_no for p in (fam.initiator, fam.spouse, fam.father, fam.child))
    set_order(session, fam.network_id, order=[i, s, c, f], by_psn_no=i)
    transfer(session, i, "268.00", into_mutual=False, actor="t")  # the initiator's mutual account: 0
    row = settle_80(session, editions, f, sn="F2")
    assert (row.acct_mulaid_pay, row.mulaid_psn_no) == (Decimal("32.00"), s)


def test_one_settlement_uses_at_most_one_mutual_aid_account(fam: Family, session: Session,
                                                           editions: Editions) -> None:
    i = fam.initiator.psn_no
    transfer(session, i, "290.00", into_mutual=False, actor="t")  # initiator's mutual: 10.00, spouse's: 200.00
    row = settle_80(session, editions, fam.child.psn_no)
    assert (row.acct_mulaid_pay, row.mulaid_psn_no, row.psn_cash_pay) == (Decimal("10.00"), i, Decimal("22.00"))
    assert balance(session, mutual_account(fam.spouse.psn_no)) == Decimal("200.00")  # untouched


def test_acct_used_flag_0_pays_all_in_cash(fam: Family, session: Session, editions: Editions) -> None:
    row = settle_80(session, editions, fam.father.psn_no, use_accounts=False)
    assert (row.acct_pay, row.acct_mulaid_pay, row.mulaid_psn_no, row.psn_cash_pay) == (
        Decimal("0.00"), Decimal("0.00"), None, Decimal("32.00"))
    assert balance(session, mutual_account(fam.initiator.psn_no)) == Decimal("300.00")


def test_presettlement_shows_the_draw_without_drawing(fam: Family, session: Session, editions: Editions) -> None:
    visit = visit_at(session, editions, fam.father.psn_no)
    upload_fees(session, editions, visit, [fee("F1")], msgid=None)
    made = entries(session)
    row = presettle(session, editions, visit)
    assert (row.acct_mulaid_pay, row.mulaid_psn_no) == (Decimal("32.00"), fam.initiator.psn_no)
    assert entries(session) == made and balance(session, mutual_account(fam.initiator.psn_no)) == Decimal("300.00")


def test_cancel_gives_back_to_the_same_account_and_reinstating_draws_again(fam: Family, session: Session,
                                                                          editions: Editions) -> None:
    i = fam.initiator.psn_no
    row = settle_80(session, editions, fam.father.psn_no)
    assert balance(session, mutual_account(i)) == Decimal("268.00")
    cancel = cancel_settlement(session, row.setl_id, institution=None, msgid=None, actor="t")
    assert (cancel.acct_mulaid_pay, cancel.mulaid_psn_no) == (Decimal("-32.00"), i)
    assert balance(session, mutual_account(i)) == Decimal("300.00")
    again = reinstate_settlement(session, editions, row.setl_id, msgid=None, actor="t")
    assert (again.acct_mulaid_pay, again.mulaid_psn_no) == (Decimal("32.00"), i)
    assert balance(session, mutual_account(i)) == Decimal("268.00")
    cancel_settlement(session, again.setl_id, institution=None, msgid=None, actor="t")
    transfer(session, i, "290.00", into_mutual=False, actor="t")  # 10.00 left: not enough to pay 32.00 again
    made = entries(session)
    refused("balance_insufficient", lambda: reinstate_settlement(session, editions, again.setl_id, msgid=None,
                                                                 actor="t"))
    assert entries(session) == made
    assert unbalanced_entries(session) == []


def test_what_is_usable_is_the_historical_and_one_mutual_account(fam: Family, session: Session) -> None:
    assert holdings(session, fam.initiator.psn_no, lock=False).usable == Decimal("1000.00")  # 700 + own 300
    assert holdings(session, fam.father.psn_no, lock=False).usable == Decimal("300.00")  # the first in order
    outsider = resident(session, "路人", "1960-01-01", household=None)
    assert holdings(session, outsider.psn_no, lock=False).usable == Decimal("0.00")


# --- leaving and dissolving


def test_a_member_leaves_and_the_mutual_balance_goes_back(fam: Family, session: Session) -> None:
    s = fam.spouse.psn_no
    refused("initiator_cannot_leave", lambda: remove_member(session, fam.network_id, psn_no=fam.initiator.psn_no,
                                                            by_psn_no=fam.initiator.psn_no, reason=""))
    refused("not_initiator", lambda: remove_member(session, fam.network_id, psn_no=fam.child.psn_no,
                                                   by_psn_no=s, reason="x"))
    remove_member(session, fam.network_id, psn_no=s, by_psn_no=s, reason="本人申请退出")
    assert live_member(session, s) is None
    assert balance(session, mutual_account(s)) == Decimal("0.00")
    assert balance(session, historical_account(s)) == Decimal("500.00")
    assert [m.position for m in members_of(session, fam.network_id)] == [1, 2, 3]
    refused("no_mutual_account", lambda: transfer(session, s, "1", into_mutual=True, actor="t"))


def test_dissolving_returns_every_balance(fam: Family, session: Session, editions: Editions) -> None:
    refused("not_initiator", lambda: dissolve(session, fam.network_id, by_psn_no=fam.spouse.psn_no, actor="t"))
    dissolve(session, fam.network_id, by_psn_no=fam.initiator.psn_no, actor="t")
    assert balance(session, historical_account(fam.initiator.psn_no)) == Decimal("1000.00")
    assert balance(session, historical_account(fam.spouse.psn_no)) == Decimal("500.00")
    assert live_member(session, fam.father.psn_no) is None
    refused("network_dissolved", lambda: set_order(session, fam.network_id, order=[fam.initiator.psn_no],
                                                   by_psn_no=fam.initiator.psn_no))
    row = settle_80(session, editions, fam.father.psn_no)
    assert row.psn_cash_pay == Decimal("32.00")
    # the initiator may build a new network afterwards
    create_network(session, initiator_psn_no=fam.initiator.psn_no, channel="app", actor="t")
    ledger = ledger_balances(session)
    assert sum(ledger.values(), Decimal(0)) == 0
