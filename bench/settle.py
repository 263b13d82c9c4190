"""Benchmark: real-time settlement over HTTP on loopback (issue 4).

Starts `yibao serve` on a fresh database with demo data, then N concurrent clients (asyncio + aiohttp in
one process; httpx's client alone topped out near 400 requests/s here, far below the server) each sign in
(9001) and drive patients through 1101 → 2201 → 2204 (3 fee lines) → 2207. Prints settlements/s, the
p50/p99 latency of 2207 and of the whole four-call flow, and, against the same server in the same run, the
request rate of a trivial endpoint (GET /api/health). Bounded in count and time; only 127.0.0.1 is
contacted.

    python bench/settle.py [--backends sqlite,postgresql] [--clients 16] [--settlements 1500] [--workers N]
                           [--accounts off,on]

`--accounts on` gives every patient a historical account (历年个账, POLICY.md §11) through the employee system's
daily file and settles with acct_used_flag 1, so each 2207 draws on it; with both, the cost of account payment
per settlement is printed (server CPU and 2207 latency, on minus off).

Workers default to what each database wants: one on SQLite (it has one writer; a second process only
contends for the lock and re-reads the pages the other changed: measured 40-70 % more CPU per settlement and
fewer settlements/s), two on PostgreSQL.
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
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import simplejson
from sqlalchemy import select

from _databases import fresh_database
from yibao.accounts.historical import import_daily_file
from yibao.db import make_engine, make_sessionmaker, migrate, session_scope
from yibao.demo import DEMO_HIS_SECRET, generate_demo, insured_today
from yibao.people.models import Person
from yibao.policy.editions import packaged_editions

PATH = "/fsi/api/rsfComIfsService/callService"
CLINICS = ("H33021300003", "H33021300004", "H33021300001", "H33021300002")
LINES = (("001101000010000", Decimal("1"), Decimal("10")), ("XC10AAA014A001010101234", Decimal("2"), Decimal("35.5")),
         ("XJ01CAA040A001010101445", Decimal("3"), Decimal("12.8")))


def prepare(url: str, persons: int, accounts: bool) -> list[tuple[str, str]]:
    engine = make_engine(url)
    migrate(engine)
    with session_scope(make_sessionmaker(engine)) as session:
        generate_demo(session, packaged_editions(), persons=persons, year=dt.date.today().year)
        insured = insured_today(session)
        if accounts:  # the day after the demo's own first daily file
            names = {psn_no: name for psn_no, name in session.execute(select(Person.psn_no, Person.name))}
            lines = "".join(f"{certno},{names[psn_no]},0,100000.00\n" for psn_no, certno in insured)
            import_daily_file(session, "bench.csv", ("身份证号,姓名,当日变动,日终余额\n" + lines).encode(),
                              file_id="BENCH", day=dt.date.today() - dt.timedelta(days=1), actor="bench")
    engine.dispose()
    return insured


def cpu_seconds(root: int) -> float:
    """CPU time (user + system) used so far by process `root` and all its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
            times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    family, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in family} - family
        family |= more
        grew = bool(more)
    return sum(times.get(pid, 0.0) for pid in family)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Client:
    serial = 0

    def __init__(self, http: aiohttp.ClientSession, code: str, accounts: bool) -> None:
        self.http, self.code, self.sign_no, self.accounts = http, code, None, accounts

    async def call(self, infno: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
        Client.serial += 1
        body = {"infno": infno, "msgid": f"{self.code}{dt.datetime.now():%Y%m%d%H%M%S}{Client.serial % 10000:04d}",
                "fixmedins_code": self.code, "sign_no": self.sign_no, "opter": "B1", "input": data, **extra}
        async with self.http.post(PATH, data=simplejson.dumps(body, use_decimal=True),
                                  headers={"content-type": "application/json"}) as answer:
            result: dict[str, Any] = simplejson.loads(await answer.read(), use_decimal=True)
        if result["infcode"] != 0:
            raise RuntimeError(f"{infno}: {result['err_msg']}")
        return result

    async def sign_in(self) -> None:
        answer = await self.call("9001", {"signIn": {"opter_no": "B1", "mac": "-", "ip": "127.0.0.1"}},
                                 cainfo=DEMO_HIS_SECRET)
        self.sign_no = answer["output"]["signinoutb"]["sign_no"]

    async def flow(self, psn_no: str, certno: str) -> tuple[float, float]:
        today = dt.date.today().isoformat()
        started = time.perf_counter()
        await self.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": certno}})
        visit = await self.call("2201", {"data": {"psn_no": psn_no, "insutype": "390", "begntime": f"{today} 08:00:00",
                                                  "mdtrt_cert_type": "02", "mdtrt_cert_no": certno}})
        mdtrt_id = visit["output"]["data"]["mdtrt_id"]
        fees = [{"feedetl_sn": f"{mdtrt_id}-{n}", "mdtrt_id": mdtrt_id, "psn_no": psn_no, "fee_ocur_time":
                 f"{today} 08:10:00", "med_list_codg": code, "cnt": cnt, "pric": pric,
                 "det_item_fee_sumamt": (cnt * pric).quantize(Decimal("0.01"))} for n, (code, cnt, pric) in
                enumerate(LINES)]
        await self.call("2204", {"feedetail": fees})
        total = sum((f["det_item_fee_sumamt"] for f in fees), Decimal(0))
        settle_started = time.perf_counter()
        await self.call("2207", {"data": {"psn_no": psn_no, "mdtrt_id": mdtrt_id, "medfee_sumamt": total,
                                          "med_type": "11", "mdtrt_cert_type": "02", "insutype": "390",
                                          "acct_used_flag": "1" if self.accounts else "0"}})
        ended = time.perf_counter()
        return ended - settle_started, ended - started


async def drive(port: int, clients: int, people: list[tuple[str, str]], limit: float, server: int,
                accounts: bool) -> dict[str, Any]:
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for person in people:
        queue.put_nowait(person)
    settle_times: list[float] = []
    flow_times: list[float] = []
    errors: list[str] = []
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}", connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=30)) as http:
        workers = [Client(http, CLINICS[n % len(CLINICS)], accounts) for n in range(clients)]
        await asyncio.gather(*(w.sign_in() for w in workers))
        deadline = time.perf_counter() + limit

        async def work(client: Client) -> None:
            while not queue.empty() and time.perf_counter() < deadline:
                psn_no, certno = queue.get_nowait()
                try:
                    settle, flow = await client.flow(psn_no, certno)
                except RuntimeError as exc:
                    errors.append(str(exc))
                    continue
                settle_times.append(settle)
                flow_times.append(flow)

        started, server_cpu, client_cpu = time.perf_counter(), cpu_seconds(server), time.process_time()
        await asyncio.gather(*(work(w) for w in workers))
        elapsed = time.perf_counter() - started
        server_cpu, client_cpu = cpu_seconds(server) - server_cpu, time.process_time() - client_cpu

        health = 0
        health_deadline = time.perf_counter() + 5

        async def ping() -> None:
            nonlocal health
            while time.perf_counter() < health_deadline:
                async with http.get("/api/health") as answer:
                    await answer.read()
                health += 1

        ping_started = time.perf_counter()
        await asyncio.gather(*(ping() for _ in range(clients)))
        ping_elapsed = time.perf_counter() - ping_started
    return {"settle": settle_times, "flow": flow_times, "elapsed": elapsed, "errors": errors,
            "health_rate": health / ping_elapsed, "server_cpu": server_cpu, "client_cpu": client_cpu}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000 if ordered else float("nan")


def run(backend: str, args: argparse.Namespace, synchronous: str = "FULL", accounts: bool = False) -> dict[str, float]:
    workers = args.workers or (1 if backend == "sqlite" else 2)
    with tempfile.TemporaryDirectory() as directory:
        url = fresh_database(backend, Path(directory), "yibao_settle")
        people = prepare(url, max(args.settlements * 12 // 10, 2000), accounts)[: args.settlements]
        port = free_port()
        env = {**os.environ, "YIBAO_DATABASE_URL": url, "YIBAO_SQLITE_SYNCHRONOUS": synchronous}
        server = subprocess.Popen([sys.executable, "-m", "yibao.adapters.cli.main", "serve", "--port", str(port),
                                   "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            result = asyncio.run(drive(port, args.clients, people, args.seconds, server.pid, accounts))
        finally:
            server.terminate()
            server.wait(timeout=30)
    done = len(result["settle"])
    durability = f", synchronous={synchronous}" if backend == "sqlite" else ""
    paying = ", every 2207 paid from the patient's historical account" if accounts else ", acct_used_flag 0"
    print(f"[{backend}{durability}{paying}] {workers} server worker(s), {args.clients} concurrent clients, loopback")
    print(f"  settlements      {done:,} in {result['elapsed']:.1f} s = {done / result['elapsed']:,.0f} settlements/s"
          f"   (each 1101 → 2201 → 2204 → 2207; {4 * done / result['elapsed']:,.0f} requests/s)")
    print(f"  2207 latency     p50 {pct(result['settle'], 0.5):.1f} ms   p99 {pct(result['settle'], 0.99):.1f} ms"
          f"   mean {statistics.fmean(result['settle']) * 1000:.1f} ms")
    print(f"  flow latency     p50 {pct(result['flow'], 0.5):.1f} ms   p99 {pct(result['flow'], 0.99):.1f} ms")
    print(f"  CPU per flow     server {result['server_cpu'] / done * 1000:.2f} ms"
          f" ({result['server_cpu'] / result['elapsed'] * 100:.0f} % of a core),"
          f" bench client {result['client_cpu'] / done * 1000:.2f} ms"
          f" ({result['client_cpu'] / result['elapsed'] * 100:.0f} %)")
    print(f"  trivial endpoint GET /api/health: {result['health_rate']:,.0f} requests/s (same server, same run)")
    print(f"  errors           {len(result['errors'])}" + (f"  e.g. {result['errors'][0]}" if result["errors"] else ""))
    sys.stdout.flush()
    return {"cpu": result["server_cpu"] / done * 1000, "p50": pct(result["settle"], 0.5),
            "rate": done / result["elapsed"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--settlements", type=int, default=1500)
    parser.add_argument("--workers", type=int, default=None, help="default: 1 on SQLite, 2 on PostgreSQL")
    parser.add_argument("--seconds", type=float, default=60, help="stop driving after this long")
    parser.add_argument("--accounts", default="off,on",
                        help="off: acct_used_flag 0; on: each patient's historical account pays (both: the cost)")
    parser.add_argument("--sqlite-synchronous", default="FULL,NORMAL",
                        help="SQLite durability settings to measure (FULL is the default for serving)")
    args = parser.parse_args()
    parser_modes = [mode == "on" for mode in args.accounts.split(",")]
    for backend in args.backends.split(","):
        for synchronous in args.sqlite_synchronous.split(",") if backend == "sqlite" else ["FULL"]:
            figures = {accounts: run(backend, args, synchronous, accounts) for accounts in parser_modes}
            if len(figures) == 2:
                on, off = figures[True], figures[False]
                print(f"  account payment  +{on['cpu'] - off['cpu']:.2f} ms server CPU per settlement flow,"
                      f" 2207 p50 {on['p50'] - off['p50']:+.1f} ms, {on['rate'] - off['rate']:+,.0f} settlements/s"
                      f" ({backend}{', synchronous=' + synchronous if backend == 'sqlite' else ''})")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
