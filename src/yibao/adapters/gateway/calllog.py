"""The interface log: every gateway call noted after its answer, written in batches by a background thread (the
server's one `Backlog`, shared with the access trail's views), so a call never waits for its log line (nor, on
SQLite, for the writer lock).

What is kept: the institution, infno, msgid, psn_no, outcome (infcode and the refusal's code), the Chinese
message with ID and phone numbers masked, the time taken, and the envelope fields yibao does not read (JSON,
masked the same way). Bodies are not kept: they carry personal data the settlement tables already hold."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from yibao.kit.background import Backlog, BatchWriter
from yibao.kit.clock import now
from yibao.kit.ids import new_id
from yibao.kit.masks import mask_text
from yibao.kit.text import CONTROL_STRICT
from yibao.settlement.models import GatewayCall

# the envelope's fields of INTERFACE.md and the national InCommon; anything else is kept as an extra
KNOWN_FIELDS = frozenset({"infno", "msgid", "mdtrtarea_admvs", "insuplc_admdvs", "recer_sys_code", "dev_no",
                          "dev_safe_info", "cainfo", "signtype", "infver", "opter_type", "opter", "opter_name",
                          "inf_time", "fixmedins_code", "fixmedins_name", "sign_no", "input"})
_CODE = re.compile(r"（错误代码：(\w+)）$")


def _text(value: Any, limit: int) -> str | None:
    """An envelope's field as the log keeps it: cut to its column, control characters (a NUL, which PostgreSQL
    refuses in text and would lose the whole batch with it) shown as U+FFFD."""
    return CONTROL_STRICT.sub("\ufffd", value[:limit]) if isinstance(value, str) else None


def named_person(envelope: Any) -> str | None:
    """The psn_no a call names (input.data, input.mdtrtinfo or its first fee line), if it names one."""
    data = envelope.get("input") if isinstance(envelope, dict) else None
    if not isinstance(data, dict):
        return None
    node = data.get("data") if isinstance(data.get("data"), dict) else data.get("mdtrtinfo")
    if not isinstance(node, dict):
        lines = data.get("feedetail")
        node = lines[0] if isinstance(lines, list) and lines else lines
    psn_no = node.get("psn_no") if isinstance(node, dict) else None
    return psn_no if isinstance(psn_no, str) else None


def entry(envelope: Any, answer: dict[str, Any], elapsed: float) -> dict[str, Any]:
    """The log row of one call: what the envelope named, how it ended."""
    body = envelope if isinstance(envelope, dict) else {}
    psn_no = named_person(body)
    extras = {k: v for k, v in body.items() if k not in KNOWN_FIELDS}
    message = str(answer.get("err_msg") or "")
    found = _CODE.search(message)
    return {"id": new_id(), "called_at": now(), "fixmedins_code": _text(body.get("fixmedins_code"), 20),
            "infno": _text(body.get("infno"), 5), "msgid": _text(body.get("msgid"), 64),
            "psn_no": _text(psn_no, 20), "infcode": int(answer.get("infcode", -1)),
            "err_code": found.group(1)[:40] if found else ("gateway_failure" if message else None),
            "err_msg": _text(mask_text(message), 300) or None, "elapsed_ms": int(elapsed * 1000),
            "extras": mask_text(json.dumps(extras, ensure_ascii=False, default=str))[:4000] if extras else None}


Sink = Callable[[Sequence[dict[str, Any]]], None]


def engine_sink(engine: Engine) -> Sink:
    def write(rows: Sequence[dict[str, Any]]) -> None:
        with engine.begin() as connection:
            connection.execute(insert(GatewayCall), list(rows))

    return write


class CallLog(BatchWriter[dict[str, Any]]):
    """Notes calls and writes them in batches (at most every `interval` seconds, or `batch` rows)."""

    def __init__(self, sink: Sink, *, interval: float = 0.5, batch: int = 500, background: bool = True,
                 backlog: Backlog | None = None) -> None:
        super().__init__(sink, name="calllog", interval=interval, batch=batch, background=background,
                         backlog=backlog)
