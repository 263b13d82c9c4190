"""Duplicates and concurrency against a live server: the same 2207 (one msgid) from many clients at once settles
once and answers all alike; many msgids for one visit settle it once; many visits of one person settled at once
lose no accumulator update; the ledger stays balanced."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import simplejson
from sqlalchemy import func, select

from reliability.common import CLINICS, Figures, His, Live, World
from yibao.accounts.ledger import ledger_balances, unbalanced_entries
from yibao.db import make_sessionmaker, session_scope
from yibao.settlement.models import Settlement
from yibao.settlement.settle import read_accumulators


def _post_all(live: Live, bodies: list[dict[str, Any]], clients: int) -> list[dict[str, Any]]:
    pool_clients = [httpx.Client(base_url=live.base, timeout=120) for _ in range(clients)]

    def send(n: int) -> dict[str, Any]:
        answer = pool_clients[n % clients].post("/fsi/api/rsfComIfsService/callService",
                                                content=simplejson.dumps(bodies[n], use_decimal=True),
                                                headers={"content-type": "application/json"})
        if answer.status_code != 200:
            return {"infcode": -99, "err_msg": f"HTTP {answer.status_code}"}
        result: dict[str, Any] = simplejson.loads(answer.content, use_decimal=True)
        return result

    with ThreadPoolExecutor(max_workers=clients) as pool:
        answers = list(pool.map(send, range(len(bodies))))
    for client in pool_clients:
        client.close()
    return answers


def run(world: World, *, copies: int, clients: int, msgids: int, visits: int) -> Figures:
    figures = Figures("duplicates and concurrency", world.backend)
    live = Live(world).start()
    sessions = make_sessionmaker(world.engine)
    try:
        his = His(live.base, CLINICS[0])
        psn_no, certno = world.insured[1]
        # the same 2207, one msgid, from many clients at once
        mdtrt_id, total = his.visit_with_fees(psn_no, certno)
        body = his.envelope("2207", his.settle_data(psn_no, mdtrt_id, total))
        answers = _post_all(live, [body] * copies, clients)
        figures.add("same 2207 sent", copies)
        ids = {a["output"]["setlinfo"]["setl_id"] for a in answers if a.get("infcode") == 0}
        refused = [a["err_msg"] for a in answers if a.get("infcode") != 0]
        if refused or len(ids) != 1:
            figures.fail(f"the same 2207 ×{copies}: {len(ids)} settlement ids, {len(refused)} refused "
                         f"({refused[:2]})")
        with session_scope(sessions) as session:
            made = session.scalar(select(func.count()).select_from(Settlement).where(Settlement.mdtrt_id == mdtrt_id))
        figures.add("settlements made by them", made or 0)
        if made != 1:
            figures.fail(f"the same 2207 ×{copies} made {made} settlements")

        # many msgids for one visit
        mdtrt_id, total = his.visit_with_fees(psn_no, certno)
        bodies = [his.envelope("2207", his.settle_data(psn_no, mdtrt_id, total)) for _ in range(msgids)]
        answers = _post_all(live, bodies, clients)
        figures.add("msgids on one visit", msgids)
        settled = sum(1 for a in answers if a.get("infcode") == 0)
        if settled != 1 or any("visit_already_settled" not in a["err_msg"] for a in answers if a.get("infcode")):
            figures.fail(f"{msgids} msgids on one visit: {settled} settled; refusals "
                         f"{sorted({a['err_msg'][:40] for a in answers if a.get('infcode')})[:3]}")

        # many visits of one person at once
        person, person_certno = world.insured[2]
        year = dt.date.today().year
        with session_scope(sessions) as session:
            start = read_accumulators(session, person, year).outpatient
        opened = [his.visit_with_fees(person, person_certno) for _ in range(visits)]
        bodies = [his.envelope("2207", his.settle_data(person, mid, amount)) for mid, amount in opened]
        answers = _post_all(live, bodies, clients)
        figures.add("visits of one person settled at once", visits)
        bad = [a["err_msg"] for a in answers if a.get("infcode") != 0]
        if bad:
            figures.fail(f"{len(bad)} of {visits} visits of one person refused: {bad[:2]}")
        with session_scope(sessions) as session:
            got = read_accumulators(session, person, year).outpatient
            mine = session.scalars(select(Settlement).where(Settlement.mdtrt_id.in_([m for m, _ in opened]))).all()
            expected = start + sum((row.add_outpatient for row in mine), Decimal(0))
            paid = sum((Decimal(str(a["output"]["setlinfo"]["hifp_pay"])) for a in answers if a.get("infcode") == 0),
                       Decimal(0))
            if len(mine) != visits or paid != sum((row.hifp_pay for row in mine), Decimal(0)):
                figures.fail(f"{len(mine)} settlements stored for {visits} visits; the answers paid {paid}")
            if got != expected:
                figures.add("lost updates")
                figures.fail(f"accumulated outpatient {got}, settlements add up to {expected}")
            unbalanced = unbalanced_entries(session)
            balances = ledger_balances(session)
        figures.add("unbalanced journal entries", len(unbalanced))
        if unbalanced or sum(balances.values(), Decimal(0)) != 0:
            figures.fail(f"ledger: {len(unbalanced)} unbalanced entries, total {sum(balances.values(), Decimal(0))}")
        if live.tracebacks():
            figures.fail(f"the server logged {live.tracebacks()} tracebacks (see {live.log})")
    finally:
        live.stop()
    return figures
