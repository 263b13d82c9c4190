"""People (issue 3 §2): ID numbers by GB 11643, cross-checks, towns (S22 §8), certificates."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.registry.helpers import certno, person
from yibao.errors import Conflict, InvalidInput, NotFound
from yibao.people.models import Person
from yibao.people.service import add_certificate, find_persons, get_person, register_person


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Person)) or 0


def test_register_derives_birth_date_and_sex_from_the_id_number(session: Session) -> None:
    p = register_person(session, certno=certno("1990-02-28", sex="2"), name=" 竺丽 ", local=True, town="xikou")
    assert (p.birth_date, p.sex, p.name) == (dt.date(1990, 2, 28), "2", "竺丽")
    assert p.psn_no.startswith("330213") and len(p.psn_no) == 16


def test_psn_numbers_are_consecutive_and_unique(session: Session) -> None:
    a, b = person(session, "1970-01-01"), person(session, "1971-01-01")
    assert int(b.psn_no) == int(a.psn_no) + 1


@pytest.mark.parametrize(("number", "message"), [
    ("33028319800517024", "18 位"), ("330283198005170241", "校验位"), ("330283198013170249", "出生日期"),
    ("33028319800517A24X", "前 17 位"),
])
def test_invalid_id_numbers_are_refused_and_nothing_is_written(session: Session, number: str, message: str) -> None:
    before = count(session)
    with pytest.raises(InvalidInput, match=message):
        register_person(session, certno=number, name="测试", local=True, town="xikou")
    assert count(session) == before


def test_entered_birth_date_and_sex_are_cross_checked(session: Session) -> None:
    number = certno("1985-07-01", sex="1")
    with pytest.raises(InvalidInput, match="出生日期"):
        register_person(session, certno=number, name="甲", local=True, town="xikou", birth_date=dt.date(1985, 7, 2))
    with pytest.raises(InvalidInput, match="性别"):
        register_person(session, certno=number, name="甲", local=True, town="xikou", sex="2")


def test_the_same_id_number_cannot_be_registered_twice(session: Session) -> None:
    p = person(session)
    with pytest.raises(Conflict, match=p.psn_no):
        register_person(session, certno=p.certno.lower(), name="又一个", local=True, town="xikou")


def test_local_persons_need_one_of_the_12_towns(session: Session) -> None:
    with pytest.raises(InvalidInput, match="镇（街道）"):
        register_person(session, certno=certno("1960-01-01"), name="乙", local=True, town="shanghai")
    with pytest.raises(InvalidInput):
        register_person(session, certno=certno("1960-01-01"), name="乙", local=False, town="xikou")


def test_find_by_name_id_number_or_psn_no(session: Session) -> None:
    p = person(session, name="毛福梅")
    assert [x.psn_no for x in find_persons(session, "毛福")] == [p.psn_no]
    assert find_persons(session, p.certno)[0].psn_no == p.psn_no
    assert find_persons(session, p.psn_no)[0].psn_no == p.psn_no
    with pytest.raises(NotFound):
        get_person(session, "330213999999999")


def test_certificates_with_validity(session: Session) -> None:
    p = person(session)
    add_certificate(session, psn_no=p.psn_no, kind="minimum_living", cert_no="DB001",
                    valid_from=dt.date(2021, 1, 1), valid_to=dt.date(2022, 12, 31))
    assert [c.kind for c in get_person(session, p.psn_no, with_certificates=True).certificates] == ["minimum_living"]
    with pytest.raises(InvalidInput, match="证件类别"):
        add_certificate(session, psn_no=p.psn_no, kind="vip", cert_no="X", valid_from=dt.date(2021, 1, 1),
                        valid_to=None)
    with pytest.raises(InvalidInput, match="有效期"):
        add_certificate(session, psn_no=p.psn_no, kind="minimum_living", cert_no="X",
                        valid_from=dt.date(2022, 1, 1), valid_to=dt.date(2021, 1, 1))


def test_search_filters_by_town_category_and_this_years_status(session: Session) -> None:
    """Issue 20: the clerk's filters — town, this year's category and enrollment status (paid, unpaid, none)."""
    import datetime as dt

    from tests.gateway.his import insured
    from yibao.enrollment.search import PersonFilter, find_people
    from yibao.errors import InvalidInput

    year = dt.date.today().year
    paid = insured(session, year=year, name="竺筛选")
    found, total = find_people(session, PersonFilter(year, "竺筛选", status="active"))
    assert [p.psn_no for p in found] == [paid.psn_no] and total == 1
    assert find_people(session, PersonFilter(year, "竺筛选", status="pending_payment"))[1] == 0
    assert find_people(session, PersonFilter(year, "竺筛选", status="none"))[1] == 0
    assert find_people(session, PersonFilter(year, "竺筛选", category="adult"))[1] == 1
    assert find_people(session, PersonFilter(year, "竺筛选", category="student"))[1] == 0
    assert find_people(session, PersonFilter(year, "竺筛选", town="yuelin"))[1] == 1
    assert find_people(session, PersonFilter(year - 5, "竺筛选", status="none"))[1] == 1  # not enrolled then
    with pytest.raises(InvalidInput):
        find_people(session, PersonFilter(year))
