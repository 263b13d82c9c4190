"""What every command shares: the YIBAO_* settings (a bad value → one line, exit 2) and one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from yibao.access.trail import Actor, Door, act_as
from yibao.adapters.cli.calc import fail
from yibao.config import Settings
from yibao.db import make_engine, make_sessionmaker, migrate, session_scope
from yibao.kit import logs
from yibao.kit.errors import DomainError
from yibao.kit.sealing import SealingError

logs.install()  # ID and phone numbers masked in every log record of a command (kit/logs.py)
COMMAND_LINE = Actor("system", "命令行", Door.CLI)
PROGRESS = Console(stderr=True)  # progress bars go to stderr; stdout carries only results
_SETTING_SHOULD_BE = {"int_parsing": "应为整数", "bool_parsing": "应为 true 或 false", "path_type": "应为路径"}


def _settings() -> Settings:
    """The YIBAO_* settings; a value that cannot be used → one line naming the variable, exit 2."""
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "YIBAO_" + str(error["loc"][0]).upper()
        bound = error.get("ctx", {})
        should = (f"应不小于 {bound['ge']}" if "ge" in bound
                  else _SETTING_SHOULD_BE.get(error["type"], f"不可用（{error['msg']}）"))
        fail(f"环境变量 {name} 的值 {error['input']!r} {should}：请改正或删去它（删去则用默认值）后重试")


def parse_day(text: str, name: str) -> dt.date:
    """A date option (YYYY-MM-DD); anything else → one line naming the option, exit 2."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{name} 应为 YYYY-MM-DD 格式的日期，不是 {text!r}")


def parse_period(start: str, end: str) -> tuple[dt.date, dt.date]:
    """A command's --from and --to (YYYY-MM-DD, the first not after the second); else one line, exit 2."""
    first, last = parse_day(start, "--from"), parse_day(end, "--to")
    if first > last:
        fail(f"--from {first} 晚于 --to {last}")
    return first, last


def read_input(path: Path) -> bytes:
    """The bytes of a file a command is given; one that cannot be read → one line, exit 2."""
    try:
        return path.read_bytes()
    except OSError as exc:
        fail(f"无法读取文件 {path}：{exc.strerror}")


def write_output(path: Path, content: bytes) -> None:
    """The bytes of a file a command writes; one that cannot be written → one line, exit 2."""
    try:
        path.write_bytes(content)
    except OSError as exc:
        fail(f"无法写入文件 {path}：{exc.strerror}")


@contextmanager
def command_engine() -> Iterator[Engine]:
    """The database of the settings, migrated, with the data directory's keys (kit/sealing.py) in use."""
    settings = _settings()
    try:
        settings.data_keys()
    except SealingError as exc:
        fail(str(exc))
    engine = make_engine(settings.resolved_database_url(), **settings.engine_options())
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction for a command; a domain error → exit 2 with one line, nothing written."""
    with command_engine() as engine:
        try:
            with session_scope(make_sessionmaker(engine)) as session:
                act_as(session, COMMAND_LINE)  # its changes are the command line's in the access trail
                yield session
        except DomainError as exc:
            fail(str(exc))
