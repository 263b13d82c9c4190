"""The family mutual-aid network (家庭共济网, POLICY.md §11; S18 explainer): networks and their members, the order of
use, mutual-aid health accounts (共济健康账户) and the moves between them and the historical accounts (历年个账).

Every move of money is one balanced journal entry (accounts/ledger.py); a balance is the sum of its account's
postings. A move that takes money out locks the family account rows first (PostgreSQL FOR UPDATE, in account
order; SQLite's writer lock is taken at BEGIN), so no balance goes below zero, also when two members settle
against one account at once.

Accounts in the ledger: `historical:<psn_no>` (what the employee-insurance system holds for the person, kept here
from its daily files, accounts/historical.py), `mutual:<psn_no>` (the person's mutual-aid account). Channels
(S18): 宁波医保通 app (the REST API), the centre's window (the console), self-service machines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from yibao.accounts.errors import (
    AlreadyInNetwork,
    AmountInvalid,
    BalanceInsufficient,
    InitiatorCannotLeave,
    InitiatorNotEmployeeInsured,
    InitiatorWithoutBalance,
    MutualAccountOpen,
    NetworkDissolved,
    NetworkNotFound,
    NoHistoricalAccount,
    NoMutualAccount,
    NotFamily,
    NotInitiator,
    NotInNetwork,
    OrderInvalid,
    RelationshipImplausible,
    RelationshipUnproven,
    SecondSpouse,
)
from yibao.accounts.ledger import post_journal
from yibao.accounts.models import (
    FamilyAccount,
    FamilyAccountRecord,
    FamilyMember,
    FamilyMemberRecord,
    FamilyNetwork,
    Posting,
)
from yibao.db import sql_money
from yibao.errors import NotFound
from yibao.kit.clock import now
from yibao.kit.ids import new_id
from yibao.kit.money import ZERO, MoneyError, money
from yibao.people.models import Person, PersonRecord
from yibao.people.service import get_person, person_record, person_with_certno
from yibao.statements import Db, Read, Totals


class Relationship(StrEnum):
    """A member's relationship to the initiator (S18: 父母、配偶、子女)."""

    SELF = "self"
    PARENT = "parent"
    SPOUSE = "spouse"
    CHILD = "child"


RELATIONSHIP_LABELS = {Relationship.SELF: "本人", Relationship.PARENT: "父母", Relationship.SPOUSE: "配偶",
                       Relationship.CHILD: "子女"}
CHANNELS = {"app": "宁波医保通", "window": "医保中心窗口", "kiosk": "自助服务机"}  # S18: the network's channels
MIN_GENERATION_YEARS = 14  # ASSUMPTION: a parent is at least 14 years older than the child (a plausibility check)


class AccountKind(StrEnum):
    HISTORICAL = "historical"  # 历年个账
    MUTUAL = "mutual"  # 共济健康账户


ACCOUNT_LABELS = {AccountKind.HISTORICAL: "历年个账", AccountKind.MUTUAL: "共济健康账户"}


def account_of(kind: AccountKind, psn_no: str) -> str:
    return f"{kind.value}:{psn_no}"


def historical_account(psn_no: str) -> str:
    return account_of(AccountKind.HISTORICAL, psn_no)


def mutual_account(psn_no: str) -> str:
    return account_of(AccountKind.MUTUAL, psn_no)


# ---------------------------------------------------------------------------------------------------
# Reading (statements: the settlement path reads these too)

_OPEN = FamilyAccount.closed_at.is_(None)
_ACCOUNTS_OF = Read(FamilyAccountRecord, FamilyAccount, FamilyAccount.psn_no == bindparam("psn_no"), _OPEN,
                    order_by=(FamilyAccount.account,))
_ACCOUNTS = Read(FamilyAccountRecord, FamilyAccount, _OPEN, among=FamilyAccount.account,
                 order_by=(FamilyAccount.account,))
_ACCOUNTS_LOCKED = Read(FamilyAccountRecord, FamilyAccount, _OPEN, among=FamilyAccount.account,
                        order_by=(FamilyAccount.account,), lock=True)
_LIVE_MEMBER = Read(FamilyMemberRecord, FamilyMember, FamilyMember.psn_no == bindparam("psn_no"),
                    FamilyMember.left_at.is_(None))
_MEMBERS = Read(FamilyMemberRecord, FamilyMember, FamilyMember.network_id == bindparam("network_id"),
                FamilyMember.left_at.is_(None), order_by=(FamilyMember.position,))
_BALANCES = Totals(Posting.account, Posting.amount)


def balances(db: Db, accounts: Sequence[str]) -> dict[str, Decimal]:
    """The accounts' balances, from the ledger's postings (an account without postings: 0)."""
    found = _BALANCES.of(db, list(accounts))
    return {account: sql_money(found[account]) if account in found else ZERO for account in accounts}


def balance(db: Db, account: str) -> Decimal:
    return balances(db, [account])[account]


def live_member(db: Db, psn_no: str) -> FamilyMemberRecord | None:
    """The person's membership of a network, if they are in one."""
    return _LIVE_MEMBER.first(db, psn_no=psn_no)


def members_of(db: Db, network_id: str) -> list[FamilyMemberRecord]:
    """The network's members in the order of use."""
    return _MEMBERS.all(db, network_id=network_id)


def accounts_of(db: Db, psn_no: str) -> list[FamilyAccountRecord]:
    """The person's open family accounts."""
    return _ACCOUNTS_OF.all(db, psn_no=psn_no)


def open_accounts(db: Db, accounts: Sequence[str], *, lock: bool) -> list[FamilyAccountRecord]:
    """Those of the accounts that are open; `lock`: held until commit, taken in account order."""
    if not accounts:
        return []
    return (_ACCOUNTS_LOCKED if lock else _ACCOUNTS).all(db, values=sorted(accounts))


# ---------------------------------------------------------------------------------------------------
# Networks and members (the window, the app, the kiosk: one service)


def _network(session: Session, network_id: str, *, lock: bool = False) -> FamilyNetwork:
    query = select(FamilyNetwork).where(FamilyNetwork.id == network_id)
    network = session.scalar(query.with_for_update() if lock else query)
    if network is None:
        raise NetworkNotFound(network_id=network_id)
    if network.status != "active":
        raise NetworkDissolved(network_id=network_id, day=f"{network.dissolved_at:%Y-%m-%d}")
    return network


def _check_channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise OrderInvalid(problem=f"办理渠道 {channel} 未知（{'、'.join(CHANNELS)}）", field="channel")


def _not_in_a_network(session: Session, person: Person | PersonRecord) -> None:
    member = live_member(session, person.psn_no)
    if member is not None:
        network = session.get(FamilyNetwork, member.network_id)
        initiator = person_record(session, network.initiator_psn_no).name if network else member.network_id
        raise AlreadyInNetwork(name=person.name, initiator=initiator)


def _check_initiator(network: FamilyNetwork, by_psn_no: str, action: str) -> None:
    if by_psn_no != network.initiator_psn_no:
        raise NotInitiator(initiator=network.initiator_psn_no, action=action)


def create_network(session: Session, *, initiator_psn_no: str, channel: str, actor: str) -> FamilyNetwork:
    """An employee-insured person with a historical-account balance creates a network and is its first member."""
    _check_channel(channel)
    person = get_person(session, initiator_psn_no)
    if not person.employee_insured:
        raise InitiatorNotEmployeeInsured(name=person.name)
    if balance(session, historical_account(person.psn_no)) <= 0:
        raise InitiatorWithoutBalance(name=person.name)
    _not_in_a_network(session, person)
    moment = now()
    network = FamilyNetwork(id=new_id(), initiator_psn_no=person.psn_no, status="active", channel=channel,
                            created_by=actor, created_at=moment)
    session.add(network)
    session.flush()
    session.add(FamilyMember(network_id=network.id, psn_no=person.psn_no, relationship=Relationship.SELF.value,
                             proof=None, position=1, shown=False, joined_at=moment))
    session.flush()
    return network


def _relationship(value: str) -> Relationship:
    try:
        found = Relationship(value)
    except ValueError:
        raise NotFamily() from None
    if found is Relationship.SELF:
        raise NotFamily()
    return found


def _check_plausible(initiator: Person, member: Person, relationship: Relationship) -> None:
    """A parent born well before the initiator, a child well after (ASSUMPTION: MIN_GENERATION_YEARS)."""
    years = (initiator.birth_date - member.birth_date).days / 365.25
    if (relationship is Relationship.PARENT and years < MIN_GENERATION_YEARS) or (
            relationship is Relationship.CHILD and -years < MIN_GENERATION_YEARS):
        raise RelationshipImplausible(name=member.name, relationship=RELATIONSHIP_LABELS[relationship])


def _check_proof(initiator: Person, member: Person, proof: str | None) -> str | None:
    """Proof of the relationship: the same household record (户籍), or the number of a document shown."""
    proof = (proof or "").strip() or None
    same_household = initiator.household_no is not None and initiator.household_no == member.household_no
    if proof is None and not same_household:
        raise RelationshipUnproven(name=member.name)
    if proof is not None and len(proof) > 60:
        raise RelationshipUnproven(name=member.name)
    return proof if proof is not None else f"同户：{member.household_no}"


def add_member(session: Session, network_id: str, *, psn_no: str, relationship: str, proof: str | None,
               by_psn_no: str, shown: bool = False) -> FamilyMemberRecord:
    """The initiator adds a parent, the spouse or a child; they come last in the order of use."""
    network = _network(session, network_id, lock=True)
    _check_initiator(network, by_psn_no, "添加成员")
    kind = _relationship(relationship)
    initiator, member = get_person(session, network.initiator_psn_no), get_person(session, psn_no)
    _not_in_a_network(session, member)
    members = members_of(session, network.id)
    if kind is Relationship.SPOUSE:
        spouse = next((m for m in members if m.relationship == Relationship.SPOUSE), None)
        if spouse is not None:
            raise SecondSpouse(name=person_record(session, spouse.psn_no).name)
    _check_plausible(initiator, member, kind)
    row = FamilyMember(network_id=network.id, psn_no=member.psn_no, relationship=kind.value,
                       proof=_check_proof(initiator, member, proof),
                       position=max(m.position for m in members) + 1, shown=shown, joined_at=now())
    session.add(row)
    session.flush()
    return _member_record(row)


def _member_record(row: FamilyMember) -> FamilyMemberRecord:
    return FamilyMemberRecord(*(getattr(row, name) for name in FamilyMemberRecord._fields))


def _membership(session: Session, network: FamilyNetwork, psn_no: str) -> FamilyMember:
    row = session.get(FamilyMember, (network.id, psn_no))
    if row is None or row.left_at is not None:
        raise NotInNetwork(name=person_record(session, psn_no).name)
    return row


def remove_member(session: Session, network_id: str, *, psn_no: str, by_psn_no: str, reason: str) -> None:
    """A member leaves (by themself) or is removed (by the initiator); their mutual-aid account's balance goes back
    to their historical account and the account closes."""
    network = _network(session, network_id, lock=True)
    if by_psn_no != psn_no:
        _check_initiator(network, by_psn_no, "移出成员")
    if psn_no == network.initiator_psn_no:
        raise InitiatorCannotLeave()
    row = _membership(session, network, psn_no)
    moment = now()
    _close_mutual(session, psn_no, memo="退出家庭共济网，共济账户余额退回历年个账", moment=moment)
    row.left_at, row.left_reason = moment, (reason.strip() or "退出")[:100]
    session.flush()
    _renumber(session, network.id)


def dissolve(session: Session, network_id: str, *, by_psn_no: str, actor: str) -> None:
    """The initiator dissolves the network: every member leaves and every mutual-aid balance goes back."""
    network = _network(session, network_id, lock=True)
    _check_initiator(network, by_psn_no, "解散共济网")
    moment = now()
    for member in members_of(session, network.id):
        _close_mutual(session, member.psn_no, memo="家庭共济网解散，共济账户余额退回历年个账", moment=moment)
        row = session.get(FamilyMember, (network.id, member.psn_no))
        assert row is not None
        row.left_at, row.left_reason = moment, "共济网解散"
    network.status, network.dissolved_at, network.dissolved_by = "dissolved", moment, actor
    session.flush()


def _renumber(session: Session, network_id: str) -> None:
    for position, member in enumerate(members_of(session, network_id), start=1):
        if member.position != position:
            row = session.get(FamilyMember, (network_id, member.psn_no))
            assert row is not None
            row.position = position
    session.flush()


def set_order(session: Session, network_id: str, *, order: Sequence[str], by_psn_no: str) -> None:
    """Only the initiator sets the order of use, and is first in it (S18)."""
    network = _network(session, network_id, lock=True)
    _check_initiator(network, by_psn_no, "调整使用顺序")
    members = {m.psn_no for m in members_of(session, network.id)}
    given = [psn_no.strip() for psn_no in order]
    if len(set(given)) != len(given):
        raise OrderInvalid(problem="有成员重复")
    if set(given) != members:
        missing, strangers = members - set(given), set(given) - members
        raise OrderInvalid(problem="；".join(filter(None, (
            f"缺少 {'、'.join(sorted(missing))}" if missing else "",
            f"{'、'.join(sorted(strangers))} 不是成员" if strangers else ""))))
    if given[0] != network.initiator_psn_no:
        raise OrderInvalid(problem="发起人须排第一")
    for position, psn_no in enumerate(given, start=1):
        row = session.get(FamilyMember, (network.id, psn_no))
        assert row is not None
        row.position = position
    session.flush()


def set_shown(session: Session, psn_no: str, *, shown: bool) -> None:
    """A member agrees (or no longer agrees) that the other members see their account's balance."""
    member = live_member(session, psn_no)
    if member is None:
        raise NotInNetwork(name=person_record(session, psn_no).name)
    row = session.get(FamilyMember, (member.network_id, psn_no))
    assert row is not None
    row.shown = shown
    session.flush()


# ---------------------------------------------------------------------------------------------------
# Mutual-aid accounts and transfers


def _amount(value: str | Decimal) -> Decimal:
    try:
        amount = money(value)
    except MoneyError as exc:
        raise AmountInvalid(problem=f"无效（{exc}）") from None
    if amount <= 0:
        raise AmountInvalid(problem="须大于 0")
    return amount


def _open_account(session: Session, psn_no: str, kind: AccountKind, network_id: str | None) -> FamilyAccount:
    account = FamilyAccount(account=account_of(kind, psn_no), psn_no=psn_no, kind=kind.value, network_id=network_id,
                            opened_at=now(), closed_at=None)
    existing = session.get(FamilyAccount, account.account)
    if existing is not None:  # reopened (a member who left and joined again)
        existing.network_id, existing.opened_at, existing.closed_at = network_id, account.opened_at, None
        session.flush()
        return existing
    session.add(account)
    session.flush()
    return account


def historical_holder(session: Session, psn_no: str) -> FamilyAccount:
    """The person's historical account row (opened by the first daily file that names them)."""
    row = session.get(FamilyAccount, historical_account(psn_no))
    if row is None or row.closed_at is not None:
        raise NoHistoricalAccount(name=person_record(session, psn_no).name)
    return row


def open_mutual(session: Session, psn_no: str) -> FamilyAccount:
    """A member with a historical account opens a mutual-aid health account in their network."""
    member = live_member(session, psn_no)
    if member is None:
        raise NotInNetwork(name=person_record(session, psn_no).name)
    historical_holder(session, psn_no)
    found = session.get(FamilyAccount, mutual_account(psn_no))
    if found is not None and found.closed_at is None:
        raise MutualAccountOpen(name=person_record(session, psn_no).name)
    return _open_account(session, psn_no, AccountKind.MUTUAL, member.network_id)


def ensure_historical(session: Session, psn_no: str) -> None:
    """The historical account row exists and is open (the daily file's import opens it)."""
    row = session.get(FamilyAccount, historical_account(psn_no))
    if row is None or row.closed_at is not None:
        _open_account(session, psn_no, AccountKind.HISTORICAL, None)


def _locked_balances(session: Session, accounts: Sequence[str]) -> dict[str, Decimal]:
    open_accounts(session, accounts, lock=True)
    return balances(session, accounts)


@dataclass(frozen=True, slots=True)
class Transfer:
    entry_id: str
    historical: Decimal  # the balances after the move
    mutual: Decimal


def transfer(session: Session, psn_no: str, amount: str | Decimal, *, into_mutual: bool, actor: str) -> Transfer:
    """Move money from the historical account into the mutual-aid account, or back (S18: 部分或全部)."""
    value = _amount(amount)
    name = person_record(session, psn_no).name
    historical_holder(session, psn_no)
    mutual_row = session.get(FamilyAccount, mutual_account(psn_no))
    if mutual_row is None or mutual_row.closed_at is not None:
        raise NoMutualAccount(name=name)
    source, target = ((historical_account(psn_no), mutual_account(psn_no)) if into_mutual
                      else (mutual_account(psn_no), historical_account(psn_no)))
    before = _locked_balances(session, [source, target])
    if before[source] < value:
        kind = AccountKind.HISTORICAL if into_mutual else AccountKind.MUTUAL
        raise BalanceInsufficient(account=ACCOUNT_LABELS[kind], balance=before[source], amount=value)
    memo = "历年个账划入共济健康账户" if into_mutual else "共济健康账户划回历年个账"
    entry = post_journal(session, psn_no=psn_no, setl_id=None, memo=f"{memo}（{actor}）",
                         postings=[(source, -value), (target, value)])
    after = {source: before[source] - value, target: before[target] + value}
    return Transfer(entry.id, after[historical_account(psn_no)], after[mutual_account(psn_no)])


def _close_mutual(session: Session, psn_no: str, *, memo: str, moment: dt.datetime) -> None:
    """Close the person's mutual-aid account, its balance back to their historical account."""
    row = session.get(FamilyAccount, mutual_account(psn_no))
    if row is None or row.closed_at is not None:
        return
    left = _locked_balances(session, [mutual_account(psn_no), historical_account(psn_no)])[mutual_account(psn_no)]
    if left:
        ensure_historical(session, psn_no)
        post_journal(session, psn_no=psn_no, setl_id=None, memo=memo,
                     postings=[(mutual_account(psn_no), -left), (historical_account(psn_no), left)])
    row.closed_at = moment
    session.flush()


# ---------------------------------------------------------------------------------------------------
# What a member, the window or the app sees


@dataclass(frozen=True, slots=True)
class MemberView:
    psn_no: str
    name: str
    relationship: str
    relationship_name: str
    position: int
    proof: str | None
    shown: bool
    has_mutual: bool
    mutual_balance: Decimal | None  # None: the member does not let the viewer see it


@dataclass(frozen=True, slots=True)
class FamilyView:
    """A person's family accounts and, when they are in one, their network (the order of use, the members)."""

    psn_no: str
    historical: Decimal | None  # None: no historical account
    mutual: Decimal | None  # None: no mutual-aid account
    network_id: str | None
    initiator_psn_no: str | None
    channel: str | None
    members: tuple[MemberView, ...]

    @property
    def is_initiator(self) -> bool:
        return self.initiator_psn_no == self.psn_no


def family_view(session: Session, psn_no: str, *, staff: bool = False) -> FamilyView:
    """What `psn_no` sees of their accounts and network; the other members' balances only where they agreed to be
    shown (`staff`: the centre's window sees every balance)."""
    person_record(session, psn_no)
    own = {row.kind: row for row in accounts_of(session, psn_no)}
    member = live_member(session, psn_no)
    members = members_of(session, member.network_id) if member else []
    mutuals = {row.psn_no for row in open_accounts(session, [mutual_account(m.psn_no) for m in members],
                                                   lock=False)}
    wanted = [account_of(AccountKind(kind), psn_no) for kind in own]
    wanted += [mutual_account(m.psn_no) for m in members if m.psn_no in mutuals and m.psn_no != psn_no]
    found = balances(session, wanted)
    network = session.get(FamilyNetwork, member.network_id) if member else None
    views = tuple(MemberView(
        psn_no=m.psn_no, name=person_record(session, m.psn_no).name, relationship=m.relationship,
        relationship_name=RELATIONSHIP_LABELS[Relationship(m.relationship)], position=m.position, proof=m.proof,
        shown=m.shown, has_mutual=m.psn_no in mutuals,
        mutual_balance=found.get(mutual_account(m.psn_no)) if staff or m.shown or m.psn_no == psn_no else None)
        for m in members)
    return FamilyView(
        psn_no=psn_no,
        historical=found[historical_account(psn_no)] if AccountKind.HISTORICAL in own else None,
        mutual=found[mutual_account(psn_no)] if AccountKind.MUTUAL in own else None,
        network_id=network.id if network else None,
        initiator_psn_no=network.initiator_psn_no if network else None,
        channel=network.channel if network else None,
        members=views)


def move_member(session: Session, network_id: str, *, psn_no: str, up: bool, by_psn_no: str) -> None:
    """The initiator moves a member one place up or down the order of use (never above the initiator)."""
    order = [m.psn_no for m in members_of(session, network_id)]
    if psn_no not in order:
        raise NotInNetwork(name=person_record(session, psn_no).name)
    at = order.index(psn_no)
    other = at - 1 if up else at + 1
    if 1 <= other < len(order) and at >= 1:
        order[at], order[other] = order[other], order[at]
    set_order(session, network_id, order=order, by_psn_no=by_psn_no)


def relative_by_identity(session: Session, certno: str, name: str) -> str:
    """The psn_no of the registered person with this ID number and name (how a resident names a relative)."""
    found = person_with_certno(session, certno.strip().upper())
    if found is None or found.name != name.strip():
        raise NotFound("没有找到身份证号与姓名相符的参保人：请核对后重试（亲属须已在本区登记）", field="certno")
    return found.psn_no
