"""Finding insured persons as a clerk does: by name, ID, phone or psn_no, and by town, category and this year's
enrollment status (enrolled and paid, registered but unpaid, not registered) — counted and paged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session

from yibao.enrollment.models import Enrollment
from yibao.errors import InvalidInput
from yibao.people.models import Person
from yibao.people.service import search_condition
from yibao.people.towns import TOWN_BY_CODE

STATUS_FILTERS = {"active": "已参保缴费", "pending_payment": "已登记未缴费", "none": "未登记参保"}


@dataclass(frozen=True, slots=True)
class PersonFilter:
    year: int
    query: str = ""
    town: str = ""
    category: str = ""
    status: str = ""  # STATUS_FILTERS

    @property
    def empty(self) -> bool:
        return not (self.query.strip() or self.town or self.category or self.status)


def _conditions(f: PersonFilter) -> list[ColumnElement[bool]]:
    if f.empty:
        raise InvalidInput("请输入姓名、身份证号、手机号或人员编号，或选择筛选条件", field="q")
    if f.town and f.town not in TOWN_BY_CODE:
        raise InvalidInput("请从列表中选择镇（街道）", field="town")
    if f.status and f.status not in STATUS_FILTERS:
        raise InvalidInput(f"参保状态只能是：{'、'.join(STATUS_FILTERS.values())}", field="status")
    conditions = [search_condition(f.query)] if f.query.strip() else []
    if f.town:
        conditions.append(Person.town == f.town)
    live = [Enrollment.psn_no == Person.psn_no, Enrollment.year == f.year, Enrollment.status != "cancelled"]
    if f.category:
        live.append(Enrollment.category == f.category)
    if f.status in ("active", "pending_payment"):
        live.append(Enrollment.status == f.status)
    if f.status == "none":
        conditions.append(~exists().where(and_(*live)))
    elif f.category or f.status:
        conditions.append(exists().where(and_(*live)))
    return conditions


def find_people(session: Session, f: PersonFilter, *, limit: int = 50, offset: int = 0) -> tuple[Sequence[Person], int]:
    """One page of the persons the filter finds (by name, then psn_no), and how many it finds in all."""
    conditions = _conditions(f)
    total = int(session.scalar(select(func.count()).select_from(Person).where(*conditions)) or 0)
    rows = session.scalars(select(Person).where(*conditions).order_by(Person.name, Person.psn_no)
                           .offset(offset).limit(limit)).all()
    return rows, total
