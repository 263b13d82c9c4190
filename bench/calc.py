"""Benchmark: wall time of `yibao calc` on one claim, as a user runs it (a new process each time), and how much
of it is Python starting up and importing (issue 12: target ≤ 0.3 s).

    python bench/calc.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLAIM = {"person": {"category": "adult"}, "claims": [
    {"id": "a1", "benefit": "inpatient", "date": "2022-03-10", "level": "tertiary_b", "amount": "10000.00"}]}


def timed(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return sorted(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    yibao = shutil.which("yibao", path=str(Path(sys.executable).parent)) or "yibao"
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(CLAIM, handle)
    for name, command in (
        ("python -c pass (interpreter start)", [sys.executable, "-c", "pass"]),
        ("import the policy core", [sys.executable, "-c", "import yibao.policy.scenario"]),
        ("yibao calc, one claim (JSON)", [yibao, "calc", handle.name]),
        ("yibao calc --format table", [yibao, "calc", "--format", "table", handle.name]),
        ("yibao --help (the whole command line)", [yibao, "--help"]),
    ):
        times = timed(command, args.runs)
        print(f"{name:<40} median {statistics.median(times) * 1000:6.0f} ms   "
              f"min {times[0] * 1000:6.0f} ms   max {times[-1] * 1000:6.0f} ms   ({args.runs} runs)")
    Path(handle.name).unlink()


if __name__ == "__main__":
    main()
