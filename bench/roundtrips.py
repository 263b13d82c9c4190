"""Benchmark: database round trips and CPU per settlement flow, in-process (no HTTP), on SQLite and PostgreSQL.

Drives patients through 1101 → 2201 → 2204 (3 fee lines) → 2207 by calling the gateway's `dispatch` directly,
one after another, as the server does (SQLite: the event loop's own connection; PostgreSQL: pooled sessions),
and counts what reaches the database: on PostgreSQL every query psycopg sends on its own (BEGIN and COMMIT
included; statements queued in a pipeline count once, at its sync), on SQLite every statement SQLite runs.
Prints round trips per flow by statement kind, and CPU and wall time per flow.

    python bench/roundtrips.py [--backends sqlite,postgresql] [--flows 400]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import simplejson
from sqlalchemy import select

from _databases import fresh_database
from yibao.adapters.gateway.api import dispatch, in_loop, pooled
from yibao.app import create_app
from yibao.config import Settings
from yibao.db import session_scope
from yibao.demo import DEMO_HIS_SECRET, generate_demo
from yibao.enrollment.models import Enrollment
from yibao.people.models import Person
from yibao.policy.editions import packaged_editions

CLINIC = "H33021300003"
LINES = (("001101000010000", Decimal("1"), Decimal("10")), ("XC10AAA014A001010101234", Decimal("2"), Decimal("35.5")),
         ("XJ01CAA040A001010101445", Decimal("3"), Decimal("12.8")))


class Counting:
    """What reached the database while `on`, by the first words of each statement."""

    def __init__(self) -> None:
        self.on, self.seen = False, Counter[str]()

    def note(self, sql: Any) -> None:
        if self.on:
            text = sql.decode() if isinstance(sql, bytes) else str(sql)
            self.seen[" ".join(text.split()[:3])[:40]] += 1


def count_psycopg(counting: Counting) -> None:
    """Wrap psycopg (in this process only) so that every query it sends on its own is noted."""
    def wrap(name: str) -> None:
        original = getattr(psycopg.Cursor, name)

        def counted(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(self.connection, "_pipeline", None) is None:
                counting.note(query)
            return original(self, query, *args, **kwargs)

        setattr(psycopg.Cursor, name, counted)

    wrap("execute")
    wrap("executemany")
    command = psycopg.Connection._exec_command  # BEGIN, COMMIT, ROLLBACK, SAVEPOINT

    def counted_command(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        counting.note(query)
        return command(self, query, *args, **kwargs)

    psycopg.Connection._exec_command = counted_command  # type: ignore[method-assign]
    pipeline = psycopg.Connection.pipeline

    @contextmanager
    def counted_pipeline(self: Any) -> Iterator[Any]:
        with pipeline(self) as queued:
            yield queued
        counting.note("(pipeline sync)")

    psycopg.Connection.pipeline = counted_pipeline  # type: ignore[method-assign,assignment]


def run(backend: str, flows: int) -> None:
    directory = Path(tempfile.mkdtemp())
    app = create_app(Settings(database_url=fresh_database(backend, directory, "yibao_roundtrips")))
    year = dt.date.today().year
    with session_scope(app.state.sessions) as session:
        generate_demo(session, packaged_editions(), persons=max(flows * 3 // 2, 600), year=year)
        people = session.execute(select(Person.psn_no, Person.certno).join(
            Enrollment, Enrollment.psn_no == Person.psn_no).where(
            Enrollment.year == year, Enrollment.status == "active", Enrollment.benefit_start <= dt.date.today())).all()
    counting = Counting()
    if backend == "postgresql":
        count_psycopg(counting)
        units = pooled(app)
    else:
        units = in_loop(app)
        app.state.gateway_connection.driver()[0].set_trace_callback(counting.note)
    serial = itertools.count(1)

    def call(infno: str, data: dict[str, Any], sign: str | None = None, cainfo: str | None = None) -> Any:
        body = {"infno": infno, "msgid": f"{CLINIC}{dt.datetime.now():%Y%m%d%H%M%S}{next(serial) % 10000:04d}",
                "fixmedins_code": CLINIC, "opter": "B1", "sign_no": sign, "input": data, "cainfo": cainfo}
        answer = simplejson.loads(dispatch(app, simplejson.dumps(body, use_decimal=True).encode(), units=units),
                                  use_decimal=True)
        assert answer["infcode"] == 0, answer["err_msg"]
        return answer["output"]

    sign = call("9001", {"signIn": {"opter_no": "B1", "mac": "-", "ip": "127.0.0.1"}},
                cainfo=DEMO_HIS_SECRET)["signinoutb"]["sign_no"]
    today = dt.date.today().isoformat()

    def flow(psn_no: str, certno: str) -> None:
        call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": certno, "psn_cert_type": "01",
                               "certno": certno}}, sign)
        mdtrt_id = call("2201", {"data": {"psn_no": psn_no, "insutype": "390", "begntime": f"{today} 08:30:00",
                                          "mdtrt_cert_type": "02", "mdtrt_cert_no": certno}}, sign)["data"]["mdtrt_id"]
        fees = [{"feedetl_sn": f"F{n}", "mdtrt_id": mdtrt_id, "psn_no": psn_no, "fee_ocur_time": f"{today} 09:00:00",
                 "med_list_codg": code, "cnt": cnt, "pric": pric, "det_item_fee_sumamt": (cnt * pric).quantize(
                     Decimal("0.01"))} for n, (code, cnt, pric) in enumerate(LINES)]
        call("2204", {"feedetail": fees}, sign)
        total = sum((fee["det_item_fee_sumamt"] for fee in fees), Decimal(0))
        call("2207", {"data": {"psn_no": psn_no, "mdtrt_cert_type": "02", "med_type": "11", "medfee_sumamt": total,
                               "mdtrt_id": mdtrt_id, "insutype": "390"}}, sign)

    for person in people[:30]:  # warm: prepared statements, caches
        flow(*person)
    measured = people[30:30 + flows]
    counting.on = True
    cpu, wall = time.process_time(), time.perf_counter()
    for person in measured:
        flow(*person)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    counting.on = False
    done = len(measured)
    what = "round trips" if backend == "postgresql" else "statements SQLite ran (in-process: no round trips)"
    print(f"[{backend}] {done} flows in-process: {sum(counting.seen.values()) / done:.1f} {what} per flow, "
          f"{cpu / done * 1000:.2f} ms CPU and {wall / done * 1000:.2f} ms wall per flow (this process)")
    for kind, n in counting.seen.most_common():
        print(f"  {n / done:6.2f}  {kind}")
    app.state.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--flows", type=int, default=400)
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run(backend, args.flows)


if __name__ == "__main__":
    main()
