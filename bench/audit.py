"""Benchmark: the fund audit's batch scan (audit/service.run_scan, every rule) over a synthetic year (issue 15).

For each database, from empty: the demo's institutions and catalogue with restricted items, 150 more institutions
(a third of them pharmacies) with a doctor each, and a year of synthetic care loaded through the driver (persons,
their enrollments, visits with fee lines, settlements): `--lines` fee lines in visits of five lines, about one
in twenty inpatient. A few in a thousand lines are planted violations (restricted items for the wrong person,
services at pharmacies, unregistered doctors, night settlements, same-day visits at several places). Then the
scan of the whole year with every rule, timed. Prints the load time, the scan's seconds and lines per second,
the findings per rule and the peak RSS. Target: 10 million lines ≤ 30 s.

Then the real-time rules' cost per 2207 (audit/realtime.check_visit, as 2206/2207 run it before pricing): the
check on a thousand of the year's visits, one at a time, p50/p99 in milliseconds (bench/settle.py's 2207 latency
includes it).

    python bench/audit.py [--lines 10000000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Engine

from _databases import fresh_database
from yibao.audit.realtime import check_visit
from yibao.audit.rules import rule_book
from yibao.audit.service import run_scan
from yibao.db import make_engine, make_sessionmaker, migrate, session_scope
from yibao.demo import DEMO_CATALOGUE, ensure_demo_institutions
from yibao.enrollment.models import Enrollment
from yibao.institutions.models import CatalogueItem, Doctor, Institution
from yibao.institutions.service import add_doctor, institution_record, register_institution
from yibao.models import metadata
from yibao.people.models import Person
from yibao.settlement.models import FeeDetail, Settlement, Visit
from yibao.settlement.visits import visit_record

YEAR = dt.date.today().year - 1
LINES_PER_VISIT = 5
RESTRICTED = (("XG03BENCH001", "雌二醇凝胶（限女性）", {"lmt_sex": "2"}),
              ("XR05BENCH001", "小儿颗粒（限14岁以下）", {"lmt_age_max": 14}),
              ("XL01BENCH001", "曲妥珠单抗（限乳腺癌）", {"lmt_diagnoses": "C50"}),
              ("XG02BENCH001", "缩宫素（限生育）", {"lmt_scope": "maternity", "lmt_sex": "2"}))


def ensure_world(session: Any) -> tuple[list[str], dict[str, str], list[str]]:
    """Institutions (code → kind), their doctors, the catalogue codes the synthetic lines use."""
    ensure_demo_institutions(session)
    for n in range(150):
        kind = ("pharmacy", "community", "hospital")[n % 3]
        code = f"{'P' if kind == 'pharmacy' else 'H'}3302139{n:04d}"
        register_institution(session, fixmedins_code=code, name=f"合成机构{n}", kind=kind,
                             hosp_lv="05" if kind == "hospital" else "11", secret="bench-secret-0001")
        add_doctor(session, dr_code=f"D{code}01", name=f"医师{n}", fixmedins_code=code)
    for code, name, limits in RESTRICTED:
        session.add(CatalogueItem(code=code, name=name, item_class="A", category="drug", price_ceiling=None,
                                  updated_at=dt.datetime.now(), **limits))
    session.flush()
    kinds = {row.fixmedins_code: row.kind for row in session.query(Institution)}
    doctors = {row.fixmedins_code: row.dr_code for row in session.query(Doctor)}
    return sorted(kinds), kinds | {f"dr:{k}": v for k, v in doctors.items()}, [c[0] for c in DEMO_CATALOGUE]


def columns(table: Table) -> list[str]:
    return [column.key for column in table.c]


def load(engine: Engine, table: Table, rows: Iterator[dict[str, Any]], chunk: int = 50_000) -> int:
    """Rows through the driver: executemany on SQLite, COPY on PostgreSQL."""
    names = columns(table)
    count = 0
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cur.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[name] for name in names])
                    count += 1
        else:
            sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
            cur.execute("BEGIN")  # the driver runs in autocommit: one transaction, not one per row
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                batch.append(tuple(_sqlite(row[name]) for name in names))
                if len(batch) >= chunk:
                    cur.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cur.executemany(sql, batch)
                count += len(batch)
        raw.commit()
    finally:
        raw.close()
    return count


def _sqlite(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def persons(count: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    moment = dt.datetime(YEAR - 1, 10, 1)
    for n in range(count):
        yield {"psn_no": f"B{n:09d}", "certno": "sealed-elsewhere", "certno_digest": f"bench{n}", "name": f"参保{n}",
               "sex": "1" if n % 2 else "2", "birth_date": dt.date(1940 + n % 80, 1 + n % 12, 1 + n % 28),
               "local": True, "town": "yuelin", "household_no": None, "phone": None, "phone_digest": None,
               "employee_insured": False, "employee_insurance_end": None, "created_at": moment,
               "death_date": None, "death_source": None}


def enrollments(count: int) -> Iterator[dict[str, Any]]:
    moment = dt.datetime(YEAR - 1, 10, 1)
    for n in range(count):
        yield {"psn_no": f"B{n:09d}", "id": f"E{n:031d}", "year": YEAR, "edition": "2022", "category": "adult",
               "student": False, "channel": "window", "proxy_name": None, "proxy_certno": None,
               "registration_date": moment.date(), "timing": "timely", "late_exception": None, "event_date": None,
               "benefit_start": dt.date(YEAR, 1, 1), "benefit_end": dt.date(YEAR, 12, 31), "benefit_basis": "bench",
               "full_subsidy_class": None, "personal_amount": Decimal("380"), "government_amount": Decimal("800"),
               "status": "active", "school_name": None, "school_class": None, "batch_id": None, "created_by": "bench",
               "created_at": moment, "cancelled_at": None, "cancel_reason": None}


ZERO = Decimal("0.00")


def care(visits: int, people: int, places: list[str], facts: dict[str, str], codes: list[str],
         rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Visits, their fee lines and settlements (lists: the three tables are loaded one after the other)."""
    visit_rows, line_rows, settlement_rows = [], [], []
    drugs = [c for c in codes if c.startswith(("X", "Z"))]
    services = [c for c in codes if c[0].isdigit()]
    for n in range(visits):
        psn = f"B{rng.randrange(people):09d}"
        place = rng.choice(places)
        kind = facts[place]
        inpatient = kind == "hospital" and n % 20 == 0
        day = dt.date(YEAR, 1, 1) + dt.timedelta(days=rng.randrange(365))
        begin = dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randint(0, 59)))
        end = begin + dt.timedelta(days=rng.randint(2, 12)) if inpatient else None
        mdtrt, setl = f"M{n:011d}", f"S{n:011d}"
        doctor = facts.get(f"dr:{place}")
        if n % 997 == 0:
            doctor = "D999STRANGER"  # planted: not registered here
        visit_rows.append({
            "psn_no": psn, "mdtrt_id": mdtrt, "fixmedins_code": place, "med_type": "21" if inpatient else
            "41" if kind == "pharmacy" else "11", "insutype": "390", "begntime": begin, "endtime": end,
            "status": "settled", "ipt_otp_no": None, "atddr_no": doctor, "dr_name": None, "dept_code": None,
            "dept_name": None, "dise_codg": "J06.9" if n % 3 else "C50.9", "dise_name": None, "dscg_way": None,
            "mdtrt_cert_type": "02", "mdtrt_cert_no": None, "created_at": begin})
        total = ZERO
        for k in range(LINES_PER_VISIT):
            if n % 1009 == 0 and k == 0:
                code = RESTRICTED[n % len(RESTRICTED)][0]  # planted: a restricted item, often for the wrong person
            elif kind == "pharmacy" and not (n % 1013 == 0 and k == 1):
                code = rng.choice(drugs)
            else:
                code = rng.choice(services if k % 2 else drugs)
            price = Decimal(rng.randint(100, 900 if code[0].isdigit() else 8000)) / 100  # services within ceilings
            amount = price
            total += amount
            line_rows.append({
                "psn_no": psn, "mdtrt_id": mdtrt, "feedetl_sn": f"F{k}", "chrg_bchno": "B1", "rxno": None,
                "fee_ocur_time": begin, "med_list_codg": code, "medins_list_codg": None, "item_name": code,
                "item_class": "A", "cnt": Decimal(1), "pric": price, "det_item_fee_sumamt": amount,
                "pric_uplmt_amt": None, "selfpay_prop": Decimal(0), "fulamt_ownpay_amt": ZERO, "overlmt_amt": ZERO,
                "preselfpay_amt": ZERO, "inscp_scp_amt": amount, "bilg_dr_codg": doctor, "bilg_dr_name": None,
                "init_feedetl_sn": None, "status": "active", "setl_id": setl, "msgid": None, "created_at": begin})
        fund = (total * Decimal("0.6")).quantize(Decimal("0.01"))
        moment = begin.replace(hour=3) if n % 1019 == 0 and kind == "pharmacy" else (end or begin)
        settlement_rows.append({
            "psn_no": psn, "setl_id": setl, "mdtrt_id": mdtrt, "fixmedins_code": place, "kind": "settle",
            "original_setl_id": None, "status": "valid", "year": YEAR, "edition": "2022",
            "benefit": "inpatient" if inpatient else "outpatient", "med_type": "21" if inpatient else "11",
            "level": "other", "setl_time": moment, "service_date": (end or begin).date(), "medfee_sumamt": total,
            "fulamt_ownpay_amt": ZERO, "overlmt_selfpay": ZERO, "preselfpay_amt": ZERO, "inscp_scp_amt": total,
            "act_pay_dedc": ZERO, "hifp_pay": fund, "hifmi_pay": ZERO, "maf_pay": ZERO, "fund_pay_sumamt": fund,
            "psn_part_amt": total - fund, "acct_pay": ZERO, "acct_mulaid_pay": ZERO, "psn_cash_pay": total - fund,
            "add_outpatient": ZERO if inpatient else total, "add_inpatient": total if inpatient else ZERO,
            "add_special_disease": ZERO, "add_serious_illness_burden": ZERO, "add_assistance_selfpay": ZERO,
            "category": "adult", "assistance_class": None, "trace": "[]", "msgid": None, "created_by": "bench",
            "place": None, "reason": None, "amendments": None, "mulaid_psn_no": None, "clearing_id": None,
            "dev_no": None})
    return visit_rows, line_rows, settlement_rows


def run(backend: str, lines: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = fresh_database(backend, Path(directory), "yibao_audit")
        engine = make_engine(url)
        migrate(engine)
        sessions = make_sessionmaker(engine)
        started = time.perf_counter()
        with session_scope(sessions) as session:
            places, facts, codes = ensure_world(session)
        rng = random.Random(2026)
        visits = lines // LINES_PER_VISIT
        people = max(1000, visits // 7)
        tables = metadata.tables
        load(engine, tables[Person.__tablename__], persons(people, rng))
        load(engine, tables[Enrollment.__tablename__], enrollments(people))
        loaded = 0
        step = 50_000
        for first in range(0, visits, step):
            visit_rows, line_rows, settlement_rows = care(min(step, visits - first), people, places, facts, codes,
                                                          random.Random(first))
            for row in visit_rows + line_rows + settlement_rows:  # unique keys across the chunks
                for key in ("mdtrt_id", "setl_id"):
                    if row.get(key):
                        row[key] = f"{row[key][0]}{first // step:04d}{row[key][1:]}"
            load(engine, tables[Visit.__tablename__], iter(visit_rows))
            loaded += load(engine, tables[FeeDetail.__tablename__], iter(line_rows))
            load(engine, tables[Settlement.__tablename__], iter(settlement_rows))
        if backend == "postgresql":
            with engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
        print(f"[{backend}] loaded {loaded:,} fee lines in {visits:,} visits of {people:,} persons "
              f"in {time.perf_counter() - started:.1f} s")
        began = time.perf_counter()
        with session_scope(sessions) as session:
            scan = run_scan(session, start=dt.date(YEAR, 1, 1), end=dt.date(YEAR, 12, 31), actor="bench")
            found, by_rule = scan.findings, json.loads(scan.by_rule)
        took = time.perf_counter() - began
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  scan, all {len(rule_book().rules)} rules: {took:.1f} s (target ≤ 30 s for 10 M lines), "
              f"{loaded / took:,.0f} lines/s, {found:,} findings {by_rule}, peak RSS {peak:.0f} MB")
        with session_scope(sessions) as session:
            realtime_cost(session)
        sys.stdout.flush()
        engine.dispose()


def realtime_cost(session: Any, count: int = 1000) -> None:
    visits = session.scalars(select(Visit).order_by(Visit.mdtrt_id).limit(count * 50)).all()[::50]
    institutions = {row.fixmedins_code: institution_record(session, row.fixmedins_code) for row in visits}
    times = []
    for visit in visits:
        record = visit_record(session, visit.mdtrt_id)
        began = time.perf_counter()
        check_visit(session, record, institutions[visit.fixmedins_code], unsettled=False)
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    print(f"  real-time rules per 2207 ({len(times)} visits of five lines): p50 {times[len(times) // 2]:.2f} ms, "
          f"p99 {times[int(len(times) * 0.99)]:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run(backend, args.lines)


if __name__ == "__main__":
    main()
