"""Concurrency against a real server (uvicorn on loopback, real commits) on SQLite and PostgreSQL, and on SQLite
also `yibao serve --workers 2` (two processes sharing the port and the database's writer lock):
  - the same 2207 fired many times at once → exactly one settlement and one journal entry;
  - one person settled from many clients at once → accumulators equal the sum of the settlements;
  - settle, reverse and re-settle from many clients → the ledger stays balanced."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from tests.cli.test_calc import YIBAO
from tests.dbfixtures import BACKENDS, backend_url
from tests.gateway.his import HIS, error_code, insured
from yibao.accounts.ledger import ledger_balances, unbalanced_entries
from yibao.accounts.models import JournalEntry
from yibao.app import create_app
from yibao.config import Settings
from yibao.db import make_engine, make_sessionmaker, migrate, session_scope
from yibao.demo import ensure_demo_institutions
from yibao.kit import sealing
from yibao.settlement.models import Settlement, Visit
from yibao.settlement.settle import read_accumulators

CLINIC = "H33021300003"
D = "2022-06-15"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, url: str) -> None:
        self.app = create_app(Settings(database_url=url))
        self.port = free_port()
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            time.sleep(0.05)
        raise RuntimeError("server did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.app.state.engine.dispose()

    def session(self) -> Any:
        return session_scope(self.app.state.sessions)


class Processes:
    """`yibao serve --workers 2` in its own processes; the test reads the database through its own engine."""

    def __init__(self, url: str, data_dir: Path) -> None:
        self.port = free_port()
        self.engine = make_engine(url)
        migrate(self.engine)
        self.sessions = make_sessionmaker(self.engine)
        env = {**os.environ, "YIBAO_DATABASE_URL": url, "YIBAO_DATA_DIR": str(data_dir)}
        sealing.save(data_dir, sealing.active(), env_key=None)  # the servers open what this process sealed
        self.process = subprocess.Popen([YIBAO, "serve", "--port", str(self.port), "--workers", "2"], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def __enter__(self) -> Processes:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/api/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=30) == 0
        self.engine.dispose()

    def session(self) -> Any:
        return session_scope(self.sessions)


@pytest.fixture(params=[*BACKENDS, "sqlite-2-processes"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server | Processes]:
    if request.param == "sqlite-2-processes":
        running: Server | Processes = Processes(backend_url("sqlite", tmp_path, "yibao_concurrency"), tmp_path)
    else:
        running = Server(backend_url(request.param, tmp_path, "yibao_concurrency"))
    with running:
        with running.session() as session:
            ensure_demo_institutions(session)
        yield running


def client_for(server: Server | Processes) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=60)


def person_with_visits(server: Server | Processes, visits: int) -> tuple[str, list[str], HIS]:
    with server.session() as session:
        psn_no = insured(session).psn_no
    his = HIS(client_for(server), CLINIC)
    ids = []
    for _ in range(visits):
        mdtrt_id = his.register(psn_no, D)
        his.fees("2204", psn_no, mdtrt_id, D, [("XJ01CAA040A001010101445", "1", "100")])
        ids.append(mdtrt_id)
    return psn_no, ids, his


def till(server: Server | Processes, his: HIS) -> HIS:
    """Another till of the same clinic on its own connection, sharing `his`'s sign-in (no 9001 of its own)."""
    other = HIS.__new__(HIS)
    other.client, other.code, other.sign_no, other.headers = client_for(server), his.code, his.sign_no, {}
    return other


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_the_same_2207_many_times_settles_once(server: Server | Processes) -> None:
    psn_no, (mdtrt_id,), his = person_with_visits(server, 1)
    body = his.envelope("2207", his.settle_data(psn_no, mdtrt_id, Decimal("100"), "11"))
    clients = [till(server, his) for _ in range(12)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda c: c.send(body), clients))
    assert {a["infcode"] for a in answers} == {0}, [a["err_msg"] for a in answers]
    assert len({a["output"]["setlinfo"]["setl_id"] for a in answers}) == 1
    with server.session() as session:
        assert count(session, Settlement) == 1
        assert count(session, JournalEntry) == 1
        assert read_accumulators(session, psn_no, 2022).outpatient == Decimal("100.00")


def test_one_person_from_many_clients_loses_no_update(server: Server | Processes) -> None:
    psn_no, visits, his = person_with_visits(server, 16)

    def settle(mdtrt_id: str) -> dict[str, Any]:
        mine = till(server, his)
        return mine.call("2207", mine.settle_data(psn_no, mdtrt_id, Decimal("100"), "11"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(settle, visits))
    assert [a["infcode"] for a in answers] == [0] * 16, [a["err_msg"] for a in answers]
    paid = sum((a["output"]["setlinfo"]["hifp_pay"] for a in answers), Decimal(0))
    with server.session() as session:
        acc = read_accumulators(session, psn_no, 2022)
        assert acc.outpatient == Decimal("1600.00")
        rows = session.scalars(select(Settlement).where(Settlement.psn_no == psn_no)).all()
        assert sum((r.hifp_pay for r in rows), Decimal(0)) == paid
        assert sum((r.add_outpatient for r in rows), Decimal(0)) == acc.outpatient
    # 16 × 100 at a community centre, 60% until 4,000 (S22 §4): every claim in the first band
    assert paid == Decimal("960.00")


def test_reverse_and_resettle_keeps_the_ledger_balanced(server: Server | Processes) -> None:
    psn_no, visits, his = person_with_visits(server, 8)

    def round_trip(mdtrt_id: str) -> int:
        mine = till(server, his)
        body = mine.envelope("2207", mine.settle_data(psn_no, mdtrt_id, Decimal("100"), "11"))
        assert mine.send(body)["infcode"] == 0
        undo = mine.call("2601", {"data": {"psn_no": psn_no, "omsgid": body["msgid"], "oinfno": "2207"}})
        assert undo["infcode"] == 0, undo["err_msg"]
        again = mine.call("2207", mine.settle_data(psn_no, mdtrt_id, Decimal("100"), "11"))
        assert again["infcode"] == 0, again["err_msg"]
        return 1

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert sum(pool.map(round_trip, visits)) == 8
    with server.session() as session:
        assert unbalanced_entries(session) == []
        balances = ledger_balances(session)
        assert sum(balances.values(), Decimal(0)) == 0
        valid = session.scalars(select(Settlement).where(Settlement.status == "valid", Settlement.kind == "settle"))
        assert balances["fund:390100"] == -sum((r.hifp_pay for r in valid), Decimal(0))
        assert read_accumulators(session, psn_no, 2022).outpatient == Decimal("800.00")


def test_one_visit_settled_by_many_different_messages_settles_once(server: Server | Processes) -> None:
    """A double click (or two tills) with different msgids: one settlement, the others refused as settled."""
    psn_no, (mdtrt_id,), his = person_with_visits(server, 1)

    def settle(_: int) -> dict[str, Any]:
        mine = till(server, his)
        return mine.call("2207", mine.settle_data(psn_no, mdtrt_id, Decimal("100"), "11"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(settle, range(8)))
    assert sorted(a["infcode"] for a in answers) == [-1] * 7 + [0]
    assert all(error_code(a) == "visit_already_settled" for a in answers if a["infcode"] == -1)
    with server.session() as session:
        assert count(session, Settlement) == 1
        assert read_accumulators(session, psn_no, 2022).outpatient == Decimal("100.00")


def test_postgresql_connections_stay_open_under_load(tmp_path: Path) -> None:
    """Every gateway thread keeps its pooled connection (YIBAO_DB_POOL_SIZE, default threads + 8): a burst of
    calls from 16 clients opens at most one connection per thread, not a new server process per call (with
    SQLAlchemy's default pool of 5 it opened 42 for these 192 calls)."""
    with Server(backend_url("postgresql", tmp_path, "yibao_concurrency")) as running:
        engine = running.app.state.engine
        assert engine.pool.size() == running.app.state.settings.resolved_gateway_threads() + 8
        with running.session() as session:
            ensure_demo_institutions(session)
            psn_no = insured(session).psn_no
        opened: list[object] = []
        event.listen(engine, "connect", lambda *_: opened.append(1))
        his = HIS(client_for(running), CLINIC)

        def visits(_: int) -> int:
            mine = till(running, his)
            for _ in range(6):
                mine.register(psn_no, D)
            return 6

        with ThreadPoolExecutor(max_workers=16) as pool:
            assert sum(pool.map(visits, range(32))) == 192
        assert len(opened) <= running.app.state.settings.resolved_gateway_threads()


def test_a_lost_postgresql_connection_is_replaced_without_a_failed_call(tmp_path: Path) -> None:
    """There is no ping per checkout (a round trip per transaction): when the server has closed the pooled
    connections (a restart, an idle timeout), the call that finds one dead is retried once on a new connection,
    writes and reads alike, and a write is still applied once."""
    url = backend_url("postgresql", tmp_path, "yibao_concurrency")
    with Server(url) as running:
        with running.session() as session:
            ensure_demo_institutions(session)
            psn_no = insured(session).psn_no
        his = HIS(client_for(running), CLINIC)
        first = his.register(psn_no, D)  # the pool holds open connections now
        with psycopg.connect(url, autocommit=True) as admin:  # as a server restart would
            killed = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()
        assert killed is not None and killed[0] >= 1
        mdtrt_ids = [first] + [his.register(psn_no, D) for _ in range(4)]  # writes on the dead connections
        his.fees("2204", psn_no, mdtrt_ids[-1], D, [("XJ01CAA040A001010101445", "1", "100")])
        with running.session() as session:
            assert count(session, Visit) == 5 == len(set(mdtrt_ids))


def test_two_members_settling_at_once_never_overdraw_one_account(server: Server | Processes) -> None:
    """32 settlements of a father and a child at once, both drawing on the family's mutual-aid accounts (POLICY.md
    §11): 32 × 32.00 wanted, 300.00 + 200.00 held; exactly what was held is drawn, no balance below zero."""
    from tests.accounts.family import family
    from yibao.accounts.family import balance, mutual_account

    with server.session() as session:
        fam = family(session)
    his = HIS(client_for(server), CLINIC)
    visits = []
    for person in (fam.father, fam.child):
        for _ in range(16):
            mdtrt_id = his.register(person.psn_no, D)
            his.fees("2204", person.psn_no, mdtrt_id, D, [("XJ01CAA040A001010101445", "2", "40")])
            visits.append((person.psn_no, mdtrt_id))

    def settle(visit: tuple[str, str]) -> dict[str, Any]:
        mine = till(server, his)
        data = mine.settle_data(visit[0], visit[1], Decimal("80"), "11")
        data["data"]["acct_used_flag"] = "1"
        return mine.call("2207", data)

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(settle, visits))
    assert [a["infcode"] for a in answers] == [0] * 32, [a["err_msg"] for a in answers]
    drawn = sum((Decimal(str(a["output"]["setlinfo"]["acct_mulaid_pay"])) for a in answers), Decimal(0))
    cash = sum((Decimal(str(a["output"]["setlinfo"]["psn_cash_pay"])) for a in answers), Decimal(0))
    assert (drawn, cash) == (Decimal("500.00"), Decimal("524.00"))
    with server.session() as session:
        assert balance(session, mutual_account(fam.initiator.psn_no)) == Decimal("0.00")
        assert balance(session, mutual_account(fam.spouse.psn_no)) == Decimal("0.00")
        assert unbalanced_entries(session) == []
        rows = session.scalars(select(Settlement).where(Settlement.acct_mulaid_pay > 0)).all()
        assert sum((r.acct_mulaid_pay for r in rows), Decimal(0)) == Decimal("500.00")
