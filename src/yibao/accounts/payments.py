"""The family's accounts at settlement (POLICY.md §11): which accounts a person's settlement may draw on, what the
order of use makes them pay (policy/family.py), and the postings that draw it. A cancellation's reversing entry
gives the money back to the same accounts (accounts/ledger.reverse_entry_of).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, literal, select, union_all

from yibao.accounts.errors import BalanceInsufficient
from yibao.accounts.family import (
    ACCOUNT_LABELS,
    AccountKind,
    balances,
    historical_account,
    members_of,
    mutual_account,
    open_accounts,
)
from yibao.accounts.models import FamilyAccount, FamilyMember
from yibao.kit.money import ZERO
from yibao.policy.family import NO_DRAWS, Draws, Holding, plan
from yibao.statements import Db, Keys

UNLIMITED = Decimal("99999999999999.99")


@dataclass(frozen=True, slots=True)
class Holdings:
    """The accounts a person's settlement may draw on, with their balances."""

    own_historical: Decimal = ZERO
    own_mutual: Holding | None = None
    others: tuple[Holding, ...] = ()  # the other members' mutual-aid accounts, in the order of use

    def draws(self, amount: Decimal) -> Draws:
        return plan(amount, own_historical=self.own_historical, own_mutual=self.own_mutual, others=self.others)

    @property
    def usable(self) -> Decimal:
        """What one settlement could draw at most (the historical account and one mutual-aid account)."""
        return self.draws(UNLIMITED).total

    def after(self, draws: Draws) -> Holdings:
        """The holdings once the draws are taken."""
        def less(holding: Holding) -> Holding:
            taken = draws.acct_mulaid_pay if holding.owner == draws.mulaid_owner else ZERO
            return Holding(holding.owner, holding.balance - taken)

        return Holdings(self.own_historical - draws.acct_pay,
                        less(self.own_mutual) if self.own_mutual is not None else None,
                        tuple(less(h) for h in self.others))


NONE_HELD = Holdings()


NETWORK = "network:"
# in one read (the settlement path: most people have neither): the person's open accounts and their network
_FAMILY_KEYS = Keys(union_all(
    select(FamilyAccount.account).where(FamilyAccount.psn_no == bindparam("psn_no"), FamilyAccount.closed_at.is_(None)),
    select(literal(NETWORK) + FamilyMember.network_id).where(FamilyMember.psn_no == bindparam("psn_no"),
                                                             FamilyMember.left_at.is_(None))))


def holdings(db: Db, psn_no: str, *, lock: bool) -> Holdings:
    """The person's own historical and mutual-aid accounts and their network's other mutual-aid accounts;
    `lock`: the accounts are locked until commit (a settlement that will draw on them)."""
    keys = _FAMILY_KEYS.all(db, psn_no=psn_no)
    own = [key for key in keys if not key.startswith(NETWORK)]
    network = next((key.removeprefix(NETWORK) for key in keys if key.startswith(NETWORK)), None)
    others = [m.psn_no for m in members_of(db, network) if m.psn_no != psn_no] if network else []
    if not own and not others:
        return NONE_HELD
    wanted = [*own, *(mutual_account(other) for other in others)]
    opened = {row.account for row in open_accounts(db, wanted, lock=lock)}
    found = balances(db, [account for account in wanted if account in opened])
    mine = mutual_account(psn_no)
    return Holdings(
        own_historical=found.get(historical_account(psn_no), ZERO),
        own_mutual=Holding(psn_no, found[mine]) if mine in found else None,
        others=tuple(Holding(other, found[mutual_account(other)]) for other in others
                     if mutual_account(other) in found),
    )


def draw_postings(psn_no: str, draws: Draws) -> list[tuple[str, Decimal]]:
    """The postings that take the draws out of the accounts (credits); the caller posts what they paid for."""
    lines = [(historical_account(psn_no), -draws.acct_pay)]
    if draws.mulaid_owner is not None:
        lines.append((mutual_account(draws.mulaid_owner), -draws.acct_mulaid_pay))
    return lines


def check_available(db: Db, psn_no: str, draws: Draws) -> None:
    """The accounts hold the draws again (a reinstated settlement draws what the original did): locked, checked."""
    if draws.total == 0:
        return
    needed = {historical_account(psn_no): (AccountKind.HISTORICAL, draws.acct_pay)}
    if draws.mulaid_owner is not None:
        needed[mutual_account(draws.mulaid_owner)] = (AccountKind.MUTUAL, draws.acct_mulaid_pay)
    accounts: Sequence[str] = [account for account, (_, amount) in needed.items() if amount > 0]
    open_accounts(db, accounts, lock=True)
    found = balances(db, accounts)
    for account in accounts:
        kind, amount = needed[account]
        if found[account] < amount:
            raise BalanceInsufficient(account=ACCOUNT_LABELS[kind], balance=found[account], amount=amount)


__all__ = ["NONE_HELD", "NO_DRAWS", "Draws", "Holdings", "check_available", "draw_postings", "holdings"]
