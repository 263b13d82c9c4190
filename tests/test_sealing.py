"""Personal numbers at rest (issue 19 item 6, kit/sealing.py, db.Sealed): SM4-GCM sealed in the database, found by
keyed SM3 digests, the key file protected by YIBAO_DATA_KEY, rotation with resealing, and the migration that
seals what was stored in plain text. Both databases where a database is involved."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import String, create_engine, select, text
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.orm import Session

from tests.cli.test_calc import YIBAO
from tests.dbfixtures import sign_in
from tests.gateway.conftest import COMMUNITY
from tests.gateway.his import HIS, insured
from tests.registry.helpers import certno
from yibao.db import digest_of, migrate, reseal, sealed_tables
from yibao.demo import ensure_demo_institutions
from yibao.kit import sealing
from yibao.kit.sealing import DataKeys, SealingError
from yibao.models import metadata
from yibao.people.cards import card_holder, issue_card
from yibao.people.models import Person
from yibao.people.service import find_persons, person_by_certno, register_person

MOMENT = dt.datetime(2026, 12, 3, 9, 0)


def test_the_cipher_is_sm4_by_the_standards_example() -> None:
    """GB/T 32907-2016 Appendix A, example 1: the library's SM4 is the national standard's."""
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    assert (encryptor.update(key) + encryptor.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


@given(st.text(max_size=60))
def test_sealed_text_opens_as_itself_and_never_shows(value: str) -> None:
    keys = DataKeys.new(MOMENT)
    stored = keys.seal("certno", value)
    assert keys.open("certno", stored) == value
    assert stored.startswith(f"sm4g1:{keys.current}:")
    assert len(value) < 8 or value not in stored  # (a short text may turn up in base64 by chance)
    assert keys.seal("certno", value) != stored  # randomised: equal numbers do not look equal


def test_a_sealed_value_opens_only_in_its_own_column_with_its_own_key() -> None:
    keys, other = DataKeys.new(MOMENT), DataKeys.new(MOMENT)
    stored = keys.seal("certno", "330283197003031234")
    with pytest.raises(SealingError):
        keys.open("phone", stored)  # the purpose is bound: copied into another column, it does not open
    impostor = DataKeys(keys.current, {keys.current: other.keys[other.current]}, keys.index)
    with pytest.raises(SealingError):
        impostor.open("certno", stored)
    altered = stored[:-3] + ("A" if stored[-3] != "A" else "B") + stored[-2:]
    with pytest.raises(SealingError):
        keys.open("certno", altered)
    assert keys.open("certno", "330283197003031234") == "330283197003031234"  # plain text from before sealing


def test_digests_are_keyed_and_equal_for_equal_numbers() -> None:
    keys, other = DataKeys.new(MOMENT), DataKeys.new(MOMENT)
    assert keys.digest("certno", "X1") == keys.digest("certno", "X1") != keys.digest("card_no", "X1")
    assert keys.digest("certno", "X1") != other.digest("certno", "X1")  # nobody without the key can compute one


def test_rotation_keeps_old_values_readable(tmp_path: Path) -> None:
    keys = DataKeys.new(MOMENT)
    old = keys.seal("phone", "13900001111")
    rotated = keys.rotated(MOMENT)
    assert rotated.current != keys.current and rotated.open("phone", old) == "13900001111"
    assert not rotated.sealed_with_current(old) and rotated.sealed_with_current(rotated.seal("phone", "1"))
    assert rotated.digest("phone", "1") == keys.digest("phone", "1")  # the index key stays: no re-indexing


def test_the_key_file_is_private_and_wrapped_under_yibao_data_key(tmp_path: Path) -> None:
    plain = sealing.load(tmp_path, env_key=None, moment=MOMENT)
    path = tmp_path / sealing.KEY_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    master = "00112233445566778899aabbccddeeff"
    wrapped = sealing.load(tmp_path, env_key=master, moment=MOMENT)  # wrapped at the first start with the key
    assert wrapped == plain
    content = path.read_text()
    assert "wrapped" in content and plain.keys[plain.current].hex() not in content and plain.index.hex() not in content
    with pytest.raises(SealingError, match="YIBAO_DATA_KEY"):
        sealing.load(tmp_path, env_key=None, moment=MOMENT)
    with pytest.raises(SealingError):
        sealing.load(tmp_path, env_key="ff" * 16, moment=MOMENT)
    with pytest.raises(SealingError, match="32 位十六进制"):
        sealing.load(tmp_path, env_key="short", moment=MOMENT)


def _raw(session: Session, table: str, *columns: str) -> list[tuple[str | None, ...]]:
    light = sa_table(table, *(sa_column(name, String) for name in columns))
    return [tuple(row) for row in session.execute(select(light))]


def test_personal_numbers_are_sealed_in_the_database_and_found_by_digest(client: TestClient,
                                                                          session: Session) -> None:
    clerk = sign_in(client, session, "clerk")
    number = certno("1960-01-01")
    made = client.post("/api/persons", headers=clerk, json={"certno": number, "name": "邬密文", "local": True,
                                                           "town": "yuelin", "phone": "13900002222"})
    assert made.status_code == 201, made.text
    psn_no = made.json()["psn_no"]
    assert made.json()["certno"] == number  # a clerk reads it back in plain
    issue_card(session, psn_no=psn_no, card_no="a12345678", card_sn="SN1", issued_on=dt.date(2026, 1, 1), actor="t")
    session.flush()

    stored = {value for row in _raw(session, "persons", "certno", "phone") + _raw(session, "ss_cards", "card_no")
              for value in row}
    assert all(value is None or value.startswith("sm4g1:") for value in stored)
    assert not any(number in (value or "") or "13900002222" in (value or "") for value in stored)
    assert person_by_certno(session, number.lower()).psn_no == psn_no
    assert [p.psn_no for p in find_persons(session, "139 0000 2222")] == [psn_no]  # by phone, spaces or not
    assert card_holder(session, card_no="A12345678", card_sn="SN1").psn_no == psn_no
    with pytest.raises(TypeError, match="digest"):
        select(Person).where(Person.certno == number)  # compared in SQL, a sealed column would never match


def test_rotation_reseals_every_value(session: Session) -> None:
    person = register_person(session, certno=certno("1961-02-02"), name="邬轮换", local=True, town="yuelin",
                             phone="13900003333")
    session.flush()
    before = sealing.active()
    rotated = before.rotated(MOMENT)
    sealing._RING[0].keys = rotated  # as `yibao data-key rotate` does, without touching the shared key file
    try:
        for spec in sealed_tables():
            reseal(session.connection(), spec)
        values = [v for row in _raw(session, "persons", "certno", "phone") for v in row if v]
        assert values and all(v.startswith(f"sm4g1:{rotated.current}:") for v in values)
        session.expire_all()
        assert session.get(Person, person.psn_no).phone == "13900003333"  # type: ignore[union-attr]
        assert person_by_certno(session, person.certno).psn_no == person.psn_no
    finally:
        sealing._RING[0].keys = before


def test_the_migration_seals_what_was_stored_plain(tmp_path: Path) -> None:
    """A database made before sealing (plain numbers) is upgraded: every value sealed, look-ups by digest work,
    the card register keeps its one-active-card rule."""
    from alembic import command
    from alembic.config import Config

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    here = Path(__import__("yibao").__file__).parent
    config = Config(str(here / "alembic.ini"))
    config.set_main_option("script_location", str(here / "migrations"))
    number = certno("1962-03-03")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "04aa7bda74e5")  # the access trail, before sealing
        connection.execute(text(
            "INSERT INTO persons (psn_no, certno, name, sex, birth_date, local, town, phone, employee_insured, "
            "created_at) VALUES ('3302130000000001', :c, '邬旧', '1', '1962-03-03', 1, 'yuelin', '13900004444', 0, "
            "'2026-01-01 00:00:00')"), {"c": number})
        connection.execute(text(
            "INSERT INTO ss_cards (psn_no, card_no, card_sn, issued_on, status, created_at) VALUES "
            "('3302130000000001', 'B7654321', 'SN9', '2026-01-01', 'active', '2026-01-01 00:00:00')"))
    migrate(engine)
    with Session(engine) as session:
        raw = _raw(session, "persons", "certno", "phone", "certno_digest") + _raw(session, "ss_cards", "card_no")
        assert raw[0][0].startswith("sm4g1:") and raw[0][1].startswith("sm4g1:")  # type: ignore[union-attr]
        assert raw[0][2] == digest_of("certno", number) and raw[1][0].startswith("sm4g1:")  # type: ignore[union-attr]
        assert person_by_certno(session, number).name == "邬旧"
        assert card_holder(session, card_no="B7654321", card_sn="SN9").psn_no == "3302130000000001"
        indexes = {row[0] for row in session.execute(text("SELECT name FROM sqlite_master WHERE type='index' "
                                                          "AND tbl_name='ss_cards'"))}
        assert {"uq_ss_cards_number", "uq_ss_cards_active"} <= indexes
    engine.dispose()
    with sqlite3.connect(tmp_path / "old.sqlite3") as database:
        dump = "\n".join(database.iterdump())
    assert number not in dump and "13900004444" not in dump and "B7654321" not in dump


def test_data_key_rotate_at_the_command_line(tmp_path: Path) -> None:
    env = {**os.environ, "YIBAO_DATA_DIR": str(tmp_path)}
    env.pop("YIBAO_DATABASE_URL", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([YIBAO, *args], capture_output=True, text=True, timeout=300, env=env, check=False)

    number = certno("1963-04-04")
    assert run("person-add", number, "邬命令行", "--town", "yuelin", "--phone", "13900005555").returncode == 0
    first = json.loads((tmp_path / sealing.KEY_FILE).read_text())["current"]
    rotated = run("data-key", "rotate", "--retire")
    assert rotated.returncode == 0, rotated.stderr
    keys = json.loads((tmp_path / sealing.KEY_FILE).read_text())
    assert keys["current"] != first and first not in keys["keys"]  # retired: nothing is sealed with it any more
    assert "persons：重新加密 1 行" in rotated.stdout
    status = run("data-key", "status")
    assert status.returncode == 0 and re.search(rf"{keys['current']}（当前）\s+2 个值", status.stdout), status.stdout
    shown = run("credential", "list")  # the database opens with the new key
    assert shown.returncode == 0, shown.stderr


@pytest.fixture
def his(client: TestClient, session: Session) -> Callable[[str], HIS]:
    ensure_demo_institutions(session)
    session.commit()
    return lambda code: HIS(client, code)


def test_no_personal_number_is_stored_in_the_clear_after_a_day_at_the_counter(
        client: TestClient, session: Session, his: Callable[[str], HIS]) -> None:
    """Enrolled, paid, card issued, looked up by ID and card, a visit settled and its receipt printed: a raw read
    of every column of every table finds neither the ID number, nor the phone, nor the card number."""
    person = insured(session, year=dt.date.today().year)
    person.phone = "13900006666"
    issue_card(session, psn_no=person.psn_no, card_no="C99887766", card_sn="SN7", issued_on=dt.date(2026, 1, 1),
               actor="t")
    session.commit()
    clinic, day = his(COMMUNITY), dt.date.today().isoformat()
    clinic.ok("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": person.certno}})
    clinic.ok("1101", {"data": {"mdtrt_cert_type": "03", "mdtrt_cert_no": "C99887766", "card_sn": "SN7"}})
    mdtrt_id = clinic.register(person.psn_no, day)
    clinic.fees("2204", person.psn_no, mdtrt_id, day, [("001101000010000", "1", "30.00")])
    settled = clinic.ok("2207", clinic.settle_data(person.psn_no, mdtrt_id, Decimal("30.00"), "11"))
    assert settled["setlinfo"]["certno"] == person.certno  # the answer names it; what is stored does not
    secrets_ = (person.certno, "13900006666", "C99887766")
    for table in metadata.sorted_tables:
        light = sa_table(table.name, *(sa_column(c.name) for c in table.columns))
        for row in session.execute(select(light)):
            for value in row:
                assert not any(s in str(value) for s in secrets_), (table.name, value)


def test_sm3_and_hmac_sm3_agree_with_and_without_openssl(monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenSSL's SM3 where it has one, gmssl's pure-Python SM3 elsewhere: the same digests either way."""
    import hashlib

    from yibao.kit import gm

    message, key = b"330283197003031234" * 5, b"k" * 32
    fast_digest, fast_mac = gm.sm3_hex(message), sealing._hmac_sm3(key, message)
    monkeypatch.setattr(gm, "_OPENSSL_SM3", False)
    monkeypatch.setattr(hashlib, "algorithms_available", set())
    assert gm.sm3_hex(message) == fast_digest
    assert sealing._hmac_sm3(key, message) == fast_mac
    assert sealing._hmac_sm3(b"x" * 100, message) != fast_mac  # a long key is hashed first (RFC 2104)
