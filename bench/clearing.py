"""Benchmark: a month's clearing for every institution on a full synthetic year (issue 16 item 2).

For each database, from empty: the demo's institutions and persons, then a year of synthetic settlements spread
over the months and institutions (bulk-inserted rows of the settlements table, as the settlement service writes
them; a twentieth of them cancelled the month after), timed separately; then, month after month, every
institution's statement built (`build_month`), approved by a second person and paid. Prints the seconds and the
settlements taken per month, the slowest month, and the peak RSS. Target: each month ≤ 60 s.

    python bench/clearing.py [--per-month 100000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select

from _databases import fresh_database
from yibao.clearing import service as clearing
from yibao.db import make_engine, make_sessionmaker, migrate, session_scope
from yibao.demo import ensure_demo_institutions, populate
from yibao.institutions.models import Institution
from yibao.people.models import Person
from yibao.policy.editions import packaged_editions
from yibao.settlement.models import Settlement

YEAR = dt.date.today().year - 1
ZERO = Decimal("0.00")


def synthetic_year(session: object, per_month: int, rng: random.Random) -> int:
    persons = list(session.scalars(select(Person.psn_no)))  # type: ignore[attr-defined]
    places = list(session.scalars(select(Institution.fixmedins_code)))  # type: ignore[attr-defined]
    made = 0
    for month in range(1, 13):
        rows = []
        for n in range(per_month):
            medfee = Decimal(rng.randint(2000, 90000)) / 100
            fund = (medfee * Decimal("0.6")).quantize(Decimal("0.01"))
            moment = dt.datetime(YEAR, month, rng.randint(1, 28), rng.randint(8, 17), rng.randint(0, 59))
            rows.append({
                "psn_no": rng.choice(persons), "setl_id": f"B{month:02d}{n:08d}", "mdtrt_id": f"M{month:02d}{n:08d}",
                "fixmedins_code": rng.choice(places), "kind": "settle", "original_setl_id": None, "status": "valid",
                "year": YEAR, "edition": "2022", "benefit": "outpatient", "med_type": "11", "level": "community",
                "setl_time": moment, "service_date": moment.date(), "medfee_sumamt": medfee,
                "fulamt_ownpay_amt": ZERO, "overlmt_selfpay": ZERO, "preselfpay_amt": ZERO, "inscp_scp_amt": medfee,
                "act_pay_dedc": ZERO, "hifp_pay": fund, "hifmi_pay": ZERO, "maf_pay": ZERO, "fund_pay_sumamt": fund,
                "psn_part_amt": medfee - fund, "acct_pay": ZERO, "acct_mulaid_pay": ZERO,
                "psn_cash_pay": medfee - fund, "add_outpatient": medfee, "add_inpatient": ZERO,
                "add_special_disease": ZERO, "add_serious_illness_burden": ZERO, "add_assistance_selfpay": ZERO,
                "category": "adult", "assistance_class": None, "trace": "[]", "msgid": None, "created_by": "bench",
                "place": None, "reason": None, "amendments": None, "mulaid_psn_no": None, "clearing_id": None,
                "dev_no": None})
            if n % 20 == 0 and month < 12:  # cancelled early the next month
                rows.append(rows[-1] | {"setl_id": f"C{month:02d}{n:08d}", "kind": "cancel",
                                        "original_setl_id": rows[-1]["setl_id"], "setl_time": dt.datetime(
                                            YEAR, month + 1, 2, 9, 0), **{k: -rows[-1][k] for k in (
                                                "medfee_sumamt", "inscp_scp_amt", "hifp_pay", "fund_pay_sumamt",
                                                "psn_part_amt", "psn_cash_pay", "add_outpatient")}})
        session.execute(insert(Settlement), rows)  # type: ignore[attr-defined]
        made += len(rows)
    return made


def run(backend: str, per_month: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = fresh_database(backend, Path(directory), "yibao_clearing")
        engine = make_engine(url)
        migrate(engine)
        sessions = make_sessionmaker(engine)
        started = time.perf_counter()
        with session_scope(sessions) as session:
            ensure_demo_institutions(session)
            populate(session, packaged_editions(), persons=2000, year=YEAR)
        with session_scope(sessions) as session:
            made = synthetic_year(session, per_month, random.Random(2026))
        print(f"[{backend}] setup: {made:,} settlement rows of {YEAR} in {time.perf_counter() - started:.1f} s")
        times = []
        for month in range(1, 13):
            label = f"{YEAR}-{month:02d}"
            began = time.perf_counter()
            with session_scope(sessions) as session:
                built = clearing.build_month(session, month=label, actor="bench-a").built
                for row in built:
                    clearing.approve(session, row.id, actor="bench-b")
                    clearing.pay(session, row.id, payment_ref=f"T{label}{row.fixmedins_code}", actor="bench-b")
                taken = sum(row.settlements for row in built)
            times.append(time.perf_counter() - began)
            print(f"  {label}: {len(built)} institutions, {taken:,} settlements and cancellations,"
                  f" built + approved + paid in {times[-1]:.2f} s")
        engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  slowest month {max(times):.2f} s (target ≤ 60 s), all twelve {sum(times):.1f} s, peak RSS {peak:.0f} MB")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-month", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run(backend, args.per_month)


if __name__ == "__main__":
    main()
