"""Benchmark: the e-credential at the counter, over the real HTTP app in-process, on SQLite and PostgreSQL.

For each of N insured persons with an active credential: GET /api/me/ecard (the resident's code: SM4 + SM2
sign) → POST /ec/api/query (decode: SM2 verify, nonce and token written) → 1101 by the ecToken; one after
another. Prints that chain's throughput and p50/p99 of each step; then 2201 → 2204 → 2207 for N/2 persons by
ecToken (01) and N/2 by ID number (02), interleaved, and the p50/p99 of 2207 each way (the token's extra
latency); and the process's peak memory.

    python bench/ecard.py [--backends sqlite,postgresql] [--persons 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import resource
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import simplejson
from fastapi.testclient import TestClient
from sqlalchemy import select

from _databases import fresh_database
from yibao.adapters.web.common import RESIDENT_COOKIE, sign_value
from yibao.app import create_app
from yibao.config import Settings
from yibao.credential.demo_channel import activate_on_demo_channel
from yibao.db import session_scope
from yibao.demo import DEMO_HIS_SECRET, generate_demo
from yibao.enrollment.models import Enrollment
from yibao.people.models import Person
from yibao.policy.editions import packaged_editions

CLINIC = "H33021300003"
PATH = "/fsi/api/rsfComIfsService/callService"


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered) * 1000:6.2f} ms  p99 {p99 * 1000:6.2f} ms"


def run(backend: str, persons: int) -> None:
    directory = Path(tempfile.mkdtemp())
    settings = Settings(database_url=fresh_database(backend, directory, "yibao_bench_ecard"), data_dir=directory)
    app = create_app(settings)
    year = dt.date.today().year
    with session_scope(app.state.sessions) as session:
        generate_demo(session, packaged_editions(), persons=max(persons * 2, 400), year=year)
        people = session.execute(select(Person.psn_no, Person.certno, Person.name).join(
            Enrollment, Enrollment.psn_no == Person.psn_no).where(
            Enrollment.year == year, Enrollment.status == "active",
            Enrollment.benefit_start <= dt.date.today())).all()[:persons]
        for _, certno, name in people:
            activate_on_demo_channel(session, directory, app.state.ec_params, certno=certno, name=name)
    serial = itertools.count(1)
    signer = SimpleNamespace(app=app)
    with TestClient(app) as client:
        def call(infno: str, data: dict[str, Any], **extra: Any) -> Any:
            body = {"infno": infno, "msgid": f"{CLINIC}{dt.datetime.now():%Y%m%d%H%M%S}{next(serial) % 10000:04d}",
                    "fixmedins_code": CLINIC, "opter": "B1", "input": data, **extra}
            answer = simplejson.loads(client.post(PATH, content=simplejson.dumps(body, use_decimal=True)).content,
                                      use_decimal=True)
            assert answer["infcode"] == 0, answer["err_msg"]
            return answer["output"]

        sign_no = call("9001", {"signIn": {"opter_no": "B1"}}, cainfo=DEMO_HIS_SECRET)["signinoutb"]["sign_no"]
        headers = {"fixmedins_code": CLINIC, "sign_no": sign_no}

        def token_for(psn_no: str, steps: dict[str, list[float]] | None = None) -> str:
            cookie = sign_value(signer, {"psn_no": psn_no}, 1)  # type: ignore[arg-type]
            started = time.perf_counter()
            code = client.get("/api/me/ecard", cookies={RESIDENT_COOKIE: cookie}).json()["qrcode"]
            issued = time.perf_counter()
            answer = client.post("/ec/api/query", headers=headers, json={"data": {
                "orgId": CLINIC, "businessType": "01101", "operatorId": "B1", "operatorName": "收费员",
                "qrCode": code}}).json()
            assert answer["code"] == 0, answer
            token: str = answer["data"]["ecToken"]
            decoded = time.perf_counter()
            call("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": token}}, sign_no=sign_no)
            if steps is not None:
                steps["issue"].append(issued - started)
                steps["decode"].append(decoded - issued)
                steps["1101"].append(time.perf_counter() - decoded)
            return token

        for psn_no, _, _ in people[:10]:  # warm
            token_for(psn_no)
        steps: dict[str, list[float]] = {"issue": [], "decode": [], "1101": []}
        started = time.perf_counter()
        tokens = {psn_no: token_for(psn_no, steps) for psn_no, _, _ in people[10:]}
        elapsed = time.perf_counter() - started
        print(f"[{backend}] {len(tokens)} × (code issue → decode → 1101 by token): "
              f"{len(tokens) / elapsed:.1f} chains/s, {elapsed / len(tokens) * 1000:.2f} ms each")
        for name, samples in steps.items():
            print(f"  {name:7s} {percentiles(samples)}")

        today = dt.date.today().isoformat()
        settle: dict[str, list[float]] = {"01": [], "02": []}
        for n, (psn_no, certno, _) in enumerate(people[10:]):
            kind = "01" if n % 2 == 0 else "02"
            cert_no = tokens[psn_no] if kind == "01" else certno
            mdtrt_id = call("2201", {"data": {"psn_no": psn_no, "insutype": "390", "begntime": f"{today} 08:30:00",
                                              "mdtrt_cert_type": kind, "mdtrt_cert_no": cert_no}},
                            sign_no=sign_no)["data"]["mdtrt_id"]
            call("2204", {"feedetail": [{"feedetl_sn": "F1", "mdtrt_id": mdtrt_id, "psn_no": psn_no,
                                         "fee_ocur_time": f"{today} 09:00:00", "med_list_codg": "001101000010000",
                                         "cnt": Decimal(1), "pric": Decimal(10), "det_item_fee_sumamt": Decimal(10)}]},
                 sign_no=sign_no)
            began = time.perf_counter()
            call("2207", {"data": {"psn_no": psn_no, "mdtrt_cert_type": kind, "mdtrt_cert_no": cert_no,
                                   "med_type": "11", "medfee_sumamt": Decimal("10.00"), "mdtrt_id": mdtrt_id,
                                   "insutype": "390"}}, sign_no=sign_no)
            settle[kind].append(time.perf_counter() - began)
        for kind, label in (("01", "by ecToken (01)"), ("02", "by ID number (02)")):
            print(f"  2207 {label:18s} {percentiles(settle[kind])}")
        extra = statistics.median(settle["01"]) - statistics.median(settle["02"])
        print(f"  2207 extra latency by token: {extra * 1000:+.2f} ms (median)")
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    app.state.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--persons", type=int, default=200)
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run(backend, args.persons)


if __name__ == "__main__":
    main()
