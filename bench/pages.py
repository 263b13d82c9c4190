"""Benchmark: the web pages over HTTP on loopback (issue 5).

Creates demo data (`yibao demo`), starts `yibao serve`, signs a clerk in, then for each page drives N
concurrent clients (asyncio + aiohttp in one process) for a fixed time and prints requests/s and p50/p99
latency: the person page (a random insured person each time), the person search, the centre dashboard,
the benefit calculator (POST) and the policy Q&A search. Only 127.0.0.1 is contacted.

    python bench/pages.py [--persons 10000] [--clients 8] [--seconds 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


Request = Callable[[aiohttp.ClientSession, random.Random], Any]


async def measure(base: str, cookies: dict[str, str], request: Request, clients: int,
                  seconds: float) -> tuple[int, list[float], int]:
    times: list[float] = []
    failures = 0
    async with aiohttp.ClientSession(base_url=base, cookies=cookies,
                                     connector=aiohttp.TCPConnector(limit=clients)) as http:
        deadline = time.perf_counter() + seconds

        async def work(seed: int) -> None:
            nonlocal failures
            rng = random.Random(seed)
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with request(http, rng) as answer:
                    await answer.read()
                    if answer.status != 200:
                        failures += 1
                times.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(work(n) for n in range(clients)))
        return int(len(times) / (time.perf_counter() - started)), times, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "YIBAO_DATA_DIR": folder}
        env.pop("YIBAO_DATABASE_URL", None)
        yibao = [sys.executable, "-m", "yibao.adapters.cli.main"]
        subprocess.run([*yibao, "demo", "--persons", str(args.persons)], env=env, check=True, capture_output=True)
        with sqlite3.connect(Path(folder) / "yibao.sqlite3") as db:
            people = [row[0] for row in db.execute("SELECT psn_no FROM enrollments WHERE status = 'active'")]
            names = [row[0] for row in db.execute("SELECT DISTINCT substr(name, 1, 1) FROM persons")]
        port = free_port()
        server = subprocess.Popen([*yibao, "serve", "--port", str(port), "--workers", str(args.workers)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    if httpx.get(f"{base}/api/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            login = httpx.post(f"{base}/console/login", data={"username": "clerk", "password": "yibao-clerk",
                                                              "next": "/console"})
            cookies = {"yibao_staff": login.history[0].cookies["yibao_staff"]} if login.history else {}
            calc = {"category": "adult", "benefit": "inpatient", "level": "tertiary_b", "service_date": "2026-06-01",
                    "amount_0": "10000", "class_0": "A", "amount_1": "2500", "class_1": "B"}
            pages: dict[str, Request] = {
                "person page": lambda http, rng: http.get(f"/console/people/{rng.choice(people)}"),
                "person search (htmx)": lambda http, rng: http.get("/console/people", params={"q": rng.choice(names)},
                                                                   headers={"HX-Request": "true"}),
                "dashboard": lambda http, rng: http.get("/console/dashboard"),
                "calculator POST": lambda http, rng: http.post("/calc", data=calc),
                "Q&A search": lambda http, rng: http.get("/qa", params={"q": rng.choice(["大病", "异地", "缴费"])}),
            }
            print(f"yibao pages, SQLite, {args.persons:,} persons, {args.workers} workers, {args.clients} clients, "
                  f"{args.seconds:.0f} s per page")
            for name, request in pages.items():
                rate, times, failures = asyncio.run(measure(base, cookies, request, args.clients, args.seconds))
                cuts = statistics.quantiles(times, n=100)
                print(f"  {name:22s} {rate:6,d} req/s   p50 {cuts[49] * 1000:6.1f} ms   p99 {cuts[98] * 1000:6.1f} ms"
                      f"   failures {failures}")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
