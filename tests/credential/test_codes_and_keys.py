"""The dynamic code's keys and text (POLICY.md §10; issue 13 item 3): the key file is private, a rotation keeps
codes signed with the previous key verifying until they expire, a code expires after its validity, and the
text hides what it says."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest

from yibao.credential.codes import issue_code, read_code
from yibao.credential.errors import CodeExpired, ForgedCode, MalformedCode
from yibao.credential.keys import KeyRing
from yibao.credential.rules import PARAMETERS

T0 = dt.datetime(2026, 12, 2, 9, 0, 0)
INDEX = "A" * 32


def test_the_key_file_is_made_once_and_private(tmp_path: Path) -> None:
    ring = KeyRing.in_directory(tmp_path, T0)
    assert stat.S_IMODE((tmp_path / "ecard-keys.json").stat().st_mode) == 0o600
    again = KeyRing.in_directory(tmp_path, T0 + dt.timedelta(hours=1))  # another worker, later
    assert again.current.kid == ring.current.kid


def test_a_code_reads_back_within_its_validity_and_not_after(tmp_path: Path) -> None:
    ring = KeyRing.in_directory(tmp_path, T0)
    code = issue_code(ring, INDEX, T0, PARAMETERS)
    assert INDEX not in code.text and code.expires_at == T0 + dt.timedelta(seconds=PARAMETERS.code_seconds)
    claims = read_code(ring, code.text, T0 + dt.timedelta(seconds=59), PARAMETERS)
    assert (claims.ec_index_no, claims.nonce) == (INDEX, code.nonce)
    with pytest.raises(CodeExpired):
        read_code(ring, code.text, T0 + dt.timedelta(seconds=60), PARAMETERS)
    with pytest.raises(CodeExpired):  # "issued" well in the future: a clock cannot be that far off
        read_code(ring, code.text, T0 - dt.timedelta(seconds=30), PARAMETERS)


def test_rotation_keeps_the_previous_keys_codes_until_they_expire(tmp_path: Path) -> None:
    ring = KeyRing.in_directory(tmp_path, T0)
    before = issue_code(ring, INDEX, T0, PARAMETERS)
    other_worker = KeyRing.in_directory(tmp_path, T0)
    fresh = ring.rotate(T0 + dt.timedelta(seconds=10), PARAMETERS.code_validity)
    after = issue_code(other_worker, INDEX, T0 + dt.timedelta(seconds=11), PARAMETERS)  # sees the rotation
    assert fresh.kid in after.text and fresh.kid not in before.text
    moment = T0 + dt.timedelta(seconds=30)
    assert read_code(other_worker, before.text, moment, PARAMETERS).nonce == before.nonce
    assert read_code(ring, after.text, moment, PARAMETERS).nonce == after.nonce
    ring.rotate(T0 + dt.timedelta(minutes=5), PARAMETERS.code_validity)  # the first key is dropped now
    assert len(ring.keys()) == 2
    with pytest.raises(ForgedCode):
        read_code(ring, before.text, T0 + dt.timedelta(seconds=40), PARAMETERS)


def test_a_code_of_another_key_ring_is_forged(tmp_path: Path) -> None:
    ours = KeyRing.in_directory(tmp_path / "ours", T0)
    theirs = KeyRing.in_directory(tmp_path / "theirs", T0)
    with pytest.raises(ForgedCode):
        read_code(ours, issue_code(theirs, INDEX, T0, PARAMETERS).text, T0, PARAMETERS)
    with pytest.raises(MalformedCode):
        read_code(ours, "YBEC1.only.three", T0, PARAMETERS)
