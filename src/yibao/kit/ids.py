"""Identifiers: random row ids and the numbered ids people read (psn_no, bill numbers)."""

from __future__ import annotations

import uuid


def new_id() -> str:
    """A row id: 32 hex characters, unique without a round trip to the database."""
    return uuid.uuid4().hex
