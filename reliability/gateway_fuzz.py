"""Gateway fuzzing: valid envelopes of the national interface (9001, 1101, 2201, 2203, 2204, 2205, 2206, 2207,
2208, 2401, 2301, 2601, 5206) taken apart one field at a time — removed, emptied, turned into another type, made
huge, given NUL or control characters, wrapped in lists and objects — and whole bodies broken (not JSON, an
array, 100,000 levels deep, a megabyte of text). Counted as failures: an HTTP 5xx, "系统内部错误", a refusal
(infcode -1) after which the database differs."""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import simplejson

from reliability.common import CLINICS, Figures, His, Live, World, fingerprint

Path = tuple[Any, ...]
DELETE = object()
VALUES: tuple[Any, ...] = (
    DELETE, None, "", "\x00", "a\x00b", " ", "x" * 5000, "中" * 300, Decimal("1E+26"), "1e309", "1e26", "-1", -1, 0,
    "NaN", True, [], {}, "9999-12-31 23:59:59", "2022-02-30", "0000-00-00", "２０２２-０１-０１",
    "'; DROP TABLE persons; --", "<script>alert(1)</script>", "\u202e", "\ud7ff", 3.5, 10**30,
)


def _paths(node: Any, prefix: Path = ()) -> Iterator[Path]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


def _mutated(envelope: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(envelope)
    node: Any = body
    for step in path[:-1]:
        node = node[step]
    last = path[-1]
    if value is DELETE:
        if isinstance(node, dict):
            node.pop(last, None)
        else:
            node.pop(last)
    elif value == "wrap-list":
        node[last] = [node[last]]
    elif value == "wrap-object":
        node[last] = {"value": node[last]}
    else:
        node[last] = value
    return body


def _deep(levels: int) -> str:
    return '{"infno": "1101", "input": ' + "[" * levels + "]" * levels + "}"


BROKEN_BODIES = ("", "not json", "[]", "[1, 2]", "null", '"2207"', '{"infno": {"a": 1}}', '{"infno": ["2207"]}',
                 '{"infno": "2207"', _deep(100_000), '{"infno": "1101", "msgid": "' + "m" * 1_000_000 + '"}',
                 '{"infno": "22070", "msgid": "x", "fixmedins_code": "H33021300003", "input": {}}')


class Bases:
    """Valid envelopes for one clinic and one insured person, made afresh (a new visit) on `renew`."""

    def __init__(self, his: His, person: tuple[str, str]) -> None:
        self.his, (self.psn_no, self.certno) = his, person
        self.renew()

    def renew(self) -> None:
        his, psn_no, certno = self.his, self.psn_no, self.certno
        mdtrt_id, total = his.visit_with_fees(psn_no, certno)
        settled_id, settled_total = his.visit_with_fees(psn_no, certno)
        settled = his.envelope("2207", his.settle_data(psn_no, settled_id, settled_total))
        setl_id = his.send(settled)["output"]["setlinfo"]["setl_id"]
        lines = his.fee_lines(psn_no, mdtrt_id)
        today = dt.date.today().isoformat()
        self.envelopes: dict[str, Callable[[], dict[str, Any]]] = {
            "9001": lambda: his.envelope("9001", {"signIn": {"opter_no": "R1", "mac": "-", "ip": "127.0.0.1"}},
                                         cainfo="yibao-his-demo"),
            "1101": lambda: his.envelope("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": certno}}),
            "2201": lambda: his.envelope("2201", {"data": {"psn_no": psn_no, "insutype": "390", "mdtrt_cert_type": "02",
                                                           "begntime": f"{today} 08:00:00", "mdtrt_cert_no": certno}}),
            "2203": lambda: his.envelope("2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no,
                                                                "med_type": "11", "begntime": f"{today} 08:00:00",
                                                                "main_cond_dscr": "感冒", "dise_codg": "J00",
                                                                "dise_name": "急性鼻咽炎"}, "diseinfo": []}),
            "2204": lambda: his.envelope("2204", {"feedetail": lines}),
            "2205": lambda: his.envelope("2205", {"data": {"mdtrt_id": mdtrt_id, "psn_no": psn_no,
                                                           "chrg_bchno": "0000"}}),
            "2206": lambda: his.envelope("2206", his.settle_data(psn_no, mdtrt_id, total)),
            "2207": lambda: his.envelope("2207", his.settle_data(psn_no, mdtrt_id, total)),
            "2208": lambda: his.envelope("2208", {"data": {"setl_id": setl_id, "mdtrt_id": settled_id,
                                                           "psn_no": psn_no}}),
            "2401": lambda: his.envelope("2401", {"mdtrtinfo": {"psn_no": psn_no, "insutype": "390",
                                                                "begntime": f"{today} 10:00:00",
                                                                "mdtrt_cert_type": "02", "mdtrt_cert_no": certno,
                                                                "med_type": "21", "ipt_no": "ZY1", "atddr_no": "D1",
                                                                "dise_codg": "I10", "dise_name": "高血压"}}),
            "2601": lambda: his.envelope("2601", {"data": {"psn_no": psn_no, "omsgid": settled["msgid"],
                                                           "oinfno": "2207"}}),
            "5206": lambda: his.envelope("5206", {"data": {"psn_no": psn_no, "cum_ym": f"{dt.date.today():%Y%m}"}}),
        }


def run(world: World, mutations: int, *, seed: int = 19) -> Figures:
    figures = Figures("gateway fuzz (envelope mutator)", world.backend)
    live = Live(world).start()
    rng = random.Random(seed)
    try:
        his = His(live.base, CLINICS[0])
        bases = Bases(his, world.insured[0])
        before = fingerprint(world.engine)
        for body in BROKEN_BODIES:
            before = _check(his, body, "a broken body", before, figures, world)
        for n in range(mutations):
            if n and n % 60 == 0:
                bases.renew()
                before = fingerprint(world.engine)
            infno = rng.choice(sorted(bases.envelopes))
            envelope = bases.envelopes[infno]()
            path = rng.choice(list(_paths(envelope)))
            value = rng.choice((*VALUES, "wrap-list", "wrap-object"))
            try:
                text = simplejson.dumps(_mutated(envelope, path, value), use_decimal=True)
            except (ValueError, TypeError):
                continue
            before = _check(his, text, f"{infno} {'.'.join(map(str, path))} = {str(value)[:30]!r}", before, figures,
                            world)
        if live.tracebacks():
            figures.fail(f"the server logged {live.tracebacks()} tracebacks (see {live.log})")
        figures.add("server tracebacks", live.tracebacks())
    finally:
        live.stop()
    return figures


def _check(his: His, body: str, label: str, before: dict[str, str], figures: Figures, world: World) -> dict[str, str]:
    response = his.post(body)
    figures.answered(label, response.status_code, response.text)
    try:
        refused = simplejson.loads(response.content).get("infcode") != 0
    except (ValueError, AttributeError):
        refused = True
    after = fingerprint(world.engine)
    if refused:
        figures.refused_wrote(label, before, after)
    return after
