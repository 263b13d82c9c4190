"""Real databases for the tests: SQLite (a file, WAL) and PostgreSQL (the local server), both migrated by
Alembic. Each test runs in a transaction that is rolled back; the app under test commits and rolls back
for real, as savepoints inside it."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from yibao.access.trail import TrailWriter, append
from yibao.adapters.gateway.calllog import CallLog
from yibao.app import create_app
from yibao.config import Settings
from yibao.db import make_engine, migrate
from yibao.policy.editions import packaged_editions
from yibao.settlement.models import GatewayCall
from yibao.staff.service import create_staff

PG_SERVER = os.environ.get("YIBAO_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
PG_DATABASE = "yibao_test"
BACKENDS = ("sqlite", "postgresql")


def fresh_postgres(database: str) -> str:
    """A new empty PostgreSQL database on the local server; its URL."""
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{database}"')
    return f"{PG_SERVER}/{database}"


def backend_url(backend: str, directory: Path, name: str = PG_DATABASE) -> str:
    if backend == "sqlite":
        return f"sqlite:///{directory / (name + '.sqlite3')}"
    return fresh_postgres(name)


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = backend_url(request.param, tmp_path_factory.mktemp(request.param))
    engine = make_engine(url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[object]:
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def session(connection: object) -> Iterator[Session]:
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint",  # type: ignore[call-overload]
                           expire_on_commit=False)
    with factory() as db:
        yield db


TOKEN = re.compile(r'"X-CSRF-Token": "([0-9a-f]+)"')


class BrowserClient(TestClient):
    """A TestClient that posts the pages' forms as a browser does: with the CSRF token of a page it has
    open (fetched from "/" with its current cookies). `auto_csrf = False` posts without one (the CSRF
    tests in tests/web/test_door_guards.py)."""

    auto_csrf = True

    def csrf_token(self) -> str:
        found = TOKEN.search(super().request("GET", "/").text)
        assert found is not None
        return found.group(1)

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        path = str(url)
        pages = not path.startswith(("/api/", "/fsi/", "/ec/api/")) or path.startswith("/api/me/")
        if self.auto_csrf and method.upper() not in ("GET", "HEAD", "OPTIONS") and pages:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRF-Token", self.csrf_token())
            kwargs["headers"] = headers
        return super().request(method, url, **kwargs)


@pytest.fixture
def client(connection: object, engine: Engine) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=str(engine.url.render_as_string(hide_password=False))),
                     run_migrations=False)
    app.state.engine.dispose()
    app.state.sessions = sessionmaker(bind=connection, join_transaction_mode="create_savepoint",  # type: ignore[call-overload]
                                      expire_on_commit=False)
    app.state.read_sessions = app.state.sessions
    app.state.inline_jobs = True  # an import job runs in the request: the worker thread would share the connection
    app.state.writer_lock = None  # the test's outer transaction already holds SQLite's writer lock
    app.state.call_log.close()  # the interface log written at once, inside the test's transaction
    app.state.call_log = CallLog(lambda rows: connection.execute(insert(GatewayCall), list(rows)),  # type: ignore[attr-defined]
                                 background=False)
    app.state.trail.close()  # the access trail's views too
    app.state.trail = TrailWriter(lambda entries: append(connection, entries), background=False)  # type: ignore[arg-type]
    with BrowserClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


STAFF_PASSWORD = "correct-horse-1"


def sign_in(client: TestClient, session: Session, role: str) -> dict[str, str]:
    """Create a staff member of `role` and return the Authorization header of a fresh sign-in."""
    username = f"t-{role}"
    from yibao.staff.models import StaffUser

    if session.get(StaffUser, username) is None:
        create_staff(session, username=username, display_name=role, role=role, password=STAFF_PASSWORD)
        session.commit()
    answer = client.post("/api/auth/login", json={"username": username, "password": STAFF_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@pytest.fixture
def clerk(client: TestClient, session: Session) -> dict[str, str]:
    return sign_in(client, session, "clerk")


EDITIONS = packaged_editions()
