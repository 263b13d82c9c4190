"""Small builders for registry tests: valid ID numbers, a registered person."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy.orm import Session

from yibao.kit.idcard import make_id_number
from yibao.people.models import Person
from yibao.people.service import register_person

_order = itertools.count(1)


def certno(birth: str, sex: str = "1", region: str = "330283") -> str:
    return make_id_number(region, dt.date.fromisoformat(birth), next(_order) % 500, sex)


def person(session: Session, birth: str = "1980-05-17", *, local: bool = True, employee: bool = False,
           name: str = "邬小明") -> Person:
    return register_person(session, certno=certno(birth), name=name, local=local, town="yuelin" if local else None,
                           employee_insured=employee)
