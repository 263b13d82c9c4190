"""Identifiers: random row ids and the numbered ids people read (psn_no, bill numbers)."""

from __future__ import annotations

import os
import random
import uuid

# Random digits in the interface's ids (mdtrt_id, setl_id, inf_refmsgid) need to be unique, not secret: an id
# grants nothing (every lookup checks the institution), and a unique index guards every stored one. A
# generator seeded once from the OS per process costs no system call per id, as `secrets` does.
_digits = random.Random(os.urandom(32))


def new_id() -> str:
    """A row id: 32 hex characters, unique without a round trip to the database."""
    return uuid.uuid4().hex


def random_digits(count: int) -> str:
    """`count` random decimal digits."""
    return f"{_digits.randrange(10**count):0{count}d}"
