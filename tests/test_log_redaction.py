"""Issue 19 item 6 (logs): nothing personal reaches a log. A failed insert on the real databases used to put
`certno='3302…'` into the log through SQLAlchemy's parameter dump (and PostgreSQL repeats the key in its
DETAIL); every record of every logger now has ID and mobile numbers masked, tracebacks included. And the
data directory's files are the owner's alone."""

from __future__ import annotations

import datetime as dt
import logging
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from yibao.db import digest_of
from yibao.kit import logs
from yibao.kit.clock import now
from yibao.kit.idcard import make_id_number
from yibao.people.models import Person

CERTNO = make_id_number("330283", dt.date(1966, 6, 6), 66, "1")
PHONE = "13905748888"


def test_every_logger_masks_id_and_phone_numbers(caplog: pytest.LogCaptureFixture) -> None:
    logs.install()
    with caplog.at_level(logging.INFO):
        logging.getLogger("a.web.server").info("person %s rang from %s", CERTNO, PHONE)
        try:
            raise ValueError(f"bad {CERTNO}")
        except ValueError:
            logging.getLogger("some.library").exception("failed for %s", CERTNO)
    assert CERTNO not in caplog.text and PHONE not in caplog.text
    assert CERTNO[:6] + "********" + CERTNO[-4:] in caplog.text and "139****8888" in caplog.text
    assert "ValueError" in caplog.text  # the traceback is kept, masked


def test_a_failed_insert_logs_no_parameter_and_no_key(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    logs.install()
    row = {"psn_no": "3302139999999999", "certno": CERTNO, "certno_digest": digest_of("certno", CERTNO),
           "name": "邬日志", "sex": "1",
           "birth_date": dt.date(1966, 6, 6), "local": True, "employee_insured": False, "created_at": now()}
    with engine.connect() as connection:
        connection.execute(insert(Person), row)
        with pytest.raises(IntegrityError) as failed:
            connection.execute(insert(Person), {**row, "psn_no": "3302139999999998"})
        connection.rollback()
    assert CERTNO not in str(failed.value)  # no "[parameters: …]" dump; the number is sealed, PostgreSQL's
    #                                          DETAIL names only its digest
    with caplog.at_level(logging.WARNING):
        logging.getLogger("yibao").warning("integrity error: %s", failed.value.orig)
        logging.getLogger("yibao").error("gateway failure", exc_info=failed.value)
    assert CERTNO not in caplog.text


def test_the_data_directory_is_private(tmp_path: Path) -> None:
    """Issue 19 item 6: keys, the secret and the database are readable by their owner only."""
    from yibao.app import create_app
    from yibao.config import Settings

    data = tmp_path / "data"
    app = create_app(Settings(data_dir=data))
    with TestClient(app) as client:
        assert client.get("/api/health").status_code == 200
    app.state.engine.dispose()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("yibao.sqlite3", "secret.key", "ecard-keys.json"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
    for extra in data.glob("yibao.sqlite3-*"):  # SQLite's -wal and -shm take the database's mode
        assert stat.S_IMODE(extra.stat().st_mode) == 0o600, extra.name
