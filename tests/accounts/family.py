"""A family as the tests build it (POLICY.md §11): an employee-insured initiator and spouse with historical
accounts, a resident father and child, all of one household; the employee system's daily files."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from tests.gateway.his import insured
from tests.registry.helpers import certno
from yibao.accounts.family import add_member, create_network, open_mutual, transfer
from yibao.accounts.historical import HistoricalImport, import_daily_file
from yibao.people.models import Person
from yibao.people.service import register_person

HOUSEHOLD = "HH330283001"
HEADER = "身份证号,姓名,当日变动,日终余额\n"


def days_ago(n: int) -> dt.date:
    return dt.date.today() - dt.timedelta(days=n)


def daily_file(session: Session, day: dt.date, lines: list[tuple[Person, str, str]], *,
               file_id: str | None = None) -> HistoricalImport:
    """Import a daily file of (person, movement, balance) lines."""
    text = HEADER + "".join(f"{p.certno},{p.name},{movement},{balance}\n" for p, movement, balance in lines)
    return import_daily_file(session, "daily.csv", text.encode(), file_id=file_id or f"EMP{day:%Y%m%d}", day=day,
                             actor="t")


def employee(session: Session, name: str, birth: str, *, household: str | None = HOUSEHOLD) -> Person:
    return register_person(session, certno=certno(birth), name=name, local=True, town="yuelin",
                           household_no=household, employee_insured=True)


def resident(session: Session, name: str, birth: str, *, household: str | None = HOUSEHOLD,
             year: int = 2022) -> Person:
    person = insured(session, birth=birth, name=name, year=year)
    person.household_no = household
    session.flush()
    return person


@dataclass
class Family:
    initiator: Person
    spouse: Person
    father: Person
    child: Person
    network_id: str


def family(session: Session, *, initiator_balance: str = "1000.00", spouse_balance: str = "500.00",
           mutual: tuple[str, str] | None = ("300.00", "200.00"), year: int = 2022) -> Family:
    """The family in one network (order: initiator, spouse, father, child); `mutual`: what the initiator and the
    spouse move into their mutual-aid accounts (None: no mutual-aid accounts); the residents insured in `year`."""
    initiator = employee(session, "王建国", "1975-03-02")
    spouse = employee(session, "王丽华", "1977-08-09")
    father = resident(session, "王老伯", "1948-01-20", year=year)
    child = resident(session, "王小明", "2008-06-01", year=year)
    daily_file(session, days_ago(3), [(initiator, "0", initiator_balance), (spouse, "0", spouse_balance)])
    network = create_network(session, initiator_psn_no=initiator.psn_no, channel="window", actor="t")
    for person, relationship in ((spouse, "spouse"), (father, "parent"), (child, "child")):
        add_member(session, network.id, psn_no=person.psn_no, relationship=relationship, proof=None,
                   by_psn_no=initiator.psn_no)
    if mutual is not None:
        for person, amount in zip((initiator, spouse), mutual, strict=True):
            open_mutual(session, person.psn_no)
            transfer(session, person.psn_no, Decimal(amount), into_mutual=True, actor="t")
    session.commit()
    return Family(initiator, spouse, father, child, network.id)
