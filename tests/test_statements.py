"""yibao.statements: the hot path's Core statements store and read values exactly as the ORM does, on SQLite and
PostgreSQL, inside the session's own transaction; reads are frozen records; a driver error comes out as
SQLAlchemy's; an update by primary key expires the ORM copy a session holds; every record names its table's
columns with their types."""

from __future__ import annotations

import datetime as dt
import types
import typing
from decimal import Decimal
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.registry.helpers import person
from yibao.accounts.models import (
    FamilyAccount,
    FamilyAccountRecord,
    FamilyMember,
    FamilyMemberRecord,
    JournalEntry,
    JournalEntryRecord,
    Posting,
)
from yibao.audit.models import AuditFinding, FindingRecord, SwapListEntry, SwapListRecord
from yibao.credential.models import (
    Binding,
    BindingRecord,
    Channel,
    ChannelRecord,
    Credential,
    CredentialRecord,
    EcToken,
    EcTokenRecord,
)
from yibao.enrollment.models import Enrollment, EnrollmentRecord
from yibao.filings.models import (
    CrossRegionFiling,
    CrossRegionFilingRecord,
    SpecialDiseaseFiling,
    SpecialDiseaseFilingRecord,
)
from yibao.institutions.models import (
    CatalogueItem,
    CatalogueItemRecord,
    CatalogueSelfpay,
    Device,
    DeviceRecord,
    Doctor,
    DoctorPoints,
    DoctorPointsRecord,
    DoctorRecord,
    Institution,
    InstitutionRecord,
    ItemMatch,
    ItemMatchRecord,
    SelfpayRecord,
)
from yibao.institutions.service import register_institution
from yibao.parameters.models import PolicyAmendment, PolicyAmendmentRecord
from yibao.people.models import Certificate, CertificateRecord, Person, PersonRecord
from yibao.policy.chain import Accumulators
from yibao.settlement.models import (
    Accumulator,
    FeeDetail,
    FeeLineRecord,
    Settlement,
    SettlementRecord,
    Visit,
    VisitRecord,
)
from yibao.statements import Insert, Read, Update

VISITS = Insert(Visit)
VISIT = Read(VisitRecord, Visit, Visit.mdtrt_id == bindparam("mdtrt_id"))
ACCUMULATORS = Insert(Accumulator)
ACCUMULATOR = Read(Accumulators, Accumulator, Accumulator.psn_no == bindparam("psn_no"),
                   Accumulator.year == bindparam("year"), lock=True)


class Line(NamedTuple):
    line: int
    amount: Decimal


POSTINGS_IN = Read(Line, Posting, Posting.entry_id == bindparam("entry_id"), among=Posting.line,
                   order_by=(Posting.line,))
SET_STATUS = Update(Visit, ("status",), ("psn_no", "mdtrt_id"))


@pytest.fixture(autouse=True)
def hospital(session: Session) -> None:
    register_institution(session, fixmedins_code="H33021399999", name="测试医院", kind="hospital", hosp_lv="02")


def visit_values(psn_no: str, mdtrt_id: str) -> dict[str, object]:
    return dict.fromkeys(VISITS.names) | {
        "psn_no": psn_no, "mdtrt_id": mdtrt_id, "fixmedins_code": "H33021399999", "med_type": "21",
        "insutype": "390", "begntime": dt.datetime(2022, 3, 1, 8, 0, 0),
        "endtime": dt.datetime(2022, 3, 9, 17, 30, 5, 120),
        "status": "open", "mdtrt_cert_type": "02", "created_at": dt.datetime(2022, 3, 1, 8, 0, 1)}


def test_a_row_written_by_a_statement_reads_back_through_the_orm_alike(session: Session) -> None:
    p = person(session)
    values = visit_values(p.psn_no, "M1")
    VISITS.row(session, VisitRecord(**values))  # type: ignore[arg-type]
    orm = session.scalar(select(Visit).where(Visit.mdtrt_id == "M1"))
    assert orm is not None
    assert {name: getattr(orm, name) for name in VISITS.names} == values
    record = VISIT.first(session, mdtrt_id="M1")
    assert record is not None and record._asdict() == values
    with pytest.raises(AttributeError):
        record.status = "settled"  # type: ignore[misc]
    # a row the ORM wrote reads back through a statement alike
    orm.status, orm.dise_name = "discharged", "肺炎"
    again = VISIT.first(session, mdtrt_id="M1")
    assert again is not None and (again.status, again.dise_name) == ("discharged", "肺炎")  # pending changes flushed


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.lists(st.decimals(min_value=Decimal("-9999999.99"), max_value=Decimal("9999999.99"), places=2),
                min_size=5, max_size=5))
def test_money_round_trips_to_the_fen(session: Session, amounts: list[Decimal]) -> None:
    """Money stored by a statement reads back as the same Decimal, through it and through the ORM (exact money),
    though SQLite keeps NUMERIC as a floating-point number."""
    p = person(session)
    ACCUMULATORS.row(session, {"psn_no": p.psn_no, "year": 2022, **dict(zip(Accumulators._fields, amounts,
                                                                              strict=True))})
    assert list(ACCUMULATOR.first(session, psn_no=p.psn_no, year=2022) or ()) == amounts
    orm = session.get(Accumulator, (p.psn_no, 2022))
    assert orm is not None
    assert [getattr(orm, name) for name in Accumulators._fields] == amounts


def test_in_lists_expand_and_rows_come_back_in_order(session: Session) -> None:
    Insert(JournalEntry).row(session, JournalEntryRecord("E1", None, None, "测试", None, dt.datetime(2022, 1, 1)))
    Insert(Posting).rows(session, [{"entry_id": "E1", "line": n, "account": f"acct:{n}",
                                    "amount": Decimal(n) - Decimal("2.5")} for n in range(1, 5)])
    rows = POSTINGS_IN.all(session, entry_id="E1", values=[4, 2, 3])
    assert rows == [Line(2, Decimal("-0.50")), Line(3, Decimal("0.50")), Line(4, Decimal("1.50"))]
    assert POSTINGS_IN.all(session, entry_id="E1", values=[1]) == [Line(1, Decimal("-1.50"))]


def test_a_unique_clash_is_sqlalchemys_integrity_error_and_the_savepoint_survives(session: Session) -> None:
    p = person(session)
    VISITS.row(session, visit_values(p.psn_no, "M2"))
    with pytest.raises(IntegrityError), session.begin_nested():
        VISITS.row(session, visit_values(p.psn_no, "M2"))
    assert VISIT.first(session, mdtrt_id="M2") is not None  # the outer transaction goes on


def test_an_update_by_primary_key_expires_the_orm_copy(session: Session) -> None:
    p = person(session)
    VISITS.row(session, visit_values(p.psn_no, "M3"))
    orm = session.get(Visit, (p.psn_no, "M3"))
    assert orm is not None and orm.status == "open"
    assert SET_STATUS.run(session, key_psn_no=p.psn_no, key_mdtrt_id="M3", status="settled") == 1
    assert orm.status == "settled"  # no stale copy in the session, and nobody had to say so


RECORDS = [(VisitRecord, Visit), (FeeLineRecord, FeeDetail), (SettlementRecord, Settlement),
           (PersonRecord, Person), (CertificateRecord, Certificate), (EnrollmentRecord, Enrollment),
           (InstitutionRecord, Institution), (CatalogueItemRecord, CatalogueItem), (SelfpayRecord, CatalogueSelfpay),
           (ItemMatchRecord, ItemMatch), (PolicyAmendmentRecord, PolicyAmendment),
           (SpecialDiseaseFilingRecord, SpecialDiseaseFiling), (CrossRegionFilingRecord, CrossRegionFiling),
           (JournalEntryRecord, JournalEntry), (ChannelRecord, Channel), (CredentialRecord, Credential),
           (BindingRecord, Binding), (EcTokenRecord, EcToken),
           (FamilyMemberRecord, FamilyMember), (FamilyAccountRecord, FamilyAccount),
           (DoctorPointsRecord, DoctorPoints), (DoctorRecord, Doctor), (DeviceRecord, Device),
           (SwapListRecord, SwapListEntry), (FindingRecord, AuditFinding)]


@pytest.mark.parametrize(("record", "model"), RECORDS, ids=[r.__name__ for r, _ in RECORDS])
def test_every_record_names_its_tables_columns_with_their_types(record: type, model: type) -> None:
    hints = typing.get_type_hints(record, globalns=vars(__import__(record.__module__, fromlist=["x"])))
    columns = model.__table__.c  # type: ignore[attr-defined]
    assert list(hints) == [c.key for c in columns]
    for column in columns:
        hint = hints[column.key]
        args = set(typing.get_args(hint)) if isinstance(hint, types.UnionType) else {hint}
        assert column.type.python_type in args, column.key
        assert (type(None) in args) == column.nullable, column.key
