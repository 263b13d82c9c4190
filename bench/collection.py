"""Benchmark: a bank's withholding run and its result import for a whole population (issue 16 item 1).

For each database, from empty: N persons with last year's paid enrollment, renewed into this year (unpaid bills),
every one with a withholding agreement at one bank (setup, timed separately); then timed:
  - the month's withholding request (a line per agreement with an unpaid bill, the request file written);
  - the bank's result file read and imported: 97 % paid, 2 % insufficient funds, 1 % closed accounts.
Prints seconds, lines/s and peak RSS. Target: each ≤ 60 s for 280,000 persons.

    python bench/collection.py [--persons 280000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import resource
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select, update

from _databases import fresh_database
from yibao.contributions.models import BankAgreement, Bill
from yibao.db import make_engine, make_sessionmaker, migrate, session_scope
from yibao.demo import populate
from yibao.enrollment.collection import RESULT_COLUMNS, import_withholding_result, withholding_request
from yibao.enrollment.service import renew_year
from yibao.kit.clock import now
from yibao.kit.ids import new_id
from yibao.policy.editions import packaged_editions

YEAR = dt.date.today().year


def result_file(request: bytes) -> bytes:
    rows = list(csv.reader(io.StringIO(request.decode("utf-8-sig"))))[1:]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(RESULT_COLUMNS))
    for n, (run, line, bill_no, _, _, _, amount, _) in enumerate(rows):
        outcome = "账户已销户" if n % 100 == 0 else "余额不足" if n % 50 == 1 else "成功"
        writer.writerow([run, line, bill_no, outcome, amount if outcome == "成功" else "0", f"BK{n:09d}",
                         now().date().isoformat()])
    return out.getvalue().encode("utf-8")


def run(backend: str, persons: int) -> None:
    editions = packaged_editions()
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(fresh_database(backend, Path(directory), "yibao_collection"))
        migrate(engine)
        sessions = make_sessionmaker(engine)
        started = time.perf_counter()
        with session_scope(sessions) as session:
            populate(session, editions, persons=persons, year=YEAR)  # last year's, paid
        with session_scope(sessions) as session:
            renew_year(session, editions, year=YEAR, registration_date=dt.date(YEAR - 1, 10, 20), actor="bench")
        with session_scope(sessions) as session:
            holders = sorted(set(session.scalars(select(Bill.psn_no).where(Bill.status == "unpaid",
                                                                           Bill.year == YEAR))))
            session.execute(update(BankAgreement).values(bank="boc"))  # the demo's own agreements: this bank's too
            signed = set(session.scalars(select(BankAgreement.psn_no).where(BankAgreement.status == "active")))
            session.execute(insert(BankAgreement), [
                {"psn_no": psn_no, "id": new_id(), "bank": "boc", "card_no": f"6216{n:012d}",
                 "signed_on": dt.date(YEAR - 1, 9, 1), "status": "active", "created_at": now()}
                for n, psn_no in enumerate(holders) if psn_no not in signed])
        setup = time.perf_counter() - started
        started = time.perf_counter()
        with session_scope(sessions) as session:
            made = withholding_request(session, bank="boc", month=f"{YEAR}-{now().month:02d}", actor="bench")
        requesting = time.perf_counter() - started
        content = result_file(made.content)
        started = time.perf_counter()
        with session_scope(sessions) as session:
            report = import_withholding_result(session, "result.csv", content, file_id="BENCH-1", actor="bench")
        importing = time.perf_counter() - started
        engine.dispose()
    lines = made.run.lines
    print(f"[{backend}] setup: {persons:,} persons, {len(holders):,} unpaid bills with an agreement   {setup:.1f} s")
    print(f"  withholding request: {lines:,} lines, file {len(made.content) / 1e6:.1f} MB"
          f"   {requesting:.1f} s   {lines / requesting:,.0f} lines/s")
    print(f"  result import: {report.lines:,} lines, {report.paid:,} paid, outcomes {report.outcomes},"
          f" {len(report.errors)} errors   {importing:.1f} s   {report.lines / importing:,.0f} lines/s")
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB (target: each ≤ 60 s)")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=280_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run(backend, args.persons)


if __name__ == "__main__":
    main()
