"""Known answers of the GM/T algorithms as kit/gm.py wraps gmssl (issue 13 item 7): the published examples of
GB/T 32918.5-2017 Annex A (= GM/T 0003.5-2012 A.2: SM2 signature on the recommended curve with the default
user ID), GB/T 32905-2016 Annex A (SM3) and GB/T 32907-2016 Annex A (SM4); then properties of the wrappers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.kit import gm

PRIVATE = "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8"
PUBLIC = ("0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
          "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13")
K = "59276e27d506861a16680f3ad9c02dccef3cc1fa3cdbe4ce6d54b80deac1bc21"
SIGNATURE = ("f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3"
             "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa")
KEY = gm.KeyPair(PRIVATE, PUBLIC)


def test_sm2_public_key_of_the_standards_example() -> None:
    assert gm.public_key_of(PRIVATE) == PUBLIC


def test_sm2_z_value_of_the_standards_example() -> None:
    assert gm.z_value(PUBLIC).hex() == "b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3"


def test_sm2_signature_of_the_standards_example() -> None:
    assert gm.sm2_sign(KEY, b"message digest", k=K) == SIGNATURE
    assert gm.sm2_verify(PUBLIC, b"message digest", SIGNATURE)
    assert gm.sm2_verify(PUBLIC[2:], b"message digest", SIGNATURE)  # without the 04 prefix


@pytest.mark.parametrize("change", ["message", "signature", "user_id", "key"])
def test_sm2_refuses_what_was_not_signed(change: str) -> None:
    message, signature, user_id, public = b"message digest", SIGNATURE, gm.DEFAULT_USER_ID, PUBLIC
    if change == "message":
        message = b"message digesT"
    elif change == "signature":
        signature = SIGNATURE[:-1] + "b"
    elif change == "user_id":
        user_id = b"ALICE123@YAHOO.COM"
    else:
        public = gm.generate_keypair().public
    assert not gm.sm2_verify(public, message, signature, user_id=user_id)


@pytest.mark.parametrize("signature", ["", "zz", "00" * 64, "30" + "00" * 20, "ff" * 64, SIGNATURE + "00"])
def test_sm2_verify_never_raises_on_garbage(signature: str) -> None:
    assert gm.sm2_verify(PUBLIC, b"message digest", signature) is False


def test_sm3_examples() -> None:
    assert gm.sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert gm.sm3_hex(b"abcd" * 16) == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def test_sm4_example() -> None:
    block = bytes.fromhex("0123456789abcdeffedcba9876543210")
    assert gm.sm4_block(block, block).hex() == "681edf34d206965e86b3e94f536e4246"


def test_a_public_key_whose_x_starts_with_04_is_kept_whole() -> None:
    """gmssl strips a key's "04" with lstrip, which eats an x beginning with 0 or 4 too; the wrapper does not.
    11·G is such a point."""
    pair = gm.KeyPair(f"{11:064x}", gm.public_key_of(f"{11:064x}"))
    assert pair.public.startswith("0404b3cb10c9")
    assert gm.sm2_verify(pair.public, b"m", gm.sm2_sign(pair, b"m"))
    assert gm.sm2_verify(pair.public[2:], b"m", gm.sm2_sign(pair, b"m"))


@settings(max_examples=15, deadline=None)
@given(st.binary(max_size=200))
def test_sm2_signs_and_verifies_any_message(message: bytes) -> None:
    pair = gm.generate_keypair()
    assert gm.sm2_verify(pair.public, message, gm.sm2_sign(pair, message))


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=300), st.binary(min_size=16, max_size=16))
def test_sm4_round_trip_and_tamper_refusal(plaintext: bytes, key: bytes) -> None:
    sealed = gm.sm4_encrypt(key, plaintext)
    assert gm.sm4_decrypt(key, sealed) == plaintext
    assert sealed != gm.sm4_encrypt(key, plaintext)  # a fresh IV each time
    with pytest.raises(ValueError):
        gm.sm4_decrypt(key, sealed[:-1])
