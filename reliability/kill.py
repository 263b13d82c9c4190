"""`kill -9` of the server at random moments under a settlement load. Clients drive 1101 → 2201 → 2204 → 2207 (and
cancel some settlements with 2208) until the server dies under them; it is started again, and again killed.
Afterwards: every settlement the clients were told of is there (and one resent with its msgid answers the same),
nothing is half-written (a settled visit without its settlement, a settlement without its journal entry, fee
lines assigned to no settlement, a stored answer naming a settlement that is not there), the ledger balances."""

from __future__ import annotations

import random
import threading
import time
from decimal import Decimal
from typing import Any

import httpx
import simplejson
from sqlalchemy import func, select

from reliability.common import CLINICS, Figures, His, Live, World
from yibao.accounts.ledger import ledger_balances, unbalanced_entries
from yibao.accounts.models import JournalEntry, Posting
from yibao.db import make_sessionmaker, session_scope
from yibao.settlement.models import FeeDetail, GatewayMessage, Settlement, Visit


class Load:
    """Clients settling until told to stop (or until the server they talk to is gone)."""

    def __init__(self, live: Live, world: World, clients: int, rng: random.Random) -> None:
        self.live, self.world, self.rng = live, world, rng
        self.stop = threading.Event()
        self.acknowledged: dict[str, tuple[dict[str, Any], str]] = {}  # msgid → (envelope, setl_id)
        self.cancelled: set[str] = set()
        self.unanswered = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._drive, args=(n,), daemon=True) for n in range(clients)]

    def _drive(self, n: int) -> None:
        try:
            his = His(self.live.base, CLINICS[n % len(CLINICS)], client=httpx.Client(base_url=self.live.base,
                                                                                     timeout=30))
        except (httpx.HTTPError, RuntimeError):
            return
        people = self.world.insured
        while not self.stop.is_set():
            psn_no, certno = people[self.rng.randrange(len(people))]
            try:
                mdtrt_id, total = his.visit_with_fees(psn_no, certno)
                body = his.envelope("2207", his.settle_data(psn_no, mdtrt_id, total))
                answer = his.send(body)
                if answer.get("infcode") == 0:
                    setl_id = answer["output"]["setlinfo"]["setl_id"]
                    with self.lock:
                        self.acknowledged[body["msgid"]] = (body, setl_id)
                    if self.rng.random() < 0.2:
                        cancel = his.call("2208", {"data": {"setl_id": setl_id, "mdtrt_id": mdtrt_id,
                                                            "psn_no": psn_no}})
                        if cancel.get("infcode") == 0:
                            with self.lock:
                                self.cancelled.add(setl_id)
            except (httpx.HTTPError, RuntimeError, KeyError, ValueError):
                with self.lock:
                    self.unanswered += 1
                if self.stop.is_set():
                    return
                time.sleep(0.05)

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def run(world: World, *, rounds: int, clients: int, seed: int = 9) -> Figures:
    figures = Figures("kill -9 under load", world.backend)
    rng = random.Random(seed)
    acknowledged: dict[str, tuple[dict[str, Any], str]] = {}
    cancelled: set[str] = set()
    live = Live(world, workers=2 if world.backend == "postgresql" else 1)
    for _ in range(rounds):
        live.start()
        with Load(live, world, clients, rng) as load:
            time.sleep(rng.uniform(0.4, 2.0))
            live.kill()
            figures.add("kills")
        acknowledged |= load.acknowledged
        cancelled |= load.cancelled
        figures.add("calls unanswered at the kill", load.unanswered)
    figures.add("settlements acknowledged", len(acknowledged))
    figures.add("cancellations acknowledged", len(cancelled))
    live.start()
    try:
        _check(world, live, acknowledged, cancelled, figures, rng)
    finally:
        live.stop()
    return figures


def _check(world: World, live: Live, acknowledged: dict[str, tuple[dict[str, Any], str]], cancelled: set[str],
           figures: Figures, rng: random.Random) -> None:
    sessions = make_sessionmaker(world.engine)
    with session_scope(sessions) as session:
        stored = {row.setl_id: row.status for row in session.execute(select(Settlement.setl_id, Settlement.status))}
        lost = [s for _, s in acknowledged.values() if s not in stored]
        wrong = [s for s in cancelled if stored.get(s) != "cancelled"]
        figures.add("lost", len(lost) + len(wrong))
        for setl_id in (lost + wrong)[:5]:
            figures.fail(f"acknowledged settlement {setl_id} is {stored.get(setl_id, 'missing')}")
        half = _half_written(session)
        figures.add("half-written", sum(len(v) for v in half.values()))
        for what, ids in half.items():
            if ids:
                figures.fail(f"{what}: {ids[:3]}")
        unbalanced = unbalanced_entries(session)
        total = sum(ledger_balances(session).values(), Decimal(0))
        figures.add("unbalanced", len(unbalanced) + (total != 0))
        if unbalanced or total != 0:
            figures.fail(f"ledger: {len(unbalanced)} unbalanced entries, total {total}")
    his = His(live.base, CLINICS[0])
    sample = rng.sample(sorted(acknowledged), min(20, len(acknowledged)))
    for msgid in sample:  # an acknowledged 2207 resent after the crashes: the same settlement, nothing new
        body, setl_id = acknowledged[msgid]
        answer = simplejson.loads(his.post(simplejson.dumps(body, use_decimal=True)).content, use_decimal=True)
        figures.add("acknowledged resent")
        if answer.get("infcode") != 0 or answer["output"]["setlinfo"]["setl_id"] != setl_id:
            figures.fail(f"resending acknowledged {msgid} answered {answer.get('err_msg') or answer['output']}")
    if live.tracebacks():
        figures.fail(f"the server logged {live.tracebacks()} tracebacks (see {live.log})")


def _half_written(session: Any) -> dict[str, list[str]]:
    settled_visits = set(session.scalars(select(Visit.mdtrt_id).where(Visit.status == "settled")))
    valid = set(session.scalars(select(Settlement.mdtrt_id).where(Settlement.kind == "settle",
                                                                 Settlement.status == "valid")))
    settlements = set(session.scalars(select(Settlement.setl_id)))
    journaled = set(session.scalars(select(JournalEntry.setl_id).where(JournalEntry.setl_id.is_not(None))))
    posted = set(session.scalars(select(Posting.entry_id).group_by(Posting.entry_id)
                                 .having(func.count() >= 2)))
    entries = set(session.scalars(select(JournalEntry.id)))
    assigned = set(session.scalars(select(FeeDetail.setl_id).where(FeeDetail.setl_id.is_not(None))))
    answered = []
    for response in session.scalars(select(GatewayMessage.response).where(GatewayMessage.infno == "2207")):
        setl_id = simplejson.loads(response or "{}").get("output", {}).get("setlinfo", {}).get("setl_id")
        if setl_id and setl_id not in settlements:
            answered.append(setl_id)
    return {
        "settled visits without a valid settlement": sorted(settled_visits - valid),
        "valid settlements of a visit not settled": sorted(v for v in valid - settled_visits if v),
        "settlements without a journal entry": sorted(settlements - journaled),
        "journal entries with fewer than two postings": sorted(entries - posted),
        "fee lines assigned to no settlement": sorted(assigned - settlements),
        "stored 2207 answers naming no settlement": sorted(answered),
    }
