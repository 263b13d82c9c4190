"""Institution clearing (clearing/service.py; issue 16 item 2) on both databases: a month's statement by fund and
benefit equal to the settlements it took, audit's refusal deducted, a late cancellation in the next month's, each
settlement in exactly one statement, four-eyes approval posting the payable, payment clearing it, the ledger
balanced; every refusal a named error that writes nothing."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tests.gateway.his import insured
from tests.settlement.test_services import COMMUNITY, PEOPLES, fee, refused, visit_at
from yibao.accounts.ledger import ledger_balances, unbalanced_entries
from yibao.accounts.models import JournalEntry
from yibao.clearing import service as clearing
from yibao.clearing.models import Clearing
from yibao.demo import ensure_demo_institutions
from yibao.policy.editions import Editions
from yibao.settlement.fees import upload_fees
from yibao.settlement.models import Settlement
from yibao.settlement.settle import cancel_settlement, settle_visit

OCTOBER, NOVEMBER = "2026-10", "2026-11"


def settled_on(session: Session, editions: Editions, psn_no: str, moment: str, *, code: str = COMMUNITY,
               price: str = "40", sn: str = "F1") -> str:
    """A settlement made at `moment` (the row's setl_time moved there: the clock is the real one)."""
    visit = visit_at(session, editions, psn_no, code=code)
    upload_fees(session, editions, visit, [fee(sn, price=price)], msgid=None)
    row = settle_visit(session, editions, visit, expected_total=None, msgid=None, actor="t")
    at_moment(session, row.setl_id, moment)
    return row.setl_id


def at_moment(session: Session, setl_id: str, moment: str) -> None:
    session.execute(update(Settlement).where(Settlement.setl_id == setl_id)
                    .values(setl_time=dt.datetime.fromisoformat(moment)))
    session.expire_all()


@pytest.fixture
def month(session: Session, editions: Editions) -> dict[str, str]:
    """October: two settlements at the community centre (80.00 and 100.00 of 甲类 → 60% fund), one at the
    people's hospital; A is cancelled in November."""
    ensure_demo_institutions(session)
    person = insured(session)
    a = settled_on(session, editions, person.psn_no, "2026-10-10 09:00:00")
    b = settled_on(session, editions, person.psn_no, "2026-10-31 23:59:59", price="50", sn="F2")
    c = settled_on(session, editions, person.psn_no, "2026-10-12 10:00:00", code=PEOPLES, sn="F3")
    cancel = cancel_settlement(session, a, institution=None, msgid=None, actor="t")
    at_moment(session, cancel.setl_id, "2026-11-02 08:00:00")
    return {"a": a, "b": b, "c": c, "cancel": cancel.setl_id, "psn_no": person.psn_no}


def fund_of(session: Session, setl_ids: list[str]) -> Decimal:
    return sum((row.hifp_pay for row in session.scalars(select(Settlement).where(Settlement.setl_id.in_(setl_ids)))),
               Decimal(0))


def test_a_months_statement_is_its_settlements_less_audits_refusal(month: dict[str, str], session: Session) -> None:
    clearing.record_deduction(session, fixmedins_code=COMMUNITY, kind="refusal", fund="390100", amount="5.00",
                              reason="串换项目（稽查结论）", actor="auditor", setl_id=month["b"], case_ref="JC2026-01")
    made = clearing.build(session, fixmedins_code=COMMUNITY, month=OCTOBER, actor="clerk1")
    lines = clearing.statement_lines(session, made.id)
    assert {row.setl_id for row in lines} == {month["a"], month["b"]}  # not the people's hospital's, not November's
    assert made.settlements == 2
    assert made.hifp_pay == fund_of(session, [month["a"], month["b"]]) == Decimal("108.00")  # 60% of 80 and 100
    assert made.medfee_sumamt == Decimal("180.00") and made.psn_cash_pay == Decimal("72.00")
    assert (made.deductions, made.payable) == (Decimal("5.00"), Decimal("103.00"))
    assert json.loads(made.by_benefit) == {"outpatient": {"count": "2", "medfee_sumamt": "180.00",
                                                          "fund_pay_sumamt": "108.00"}}
    assert made.status == "draft"


def test_a_late_cancellation_falls_into_the_next_months_statement(month: dict[str, str], session: Session) -> None:
    october = clearing.build(session, fixmedins_code=COMMUNITY, month=OCTOBER, actor="clerk1")
    november = clearing.build(session, fixmedins_code=COMMUNITY, month=NOVEMBER, actor="clerk1")
    assert [row.setl_id for row in clearing.statement_lines(session, november.id)] == [month["cancel"]]
    assert (november.hifp_pay, november.payable) == (Decimal("-48.00"), Decimal("-48.00"))
    taken = session.execute(select(Settlement.clearing_id, func.count()).where(Settlement.fixmedins_code == COMMUNITY)
                            .group_by(Settlement.clearing_id)).all()
    assert dict(taken) == {october.id: 2, november.id: 1}  # each settlement in exactly one statement


def test_four_eyes_approval_posts_the_payable_and_payment_clears_it(month: dict[str, str], session: Session) -> None:
    clearing.record_deduction(session, fixmedins_code=COMMUNITY, kind="recovery", fund="390100", amount="8.00",
                              reason="上月违规费用追回", actor="auditor")
    made = clearing.build(session, fixmedins_code=COMMUNITY, month=OCTOBER, actor="clerk1")
    entries = session.scalar(select(func.count()).select_from(JournalEntry))
    refused("own_clearing", lambda: clearing.approve(session, made.id, actor="clerk1"))
    refused("clearing_wrong_status", lambda: clearing.pay(session, made.id, payment_ref="T1", actor="clerk2"))
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == entries
    before = ledger_balances(session)
    clearing.approve(session, made.id, actor="clerk2")
    refused("clearing_wrong_status", lambda: clearing.approve(session, made.id, actor="clerk3"))
    after = ledger_balances(session)
    assert after[f"payable:{COMMUNITY}"] == Decimal("-100.00")  # 108.00 − 8.00 owed to the centre
    assert after["fund:390100"] - before["fund:390100"] == Decimal("8.00")  # the recovery goes back to the fund
    refused("deduction_invalid", lambda: clearing.pay(session, made.id, payment_ref=" ", actor="cashier"))
    paid = clearing.pay(session, made.id, payment_ref="BOC20261105001", actor="cashier")
    assert paid.status == "paid"
    balances = ledger_balances(session)
    assert balances[f"payable:{COMMUNITY}"] == 0 and balances["bank:centre"] == Decimal("-100.00")
    assert unbalanced_entries(session) == [] and sum(balances.values(), Decimal(0)) == 0
    refused("clearing_wrong_status", lambda: clearing.discard(session, made.id, actor="clerk1"))


def test_months_are_cleared_once_in_order_and_only_when_closed(month: dict[str, str], session: Session) -> None:
    made = clearing.build(session, fixmedins_code=COMMUNITY, month=OCTOBER, actor="clerk1")
    count = session.scalar(select(func.count()).select_from(Clearing))
    refused("clearing_exists", lambda: clearing.build(session, fixmedins_code=COMMUNITY, month=OCTOBER, actor="x"))
    refused("clearing_exists", lambda: clearing.build(session, fixmedins_code=COMMUNITY, month="2026-09", actor="x"))
    refused("month_not_closed", lambda: clearing.build(session, fixmedins_code=COMMUNITY,
                                                       month=f"{dt.date.today():%Y-%m}", actor="x"))
    for bad in ("2026-13", "2026-1", "十月"):
        refused("month_invalid", lambda bad=bad: clearing.build(session, fixmedins_code=COMMUNITY, month=bad,
                                                                actor="x"))
    refused("institution_not_found", lambda: clearing.build(session, fixmedins_code="H0", month=OCTOBER, actor="x"))
    assert session.scalar(select(func.count()).select_from(Clearing)) == count
    gone = clearing.discard(session, made.id, actor="clerk2")  # a draft set aside frees its rows
    assert (gone.status, gone.discarded_by, gone.approved_by) == ("discarded", "clerk2", None)
    assert gone.discarded_at is not None and gone.approved_at is None
    again = clearing.build(session, fixmedins_code=COMMUNITY, month=OCTOBER, actor="clerk1")
    assert (again.settlements, again.payable) == (made.settlements, made.payable)


@pytest.mark.parametrize(("kind", "fund", "amount", "reason"), [
    ("fine", "390100", "1", "x"), ("refusal", "999999", "1", "x"), ("refusal", "390100", "-1", "x"),
    ("refusal", "390100", "1.001", "x"), ("refusal", "390100", "1", " ")])
def test_a_bad_deduction_is_refused(session: Session, kind: str, fund: str, amount: str, reason: str) -> None:
    ensure_demo_institutions(session)
    refused("deduction_invalid", lambda: clearing.record_deduction(
        session, fixmedins_code=COMMUNITY, kind=kind, fund=fund, amount=amount, reason=reason, actor="a"))


def test_an_amendment_cannot_reach_back_into_a_cleared_month(month: dict[str, str], session: Session,
                                                            editions: Editions) -> None:
    """Issue 17: once a month's clearing is approved, a parameter amendment may not take effect in it."""
    from yibao.parameters import service as parameters

    assert clearing.cleared_through(session) is None
    made = clearing.build(session, fixmedins_code=COMMUNITY, month=OCTOBER, actor="clerk1")
    clearing.approve(session, made.id, actor="clerk2")
    through = clearing.cleared_through(session)
    assert through == dt.date(2026, 10, 31)
    refused("amendment_in_cleared_month", lambda: parameters.propose(
        session, editions, edition="2022", path="first_selfpay_default", value="0.20", source="奉医保〔2026〕1号",
        effective_from=dt.date(2026, 10, 15), actor="admin1", cleared_through=through))
    proposed = parameters.propose(session, editions, edition="2022", path="first_selfpay_default", value="0.20",
                                  source="奉医保〔2026〕1号", effective_from=dt.date(2026, 11, 1), actor="admin1",
                                  cleared_through=through)
    assert proposed.status == "proposed"
