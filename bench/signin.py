"""Benchmark: what sign-ins cost the rest of the server (issue 19 item 3).

Starts `yibao serve` (SQLite, one worker) on a fresh database with the demo institutions, then measures the
latency of GET /api/health alone, and again while C clients sign in through 9001 with the plain secret in
cainfo (the demo's legacy mode: scrypt for every call) and while C clients send wrong secrets (refused by the
throttle after its free attempts). Before the fix scrypt ran in the event loop and 4 such clients pushed the
health probe's p50 from 1.2 to 81 ms. Prints p50/p99 of the probe and the sign-ins' own rate. Only
127.0.0.1 is contacted.

    python bench/signin.py [--clients 4] [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from _databases import fresh_database

PATH = "/fsi/api/rsfComIfsService/callService"
CLINIC = "H33021300003"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def envelope(serial: int, secret: str) -> dict[str, Any]:
    moment = dt.datetime.now()
    return {"infno": "9001", "msgid": f"{CLINIC}{moment:%Y%m%d%H%M%S}{serial % 10000:04d}", "fixmedins_code": CLINIC,
            "inf_time": f"{moment:%Y-%m-%d %H:%M:%S}", "opter": "B001", "cainfo": secret,
            "input": {"signIn": {"opter_no": "B001", "mac": "00", "ip": "127.0.0.1"}}}


async def probe(base: str, seconds: float, signers: int, secret: str) -> tuple[list[float], int]:
    """The health probe's latencies while `signers` clients sign in; and how many sign-ins were answered."""
    stop = time.perf_counter() + seconds
    answered = 0
    async with aiohttp.ClientSession() as http:

        async def sign_in(number: int) -> None:
            nonlocal answered
            serial = number * 100000
            while time.perf_counter() < stop:
                serial += 1
                async with http.post(base + PATH, json=envelope(serial, secret)) as answer:
                    await answer.read()
                    answered += 1

        async def health() -> list[float]:
            took: list[float] = []
            while time.perf_counter() < stop:
                started = time.perf_counter()
                async with http.get(base + "/api/health") as answer:
                    await answer.read()
                took.append(time.perf_counter() - started)
                await asyncio.sleep(0.01)
            return took

        results = await asyncio.gather(health(), *(sign_in(i) for i in range(signers)))
    return results[0], answered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=8)
    args = parser.parse_args()
    from yibao.demo import DEMO_HIS_SECRET

    with tempfile.TemporaryDirectory() as directory:
        url = fresh_database("sqlite", Path(directory), "yibao_signin")
        env = {**os.environ, "YIBAO_DATABASE_URL": url, "YIBAO_DATA_DIR": directory}
        yibao = [sys.executable, "-m", "yibao.adapters.cli.main"]
        subprocess.run([*yibao, "demo", "--persons", "10"], env=env, check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen([*yibao, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            print(f"[sqlite] one worker; GET /api/health every 10 ms for {args.seconds:.0f} s")
            for label, signers, secret in (("alone", 0, DEMO_HIS_SECRET),
                                           (f"{args.clients} clients, right secret (scrypt each)", args.clients,
                                            DEMO_HIS_SECRET),
                                           (f"{args.clients} clients, wrong secrets (throttled)", args.clients,
                                            "wrong-secret")):
                took, answered = asyncio.run(probe(base, args.seconds, signers, secret))
                print(f"  {label:<44} health p50 {pct(took, 0.5):6.1f} ms  p99 {pct(took, 0.99):6.1f} ms"
                      f"  mean {statistics.fmean(took) * 1000:6.1f} ms"
                      f"   sign-ins answered {answered / args.seconds:6.1f}/s")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
