"""The order of use of the family's accounts (POLICY.md §11; policy/family.py), as properties: what the accounts
pay never exceeds what they may pay or what they hold, the historical account comes first, then the person's own
mutual-aid account, then the first member's in the order; never more than one mutual-aid account."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from yibao.kit.money import ZERO
from yibao.policy.family import Holding, payable, plan

amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("99999.99"), places=2)
holding = st.builds(Holding, st.sampled_from(["A", "B", "C", "D"]), amounts)


@given(amounts, amounts, st.none() | holding, st.lists(holding, max_size=4))
def test_the_draws_follow_the_order_and_use_one_mutual_account(amount: Decimal, historical: Decimal,
                                                               own: Holding | None, others: list[Holding]) -> None:
    draws = plan(amount, own_historical=historical, own_mutual=own, others=others)
    assert ZERO <= draws.total <= amount
    assert draws.acct_pay == min(historical, amount)  # the historical account first, as far as it goes
    assert draws.acct_mulaid_pay >= 0
    if draws.acct_mulaid_pay:
        assert draws.mulaid_owner is not None
        candidates = ([own] if own is not None else []) + others
        chosen = next(h for h in candidates if h.balance > 0)  # the first that holds money, own account first
        assert draws.mulaid_owner == chosen.owner
        assert draws.acct_mulaid_pay == min(chosen.balance, amount - draws.acct_pay)
    else:
        assert draws.mulaid_owner is None
        rest = amount - draws.acct_pay
        assert rest == 0 or all(h.balance == 0 for h in ([own] if own else []) + others)


@given(amounts, amounts)
def test_what_the_accounts_may_pay(part: Decimal, ownpay: Decimal) -> None:
    assert payable(part, ownpay, pays_full_ownpay=True) == part
    assert payable(part, ownpay, pays_full_ownpay=False) == max(part - ownpay, ZERO)
