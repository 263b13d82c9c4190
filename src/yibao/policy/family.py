"""What the family's accounts pay of a settlement's personal share (POLICY.md §11, S18 家庭共济网 explainer).
Pure: the balances come in as values; the accounts domain keeps them in the ledger.

In order: the person's own historical account (历年个账), then the person's own mutual-aid health account
(共济健康账户); where those are missing or not enough, the other members' mutual-aid accounts in the order the
initiator set. **One settlement uses at most one mutual-aid account** (S18): the person's own where it has money,
else the first member's in the order that has money; what is still owed is paid in cash.

What the accounts may pay is a parameter of the edition (`family_accounts.pays_full_ownpay`, an ASSUMPTION): the
whole personal share `psn_part_amt`, or that share without the items wholly at the person's own cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from yibao.kit.money import ZERO

MUTUAL_ACCOUNTS_PER_SETTLEMENT = 1  # S18 家庭共济网 explainer: 一次结算只能使用一个共济健康账户


class Holding(NamedTuple):
    """A mutual-aid account that may pay: whose it is and its balance."""

    owner: str
    balance: Decimal


class Draws(NamedTuple):
    """What the accounts pay of one settlement; `mulaid_owner`: whose mutual-aid account paid, if one did."""

    acct_pay: Decimal = ZERO
    acct_mulaid_pay: Decimal = ZERO
    mulaid_owner: str | None = None

    @property
    def total(self) -> Decimal:
        return self.acct_pay + self.acct_mulaid_pay


NO_DRAWS = Draws()


def payable(psn_part_amt: Decimal, fulamt_ownpay_amt: Decimal, *, pays_full_ownpay: bool) -> Decimal:
    """What of the personal share the family's accounts may pay (the edition's parameter says)."""
    return psn_part_amt if pays_full_ownpay else max(psn_part_amt - fulamt_ownpay_amt, ZERO)


def plan(amount: Decimal, *, own_historical: Decimal, own_mutual: Holding | None,
         others: Sequence[Holding]) -> Draws:
    """The accounts that pay `amount` (what the accounts may pay) and how much each, in S18's order.

    `own_historical`: the person's historical-account balance (0 when they have none); `own_mutual`: their own
    mutual-aid account, None when they have none; `others`: the other members' mutual-aid accounts in
    the initiator's order."""
    if amount <= 0:
        return NO_DRAWS
    historical = min(max(own_historical, ZERO), amount)
    rest = amount - historical
    if rest == 0:
        return Draws(historical)
    candidates = ([own_mutual] if own_mutual is not None else []) + list(others)
    for owner, balance in candidates:
        if balance > 0:
            return Draws(historical, min(balance, rest), owner)
    return Draws(historical)
