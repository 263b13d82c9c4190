"""The one way personal numbers are masked for people without the right to see them, and in logs."""

from __future__ import annotations

import re

_ID_NUMBER = re.compile(r"(?<![0-9])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9])")
_PHONE = re.compile(r"(?<![0-9])(1[3-9]\d)\d{4}(\d{4})(?![0-9])")


def mask_id(certno: str) -> str:
    """330283********1762: the region and the last four kept."""
    return certno[:6] + "********" + certno[-4:]


def mask_card(card_no: str) -> str:
    """A card number with its first and last two characters kept."""
    return card_no[:2] + "*" * max(len(card_no) - 4, 0) + card_no[-2:]


def mask_phone(phone: str) -> str:
    """138****1234: a mobile's first three and last four kept; other numbers their last four."""
    digits = phone.strip()
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 11 else "****" + digits[-4:]


def mask_text(text: str) -> str:
    """Every ID number and mobile number in a text masked (330283********1762, 138****1234)."""
    return _PHONE.sub(r"\1****\2", _ID_NUMBER.sub(r"\1********\2", text))
