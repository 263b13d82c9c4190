"""yibao.rawsql: the settlement hot path's statements store and read values exactly as the ORM does, on SQLite
and PostgreSQL, inside the session's own transaction, and a driver error comes out as SQLAlchemy's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.registry.helpers import person
from yibao import rawsql
from yibao.accounts.models import JournalEntry, Posting
from yibao.institutions.service import register_institution
from yibao.settlement.models import Accumulator, Visit

VISITS = rawsql.Insert(Visit)
VISIT = rawsql.select(Visit, where="mdtrt_id = ?")
ACCUMULATORS = rawsql.Insert(Accumulator)
ACCUMULATOR = rawsql.select(Accumulator, where="psn_no = ? AND year = ?", lock=True)
POSTINGS_IN = rawsql.select(Posting, "line amount", "entry_id = ? AND line IN ({many})", order="line")


@pytest.fixture(autouse=True)
def hospital(session: Session) -> None:
    register_institution(session, fixmedins_code="H33021399999", name="测试医院", kind="hospital", hosp_lv="02")


def visit_values(psn_no: str, mdtrt_id: str) -> dict[str, object]:
    return dict.fromkeys(VISITS.names) | {
        "psn_no": psn_no, "mdtrt_id": mdtrt_id, "fixmedins_code": "H33021399999", "med_type": "21",
        "insutype": "390", "begntime": dt.datetime(2022, 3, 1, 8, 0, 0),
        "endtime": dt.datetime(2022, 3, 9, 17, 30, 5, 120),
        "status": "open", "mdtrt_cert_type": "02", "created_at": dt.datetime(2022, 3, 1, 8, 0, 1)}


def test_a_raw_row_reads_back_through_the_orm_alike(session: Session) -> None:
    p = person(session)
    values = visit_values(p.psn_no, "M1")
    VISITS.row(session, VISITS.make(**values))
    orm = session.scalar(select(Visit).where(Visit.mdtrt_id == "M1"))
    assert orm is not None
    assert {name: getattr(orm, name) for name in VISITS.names} == values
    record = VISIT.first(session, "M1")
    assert record._asdict() == values
    # a row the ORM wrote reads back through a raw statement alike
    orm.status, orm.dise_name = "discharged", "肺炎"
    assert VISIT.first(session, "M1").status == "discharged"  # pending ORM changes are flushed first
    assert VISIT.first(session, "M1").dise_name == "肺炎"


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.lists(st.decimals(min_value=Decimal("-9999999.99"), max_value=Decimal("9999999.99"), places=2),
                min_size=5, max_size=5))
def test_money_round_trips_to_the_fen(session: Session, amounts: list[Decimal]) -> None:
    """Money stored by a raw statement reads back as the same Decimal, raw and through the ORM (POLICY.md §0
    exact money), though SQLite keeps NUMERIC as a floating-point number."""
    p = person(session)
    ACCUMULATORS.row(session, (p.psn_no, 2022, *amounts))
    assert list(ACCUMULATOR.first(session, p.psn_no, 2022))[2:] == amounts
    orm = session.get(Accumulator, (p.psn_no, 2022))
    assert orm is not None
    assert [orm.outpatient, orm.inpatient, orm.special_disease, orm.serious_illness_burden,
            orm.assistance_selfpay] == amounts


def test_in_lists_expand_and_rows_come_back_in_order(session: Session) -> None:
    entry = rawsql.Insert(JournalEntry)
    entry.row(session, ("E1", None, None, "测试", None, dt.datetime(2022, 1, 1)))
    rawsql.Insert(Posting).rows(session, [("E1", n, f"acct:{n}", Decimal(n) - Decimal("2.5")) for n in range(1, 5)])
    rows = POSTINGS_IN.all(session, "E1", 4, 2, 3, many=3)
    assert [(r.line, r.amount) for r in rows] == [(2, Decimal("-0.50")), (3, Decimal("0.50")), (4, Decimal("1.50"))]


def test_a_unique_clash_is_sqlalchemys_integrity_error_and_the_savepoint_survives(session: Session) -> None:
    p = person(session)
    VISITS.row(session, VISITS.make(**visit_values(p.psn_no, "M2")))
    with pytest.raises(IntegrityError), session.begin_nested():
        VISITS.row(session, VISITS.make(**visit_values(p.psn_no, "M2")))
    assert VISIT.first(session, "M2") is not None  # the outer transaction goes on


def test_forget_expires_the_orm_copy_a_raw_update_changed(session: Session) -> None:
    p = person(session)
    VISITS.row(session, VISITS.make(**visit_values(p.psn_no, "M3")))
    orm = session.get(Visit, (p.psn_no, "M3"))
    assert orm is not None and orm.status == "open"
    rawsql.Statement("UPDATE visits SET status = ? WHERE mdtrt_id = ?").run(session, "settled", "M3")
    rawsql.forget(session, Visit, p.psn_no, "M3")
    assert orm.status == "settled"
