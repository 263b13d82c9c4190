"""What every stage of the reliability suite shares: a fresh database with demo data, `yibao serve` in a process of
its own (killed with SIGKILL where a stage says so), a hospital system speaking the national interface, staff
sign-in, and a fingerprint of everything the database holds (to prove that a refused request wrote nothing)."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import simplejson
from sqlalchemy import text
from sqlalchemy.engine import Engine

from yibao.db import make_engine, make_sessionmaker, migrate, session_scope
from yibao.demo import DEMO_HIS_SECRET, DEMO_STAFF, generate_demo, insured_today
from yibao.kit import sealing
from yibao.models import metadata
from yibao.policy.editions import packaged_editions

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from _databases import fresh_database  # type: ignore[import-not-found]  # the benchmarks' fresh databases

PATH = "/fsi/api/rsfComIfsService/callService"
CLINICS = ("H33021300003", "H33021300004", "H33021300001", "H33021300002")
LINES = (("001101000010000", Decimal("1"), Decimal("10")), ("XC10AAA014A001010101234", Decimal("2"), Decimal("35.5")),
         ("XJ01CAA040A001010101445", Decimal("3"), Decimal("12.8")))
# What changes on a refused request by design: the interface log, the sign-in throttle's counts, sign-in sessions
# and the access trail (views are appended by a background writer, a moment after the answer that noted them).
NOT_FINGERPRINTED = frozenset({"gateway_calls", "sign_in_failures", "login_sessions", "access_trail",
                               "access_trail_head"})
_serial = itertools.count(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class World:
    """A database with demo data and the data directory its server uses (the same sealing keys)."""

    backend: str
    url: str
    data_dir: Path
    insured: list[tuple[str, str]]  # (psn_no, ID number) covered today
    engine: Engine = field(repr=False)


def prepare(backend: str, directory: Path, name: str, persons: int = 40) -> World:
    data_dir = directory / f"{name}-{backend}"
    data_dir.mkdir(parents=True, exist_ok=True)
    sealing.use(data_dir, None)  # this process seals the demo data with the keys the server will read
    if not (data_dir / sealing.KEY_FILE).exists():
        sealing.save(data_dir, sealing.active(), env_key=None)
    url = fresh_database(backend, directory, f"{name}_{backend}".replace("-", "_"))
    engine = make_engine(url)
    migrate(engine)
    with session_scope(make_sessionmaker(engine)) as session:
        generate_demo(session, packaged_editions(), persons=persons, year=dt.date.today().year)
        insured = insured_today(session)
    return World(backend, url, data_dir, insured, engine)


class Live:
    """`yibao serve` on a free port against the world's database; `kill()` is SIGKILL (nothing flushed)."""

    def __init__(self, world: World, *, workers: int = 1) -> None:
        self.world, self.workers, self.port = world, workers, free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = world.data_dir / "serve.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Live:
        env = {**os.environ, "YIBAO_DATABASE_URL": self.world.url, "YIBAO_DATA_DIR": str(self.world.data_dir)}
        yibao = [sys.executable, "-m", "yibao.adapters.cli.main"]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([*yibao, "serve", "--port", str(self.port), "--workers",
                                             str(self.workers)], env=env, stdout=log, stderr=log,
                                            start_new_session=True)  # its own process group: killed whole
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/api/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"yibao serve did not start: see {self.log}")

    def kill(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process = None

    def tracebacks(self) -> int:
        """Tracebacks the server wrote to its log (any is a defect: every error has an answer)."""
        return self.log.read_text(encoding="utf-8", errors="replace").count("Traceback") if self.log.exists() else 0


def staff_token(base: str, role: str = "admin") -> str:
    username, password = next((u, p) for u, _, r, p in DEMO_STAFF if r == role)
    answer = httpx.post(f"{base}/api/auth/login", json={"username": username, "password": password}, timeout=30)
    answer.raise_for_status()
    return str(answer.json()["token"])


class His:
    """A hospital system: signs in (9001, the demo secret) and sends envelopes; answers are JSON objects."""

    def __init__(self, base: str, code: str, *, client: httpx.Client | None = None) -> None:
        self.base, self.code = base, code
        self.http = client or httpx.Client(base_url=base, timeout=60)
        self.sign_no: str | None = None
        answer = self.call("9001", {"signIn": {"opter_no": "R1", "mac": "-", "ip": "127.0.0.1"}},
                           cainfo=DEMO_HIS_SECRET)
        if answer.get("infcode") != 0:
            raise RuntimeError(f"9001 refused for {code}: {answer.get('err_msg')}")
        self.sign_no = answer["output"]["signinoutb"]["sign_no"]

    def envelope(self, infno: str, data: Any, **extra: Any) -> dict[str, Any]:
        msgid = f"{self.code}{dt.datetime.now():%Y%m%d%H%M%S}{next(_serial) % 10000:04d}"
        return {"infno": infno, "msgid": msgid, "fixmedins_code": self.code, "sign_no": self.sign_no,
                "opter": "R1", "opter_name": "可靠性", "inf_time": dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
                "input": data, **extra}

    def post(self, body: bytes | str) -> httpx.Response:
        return self.http.post(PATH, content=body, headers={"content-type": "application/json"})

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        answer = self.post(simplejson.dumps(envelope, use_decimal=True))
        if answer.status_code != 200:
            return {"infcode": -99, "err_msg": f"HTTP {answer.status_code}", "http": answer.status_code}
        result: dict[str, Any] = simplejson.loads(answer.content, use_decimal=True)
        return result

    def call(self, infno: str, data: Any, **extra: Any) -> dict[str, Any]:
        return self.send(self.envelope(infno, data, **extra))

    def ok(self, infno: str, data: Any) -> dict[str, Any]:
        answer = self.call(infno, data)
        if answer.get("infcode") != 0:
            raise RuntimeError(f"{infno} refused: {answer.get('err_msg')}")
        output: dict[str, Any] = answer["output"]
        return output

    # the canonical outpatient flow, piece by piece
    def register(self, psn_no: str, certno: str) -> str:
        today = dt.date.today().isoformat()
        data = {"psn_no": psn_no, "insutype": "390", "begntime": f"{today} 08:00:00", "mdtrt_cert_type": "02",
                "mdtrt_cert_no": certno}
        return str(self.ok("2201", {"data": data})["data"]["mdtrt_id"])

    def fee_lines(self, psn_no: str, mdtrt_id: str) -> list[dict[str, Any]]:
        today = dt.date.today().isoformat()
        return [{"feedetl_sn": f"F{next(_serial)}-{n}", "mdtrt_id": mdtrt_id, "psn_no": psn_no,
                 "fee_ocur_time": f"{today} 08:10:00", "med_list_codg": code, "cnt": cnt, "pric": pric,
                 "det_item_fee_sumamt": (cnt * pric).quantize(Decimal("0.01"))} for n, (code, cnt, pric) in
                enumerate(LINES)]

    def visit_with_fees(self, psn_no: str, certno: str) -> tuple[str, Decimal]:
        mdtrt_id = self.register(psn_no, certno)
        lines = self.fee_lines(psn_no, mdtrt_id)
        self.ok("2204", {"feedetail": lines})
        return mdtrt_id, sum((line["det_item_fee_sumamt"] for line in lines), Decimal(0))

    @staticmethod
    def settle_data(psn_no: str, mdtrt_id: str, total: Decimal) -> dict[str, Any]:
        return {"data": {"psn_no": psn_no, "mdtrt_id": mdtrt_id, "medfee_sumamt": total, "med_type": "11",
                         "mdtrt_cert_type": "02", "insutype": "390", "psn_setlway": "01", "acct_used_flag": "0"}}


def fingerprint(engine: Engine) -> dict[str, str]:
    """Every table's rows (but NOT_FINGERPRINTED), hashed in key order: equal fingerprints, nothing written."""
    prints = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            if table.name in NOT_FINGERPRINTED:
                continue
            digest = hashlib.sha256()
            order = ", ".join(c.name for c in table.primary_key.columns) or "1"
            for row in connection.execute(text(f"SELECT * FROM {table.name} ORDER BY {order}")):
                digest.update(repr(tuple(row)).encode())
            prints[table.name] = digest.hexdigest()
    return prints


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in after if before.get(name) != after[name])


INTERNAL = "系统内部错误"


@dataclass
class Figures:
    """What a stage counted; `failures` lists each defect in words (the suite fails on any)."""

    stage: str
    backend: str
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def fail(self, what: str) -> None:
        if len(self.failures) < 200:
            self.failures.append(what)
        self.add("failures")

    def answered(self, label: str, status: int, text: str) -> None:
        """An answer to a fuzzed request: never a 5xx, never 系统内部错误."""
        self.add("requests")
        if status >= 500:
            self.add("5xx")
            self.fail(f"{label}: HTTP {status}")
        if INTERNAL in text:
            self.add("internal errors")
            self.fail(f"{label}: 系统内部错误")

    def refused_wrote(self, label: str, before: dict[str, str], after: dict[str, str]) -> None:
        """A refused request: the database must be as it was."""
        self.add("refused")
        written = changed_tables(before, after)
        if written:
            self.add("written by refused")
            self.fail(f"{label} was refused but changed {', '.join(written)}")

    def line(self) -> str:
        shown = ", ".join(f"{k} {v}" for k, v in self.counts.items())
        return f"[{self.backend}] {self.stage}: {shown or '—'}"
