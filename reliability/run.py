"""The reliability suite (issue 19): fuzzers, duplicates and concurrency, kill -9 under load, the authorization
matrix — each against a live `yibao serve` on a fresh database with demo data, on SQLite and PostgreSQL. Prints
what each stage counted and a summary; exits 1 on any failure (a 5xx, "系统内部错误", a refused request that
wrote, a lost or half-written settlement, an unbalanced ledger, a cross-tenant answer).

    python -m reliability.run            # in full (by hand: ~10 minutes)
    python -m reliability.run --quick    # the reduced form `make test` runs (a few minutes)
    python -m reliability.run --stages kill,authz --backends postgresql
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from reliability import authz, concurrency, gateway_fuzz, kill, rest_fuzz
from reliability.common import Figures, World, prepare

SIZES = {  # quick, full
    "rest examples per operation": (3, 25),
    "gateway mutations": (300, 3000),
    "same 2207 copies": (50, 200),
    "clients": (16, 32),
    "msgids on one visit": (50, 200),
    "visits of one person": (16, 64),
    "kill rounds": (3, 20),
}
SUMMARY = ("requests", "5xx", "internal errors", "written by refused", "kills", "settlements acknowledged", "lost",
           "half-written", "unbalanced", "unbalanced journal entries", "lost updates", "cross-tenant", "failures")


def stages(quick: bool) -> dict[str, Callable[[World], Figures]]:
    size = {name: values[0 if quick else 1] for name, values in SIZES.items()}
    return {
        "rest": lambda w: rest_fuzz.run(w, size["rest examples per operation"]),
        "gateway": lambda w: gateway_fuzz.run(w, size["gateway mutations"]),
        "concurrency": lambda w: concurrency.run(w, copies=size["same 2207 copies"], clients=size["clients"],
                                                 msgids=size["msgids on one visit"],
                                                 visits=size["visits of one person"]),
        "kill": lambda w: kill.run(w, rounds=size["kill rounds"], clients=8),
        "authz": authz.run,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the reduced form (CI)")
    parser.add_argument("--stages", default="rest,gateway,concurrency,kill,authz")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--keep", action="store_true", help="keep the databases and server logs (printed)")
    args = parser.parse_args(argv)
    chosen = stages(args.quick)
    directory = Path(tempfile.mkdtemp(prefix="yibao-reliability-"))
    results: list[Figures] = []
    started = time.monotonic()
    for backend in args.backends.split(","):
        for name in args.stages.split(","):
            begun = time.monotonic()
            world = prepare(backend, directory, name)
            try:
                figures = chosen[name](world)
            finally:
                world.engine.dispose()
            results.append(figures)
            print(f"{figures.line()}  ({time.monotonic() - begun:.0f} s)", flush=True)
            for failure in figures.failures[:20]:
                print(f"    ✗ {failure}", flush=True)
    totals = {key: sum(f.counts.get(key, 0) for f in results) for key in SUMMARY}
    print(f"\nreliability suite ({'quick' if args.quick else 'full'}, {time.monotonic() - started:.0f} s): "
          + ", ".join(f"{key} {value}" for key, value in totals.items()))
    if args.keep:
        print(f"databases and server logs kept in {directory}")
    else:
        import shutil

        shutil.rmtree(directory, ignore_errors=True)
    return 1 if totals["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
