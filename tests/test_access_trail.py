"""The access trail (issue 19 item 7, access/trail.py): every 1101, every staff view of a person, every export
and every change is recorded, append-only, chained with SM3; `verify` finds an edited, removed or inserted
record; the console and REST show a person's trail to roles with person:trail. Both databases."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.dbfixtures import sign_in
from tests.gateway.conftest import COMMUNITY
from tests.gateway.his import HIS, insured
from tests.registry.helpers import certno
from tests.web.test_pages import staff_cookie
from yibao.access.models import TrailHead, TrailRecord
from yibao.access.trail import SYSTEM, Action, Actor, Door, Entry, TrailWriter, append, verify
from yibao.demo import ensure_demo_institutions


@pytest.fixture
def his(client: TestClient, session: Session) -> Callable[[str], HIS]:
    ensure_demo_institutions(session)
    session.commit()
    return lambda code: HIS(client, code)


def records(session: Session, psn_no: str | None = None) -> list[TrailRecord]:
    query = select(TrailRecord).order_by(TrailRecord.seq)
    if psn_no is not None:
        query = query.where(TrailRecord.subject == psn_no)
    return list(session.scalars(query))


def test_changes_and_views_over_rest_are_trailed_with_who_and_how(client: TestClient, session: Session) -> None:
    clerk, readonly = sign_in(client, session, "clerk"), sign_in(client, session, "readonly")
    number = certno("1970-03-03")
    made = client.post("/api/persons", headers=clerk, json={"certno": number, "name": "邬留痕", "local": True,
                                                           "town": "yuelin", "phone": "13900001111"})
    assert made.status_code == 201, made.text
    psn_no = made.json()["psn_no"]
    assert client.put(f"/api/persons/{psn_no}/employee-insurance", headers=clerk,
                      json={"insured": True, "ended_on": None}).status_code == 200
    assert client.get(f"/api/persons/{psn_no}", headers=readonly).status_code == 200
    assert client.get("/api/persons", headers=readonly, params={"q": "邬留痕"}).status_code == 200

    trail = [(r.actor_kind, r.actor, r.door, r.action, r.what) for r in records(session, psn_no)]
    assert trail == [
        ("staff", "t-clerk", "rest", "change", "新增人员信息"),
        ("staff", "t-clerk", "rest", "change", "修改人员信息（employee_insured）"),
        ("staff", "t-readonly", "rest", "view", "参保人信息"),
        ("staff", "t-readonly", "rest", "search", "人员查询结果"),
    ]
    everything = " ".join(f"{r.actor} {r.what} {r.subject}" for r in records(session))
    assert number not in everything and "13900001111" not in everything  # no personal number in the trail
    assert verify(session.connection()).whole


def test_a_refused_change_leaves_no_trail(client: TestClient, session: Session) -> None:
    clerk = sign_in(client, session, "clerk")
    before = session.scalar(select(func.count()).select_from(TrailRecord))
    refused = client.post("/api/persons", headers=clerk, json={"certno": "330283197003031234", "name": "错",
                                                              "local": True, "town": "yuelin"})
    assert refused.status_code in (400, 422)
    assert session.scalar(select(func.count()).select_from(TrailRecord)) == before


def test_1101_lookups_are_trailed_as_the_institution_and_its_operator(
        client: TestClient, session: Session, his: Callable[[str], HIS]) -> None:
    person = insured(session, year=dt.date.today().year)
    clinic = his(COMMUNITY)
    clinic.ok("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": person.certno}})
    lookups = [r for r in records(session, person.psn_no) if r.action == "lookup"]
    assert [(r.actor_kind, r.door, r.what) for r in lookups] == [("institution", "gateway", "1101 人员信息获取")]
    assert lookups[0].actor.startswith(COMMUNITY + ":")
    assert person.certno not in lookups[0].actor + lookups[0].what


def test_the_console_shows_the_trail_to_auditors_only_and_notes_the_view(client: TestClient, session: Session) -> None:
    person = insured(session)
    staff_cookie(client, session, "clerk")
    page = client.get(f"/console/people/{person.psn_no}")
    assert page.status_code == 200 and "查阅与修改记录" not in page.text  # a clerk has no person:trail
    assert client.get(f"/api/persons/{person.psn_no}/access-trail",
                      headers=sign_in(client, session, "clerk")).status_code == 403

    staff_cookie(client, session, "auditor")
    page = client.get(f"/console/people/{person.psn_no}")
    assert page.status_code == 200 and "查阅与修改记录" in page.text
    assert "p-clerk" in page.text and "人员详情页" in page.text  # the clerk's earlier view, shown to the auditor
    answer = client.get(f"/api/persons/{person.psn_no}/access-trail", headers=sign_in(client, session, "auditor"))
    assert answer.status_code == 200
    shown = answer.json()
    assert shown[0]["seq"] > shown[-1]["seq"]  # newest first
    assert {"新增人员信息", "人员详情页"} <= {r["what"] for r in shown}


def test_receipt_pdfs_are_exports(client: TestClient, session: Session, his: Callable[[str], HIS]) -> None:
    person = insured(session, year=dt.date.today().year)
    clinic = his(COMMUNITY)
    day = dt.date.today().isoformat()
    mdtrt_id = clinic.register(person.psn_no, day)
    clinic.fees("2204", person.psn_no, mdtrt_id, day, [("001101000010000", "1", "30.00")])
    settled = clinic.ok("2207", clinic.settle_data(person.psn_no, mdtrt_id, Decimal("30.00"), "11"))
    setl_id = settled["setlinfo"]["setl_id"]
    staff_cookie(client, session, "clerk")
    assert client.get(f"/console/settlements/{setl_id}/receipt.pdf").status_code == 200
    exports = [r for r in records(session, person.psn_no) if r.action == "export"]
    assert [(r.actor, r.door, r.what) for r in exports] == [("p-clerk", "console", f"结算单 {setl_id} PDF")]
    written = [r.what for r in records(session, person.psn_no) if r.action == "change" and r.door == "gateway"]
    assert [w.split()[0] for w in written] == ["2201", "2204", "2207"]  # the institution's writes of the visit


def _tamper(connection: Connection, sql: str) -> None:
    """What only someone working around the database can do: with the append-only triggers out of the way."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("ALTER TABLE access_trail DISABLE TRIGGER access_trail_append_only"))
        connection.execute(text(sql))
        connection.execute(text("ALTER TABLE access_trail ENABLE TRIGGER access_trail_append_only"))
    else:
        connection.execute(text("DROP TRIGGER access_trail_no_update"))
        connection.execute(text("DROP TRIGGER access_trail_no_delete"))
        connection.execute(text(sql))


def _five(session: Session) -> int:
    """Five records appended; the seq of the first."""
    first = int(session.scalar(select(TrailHead.seq)) or 0) + 1
    append(session.connection(), [Entry(SYSTEM, Action.VIEW, f"P{i}", f"测试 {i}") for i in range(5)])
    assert verify(session.connection()).whole
    return first


def test_the_database_refuses_to_edit_or_delete_the_trail(session: Session) -> None:
    first = _five(session)
    for sql in (f"UPDATE access_trail SET what = '改' WHERE seq = {first}",
                f"DELETE FROM access_trail WHERE seq = {first}"):
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text(sql))


@pytest.mark.parametrize("attack, broken_offset", [
    ("UPDATE access_trail SET what = '看了别人' WHERE seq = {s2}", 2),  # an edited record
    ("UPDATE access_trail SET actor = 'someone' WHERE seq = {s4}", 4),
    ("DELETE FROM access_trail WHERE seq = {s2}", 2),  # a removed one in the middle
    ("UPDATE access_trail SET at = at WHERE seq = {s0}", None),  # rewriting the same values changes nothing
])
def test_verify_names_the_first_record_that_does_not_fit(session: Session, attack: str,
                                                         broken_offset: int | None) -> None:
    first = _five(session)
    _tamper(session.connection(), attack.format(s0=first, s2=first + 2, s4=first + 4))
    verdict = verify(session.connection())
    if broken_offset is None:
        assert verdict.whole
    else:
        assert verdict.broken_at == first + broken_offset, verdict


def test_verify_finds_a_removed_last_record_and_a_rewritten_tail(session: Session) -> None:
    first = _five(session)
    _tamper(session.connection(), f"DELETE FROM access_trail WHERE seq = {first + 4}")
    verdict = verify(session.connection())
    assert not verdict.whole and "末尾" in verdict.reason
    # the head rewritten to match: the chain is whole again, but a head written down earlier is gone
    last = session.scalar(select(TrailRecord.hash).order_by(TrailRecord.seq.desc()).limit(1))
    session.execute(text(f"UPDATE access_trail_head SET seq = {first + 3}, hash = '{last}'"))
    assert verify(session.connection()).whole


def test_concurrent_writers_keep_one_chain(engine: Engine) -> None:
    """Four writers (the views of four server processes) appending at once: one unbroken chain."""
    writers = [TrailWriter.on(engine, background=False) for _ in range(4)]
    errors: list[BaseException] = []

    def write(writer: TrailWriter, n: int) -> None:
        try:
            for i in range(25):
                writer.saw(Actor("staff", f"w{n}", Door.REST), Action.VIEW, [f"C{n}-{i}"], "并发")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w, n)) for n, w in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with engine.connect() as connection:
        verdict = verify(connection)
        assert verdict.whole, verdict
        written = connection.execute(select(func.count()).select_from(TrailRecord)
                                     .where(TrailRecord.what == "并发")).scalar()
        assert written and written >= 100


def test_the_background_writer_writes_within_its_interval(engine: Engine) -> None:
    writer = TrailWriter.on(engine)
    writer.saw(Actor("staff", "bg", Door.CONSOLE), Action.VIEW, ["BG1", "BG2", "BG1"], "后台写入")
    writer.flush()
    writer.close()
    with engine.connect() as connection:
        subjects = connection.execute(select(TrailRecord.subject).where(TrailRecord.what == "后台写入")
                                      .order_by(TrailRecord.seq)).scalars().all()
    assert subjects[-2:] == ["BG1", "BG2"]  # one record per person seen
