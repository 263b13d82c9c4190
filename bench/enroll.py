"""Benchmark: annual renewal of a whole population and a 5,000-row school import (issue 3).

For each database (SQLite file, WAL; PostgreSQL on 127.0.0.1), from empty: populate N persons with last
year's paid enrollment (setup, timed separately), then time
  - renewal of all of them into the new year (category, subsidy, contribution, bills), one transaction;
  - a 5,000-row school CSV: read, validate every row, import (mode all_or_nothing).
Prints seconds, rows/s and peak RSS.

    python bench/enroll.py [--persons 280000] [--school-rows 5000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

from _databases import fresh_database
from yibao.db import make_engine, make_sessionmaker, migrate, session_scope
from yibao.demo import populate
from yibao.enrollment.school import import_school_batch, read_school_file
from yibao.enrollment.service import renew_year
from yibao.kit.idcard import make_id_number
from yibao.policy.editions import packaged_editions

YEAR = 2023


def school_file(rows: int) -> bytes:
    lines = ["身份证号,姓名,学校,班级,联系电话,户籍镇街"]
    for number in range(rows):
        birth = dt.date(2008, 1, 1) + dt.timedelta(days=number % 3000)
        certno = make_id_number("330213", birth, number // 3000, "1" if number % 2 else "2")  # no demo collisions
        lines.append(f"{certno},学生{number},奉化区第{number % 12 + 1}中学,{number % 9 + 1}班,,锦屏街道")
    return ("\n".join(lines) + "\n").encode("utf-8")


def run(backend: str, persons: int, school_rows: int) -> None:
    editions = packaged_editions()
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(fresh_database(backend, Path(directory), "yibao_bench"))
        migrate(engine)
        sessions = make_sessionmaker(engine)
        started = time.perf_counter()
        with session_scope(sessions) as session:
            enrolled = populate(session, editions, persons=persons, year=YEAR)
        setup = time.perf_counter() - started

        started = time.perf_counter()
        with session_scope(sessions) as session:
            result = renew_year(session, editions, year=YEAR, registration_date=dt.date(YEAR - 1, 10, 20),
                                actor="bench")
        renewal = time.perf_counter() - started

        content = school_file(school_rows)
        started = time.perf_counter()
        with session_scope(sessions) as session:
            rows = read_school_file("school.csv", content)
            report = import_school_batch(session, editions, rows, year=YEAR + 1,
                                         registration_date=dt.date(YEAR, 9, 10), mode="all_or_nothing", actor="bench")
        school = time.perf_counter() - started
        engine.dispose()
    print(f"[{backend}]")
    print(f"  setup: {persons:,} persons, {enrolled:,} enrolled and paid for {YEAR - 1}   {setup:8.1f} s")
    print(f"  renewal into {YEAR}: {result.renewed:,} renewed ({sum(result.skipped.values()):,} skipped)"
          f"   {renewal:8.1f} s   {result.renewed / renewal:,.0f} persons/s")
    print(f"  school import: {report.total:,} rows, {report.imported:,} imported, {len(report.errors)} errors"
          f"   {school:8.2f} s   {report.total / school:,.0f} rows/s")
    print(f"  peak RSS so far: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=280_000)
    parser.add_argument("--school-rows", type=int, default=5_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run(backend, args.persons, args.school_rows)


if __name__ == "__main__":
    main()
