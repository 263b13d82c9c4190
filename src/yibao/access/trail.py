"""The access trail (访问留痕): who looked up, viewed, exported or changed whose data, through which door.

Every record is chained to the one before it: `hash` = SM3 over the previous hash and the record's own fields
(canonical JSON), and the head row holds the last seq and hash. `verify` walks the chain and names the first
record that was edited, removed or inserted, or a head that does not match; the database refuses UPDATE and
DELETE on the trail (triggers of the migration), so only someone working around the database can try.

Two ways in:
- **changes** are recorded in the transaction that makes them, by an ORM flush listener over the models marked
  `@trailed(label)`: the change and its record commit together or not at all. The actor is the one the door
  put on the session (`act_as`); without one it is the system (a CLI command, the demo data).
- **views** (1101, a person's page, a search, a PDF) are noted by the door after its answer, to a
  `TrailWriter` that appends them in batches from a background thread (within `interval` seconds; the server's
  one, shared with the interface log), so a
  read-only request stays read-only and never waits for the writer lock.

No personal number is written: the subject is the psn_no, and `what` says what was done in words.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import event, inspect, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from yibao.access.models import TrailHead, TrailRecord
from yibao.errors import DomainError
from yibao.kit.background import Backlog, BatchWriter
from yibao.kit.clock import now
from yibao.kit.gm import sm3_hex
from yibao.statements import insert_many

GENESIS = "0" * 64  # the hash before the first record
HEAD_ID = 1


class Door(StrEnum):
    CONSOLE = "console"
    REST = "rest"
    GATEWAY = "gateway"
    DESK = "desk"
    RESIDENT = "resident"
    CLI = "cli"
    SYSTEM = "system"


class Action(StrEnum):
    LOOKUP = "lookup"  # found by an identifying number (1101, the desk's ID number)
    VIEW = "view"  # a person's record opened
    SEARCH = "search"  # listed among search results
    EXPORT = "export"  # a document with personal data produced (a receipt PDF, a file)
    CHANGE = "change"


DOOR_LABELS = {Door.CONSOLE: "经办后台", Door.REST: "REST 接口", Door.GATEWAY: "定点机构接口", Door.DESK: "医保窗口",
               Door.RESIDENT: "居民自助", Door.CLI: "命令行", Door.SYSTEM: "系统"}
ACTION_LABELS = {Action.LOOKUP: "查询", Action.VIEW: "查看", Action.SEARCH: "检索", Action.EXPORT: "导出",
                 Action.CHANGE: "修改"}
ACTOR_KIND_LABELS = {"staff": "工作人员", "institution": "定点机构", "desk": "医保窗口", "resident": "参保人",
                     "system": "系统"}


@dataclass(frozen=True, slots=True)
class Actor:
    kind: str  # staff / institution / desk / resident / system
    name: str  # username; fixmedins_code:opter; psn_no
    door: Door


SYSTEM = Actor("system", "系统", Door.SYSTEM)


@dataclass(frozen=True, slots=True)
class Entry:
    actor: Actor
    action: Action
    subject: str | None  # psn_no
    what: str
    at: dt.datetime = field(default_factory=now)


class TrailBroken(DomainError):
    code = "trail_broken"
    http_status = 503


def chain_hash(prev_hash: str, seq: int, at: dt.datetime, actor_kind: str, actor: str, door: str, action: str,
               subject: str | None, what: str) -> str:
    """SM3 over the previous hash and this record's fields, as canonical JSON (unambiguous field borders)."""
    fields = [seq, at.isoformat(), actor_kind, actor, door, action, subject, what]
    return sm3_hex((prev_hash + json.dumps(fields, ensure_ascii=False, separators=(",", ":"))).encode())


def append(connection: Connection, entries: Sequence[Entry]) -> None:
    """Append `entries` in order, in the connection's transaction. The head row is locked by the first UPDATE
    (PostgreSQL's row lock, SQLite's writer lock) until the transaction ends: one chain for every process."""
    if not entries:
        return
    head = connection.execute(
        update(TrailHead).where(TrailHead.id == HEAD_ID).values(seq=TrailHead.seq + len(entries))
        .returning(TrailHead.seq, TrailHead.hash)).one_or_none()
    if head is None:
        raise TrailBroken("访问记录的链头缺失：访问记录可能被改动，请运行 yibao audit-log verify 并联系管理员")
    seq, prev = int(head[0]) - len(entries), str(head[1])
    rows = []
    for entry in entries:
        seq += 1
        at, actor, what = entry.at.replace(tzinfo=None), entry.actor.name[:60], entry.what[:200]
        digest = chain_hash(prev, seq, at, entry.actor.kind, actor, entry.actor.door, entry.action, entry.subject,
                            what)
        rows.append({"seq": seq, "at": at, "actor_kind": entry.actor.kind, "actor": actor,
                     "door": entry.actor.door.value, "action": entry.action.value, "subject": entry.subject,
                     "what": what, "prev_hash": prev, "hash": digest})
        prev = digest
    insert_many(connection, TrailRecord, rows)
    connection.execute(update(TrailHead).where(TrailHead.id == HEAD_ID).values(hash=prev))


@dataclass(frozen=True, slots=True)
class Verdict:
    records: int
    head_seq: int | None
    head_hash: str | None
    broken_at: int | None  # the first seq that does not fit (None: the chain is whole)
    reason: str

    @property
    def whole(self) -> bool:
        return self.broken_at is None


def verify(connection: Connection) -> Verdict:
    """Walk the chain from the first record: each seq one more than the last, each prev_hash the last hash,
    each hash recomputed; then the head must name the last record."""
    expected, prev, count = 1, GENESIS, 0
    rows = connection.execute(select(TrailRecord.__table__).order_by(TrailRecord.seq)
                              .execution_options(yield_per=2000))
    head = connection.execute(select(TrailHead.seq, TrailHead.hash).where(TrailHead.id == HEAD_ID)).one_or_none()
    head_seq, head_hash = (int(head[0]), str(head[1])) if head else (None, None)

    def broken(seq: int, reason: str) -> Verdict:
        rows.close()
        return Verdict(count, head_seq, head_hash, seq, reason)

    for row in rows:
        if row.seq != expected:
            return broken(expected, f"第 {expected} 条记录缺失（下一条是第 {row.seq} 条）" if row.seq > expected
                          else f"第 {row.seq} 条记录重复或顺序错乱")
        if row.prev_hash != prev:
            return broken(row.seq, f"第 {row.seq} 条记录的前一哈希与第 {row.seq - 1} 条不符（其前的记录被改动或替换）")
        if chain_hash(prev, row.seq, row.at, row.actor_kind, row.actor, row.door, row.action, row.subject,
                      row.what) != row.hash:
            return broken(row.seq, f"第 {row.seq} 条记录的内容与其哈希不符（记录被改动）")
        prev, expected, count = row.hash, expected + 1, count + 1
    if head is None:
        return Verdict(count, None, None, expected, "链头缺失")
    if head_seq != count or head_hash != prev:
        return Verdict(count, head_seq, head_hash, min(count, head_seq or 0) + 1,
                       f"链头指向第 {head_seq} 条，但记录只到第 {count} 条（末尾的记录被删除或链头被改动）"
                       if head_seq != count else "链头哈希与最后一条记录不符")
    return Verdict(count, head_seq, head_hash, None, "完整")


def reaches(connection: Connection, digest: str) -> bool:
    """Whether the chain holds a record with this hash (a head written down earlier must still be in it)."""
    return connection.execute(select(TrailRecord.seq).where(TrailRecord.hash == digest.strip().lower())
                              .limit(1)).first() is not None


def history(session: Session, psn_no: str, *, limit: int = 100) -> Sequence[TrailRecord]:
    """A person's trail, newest first."""
    return session.scalars(select(TrailRecord).where(TrailRecord.subject == psn_no)
                           .order_by(TrailRecord.seq.desc()).limit(limit)).all()


# ---------------------------------------------------------------------------------------------------
# Views: noted by the doors, appended in batches


class TrailWriter(BatchWriter[Entry]):
    """The views of one process, appended in batches on connections of its own (`sink`: a transaction)."""

    def __init__(self, sink: Callable[[Sequence[Entry]], None], *, background: bool = True,
                 backlog: Backlog | None = None) -> None:
        super().__init__(sink, name="access-trail", background=background, backlog=backlog)

    @classmethod
    def on(cls, engine: Engine, *, background: bool = True, backlog: Backlog | None = None) -> TrailWriter:
        def write(entries: Sequence[Entry]) -> None:
            with engine.begin() as connection:
                append(connection, entries)

        return cls(write, background=background, backlog=backlog)

    def saw(self, actor: Actor, action: Action, subjects: Iterable[str | None], what: str) -> None:
        moment = now()
        self.note_all([Entry(actor, action, subject, what, moment) for subject in dict.fromkeys(subjects)])


# ---------------------------------------------------------------------------------------------------
# Changes: recorded in their own transaction by the flush listener

ACTOR_KEY = "yibao.trail.actor"
INSERTED, UPDATED, DELETED = "新增", "修改", "删除"  # what a change record's `what` begins with
M = TypeVar("M")


def trailed(label: str) -> Callable[[type[M]], type[M]]:
    """Mark a model whose rows are a person's data: every insert, change and delete of one is trailed."""

    def mark(model: type[M]) -> type[M]:
        model.__trail_label__ = label  # type: ignore[attr-defined]
        return model

    return mark


def act_as(session: Any, actor: Actor) -> None:
    """Say who the session's changes are made by (the door that authenticated them)."""
    info = getattr(session, "info", None)
    if isinstance(info, dict):
        info[ACTOR_KEY] = actor


def actor_of(session: Session) -> Actor:
    actor = session.info.get(ACTOR_KEY)
    return actor if isinstance(actor, Actor) else SYSTEM


def _changed_columns(instance: object) -> list[str]:
    state = inspect(instance)
    return [attr.key for attr in state.mapper.column_attrs if state.attrs[attr.key].history.has_changes()]


def _change_entries(session: Session) -> list[Entry]:
    actor, moment, entries = actor_of(session), now(), []
    for verb, instances in ((INSERTED, session.new), (UPDATED, session.dirty), (DELETED, session.deleted)):
        for instance in instances:
            label = getattr(type(instance), "__trail_label__", None)
            if label is None:
                continue
            what = f"{verb}{label}"
            if verb == UPDATED:
                columns = _changed_columns(instance)
                if not columns:
                    continue
                what += f"（{'、'.join(columns)}）"
            entries.append(Entry(actor, Action.CHANGE, getattr(instance, "psn_no", None), what, moment))
    return entries


@event.listens_for(Session, "before_flush")
def _changes_are_trailed(session: Session, _context: Any, _instances: Any) -> None:
    entries = _change_entries(session)
    if entries:
        append(session.connection(), entries)


@event.listens_for(Session, "do_orm_execute")
def _bulk_changes_are_trailed(state: Any) -> None:
    """`session.execute(insert(Model), rows)` and ORM UPDATE/DELETE statements skip the flush: trailed here,
    one record per row given (or one for the statement when it names no rows)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    label = getattr(mapper.class_, "__trail_label__", None) if mapper is not None else None
    if label is None:
        return
    verb = INSERTED if state.is_insert else UPDATED if state.is_update else DELETED
    rows = state.parameters if isinstance(state.parameters, list) else [state.parameters or {}]
    trail_changes(state.session, mapper.class_, verb, [row.get("psn_no") for row in rows] or [None])


def trail_changes(session: Session, model: type, verb: str, subjects: Sequence[str | None]) -> None:
    """One change record per subject (a person's psn_no) of a trailed model: also for writes made below the ORM
    (a Core UPDATE of many rows at once), which the session's hooks do not see."""
    label = model.__trail_label__  # type: ignore[attr-defined]
    actor, moment = actor_of(session), now()
    append(session.connection(), [Entry(actor, Action.CHANGE, subject, f"{verb}{label}", moment)
                                  for subject in subjects])
