"""Sign-in throttling (issue 19 item 3) in place of a lock: wrong passwords are counted under three keys —
the account from this address, the address, and the account from anywhere — and past each key's free
attempts every further one makes the next wait twice as long, up to the key's cap. A stranger guessing at
`admin` from elsewhere therefore slows only their own address (and, after many, the account by at most a
minute), never locks the administrator out; the refusal is the same for accounts that exist and those
that do not, and the password check costs the same for both (`check_secret`).

The limits are ASSUMPTIONS of this system (no source document sets them), stated here as data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yibao.access.models import SignInFailure
from yibao.db import digest_of
from yibao.kit.clock import now
from yibao.kit.errors import DomainError
from yibao.kit.passwords import hash_password, verify_password


@dataclass(frozen=True)
class Limit:
    scope: str  # pair (account from one address), address, account
    free: int  # wrong attempts before the first wait
    cap: dt.timedelta  # the longest wait


# ASSUMPTION (issue 19 item 3): 5 free attempts for one account from one address, 20 for one address,
# 50 for one account from everywhere; waits of 1 s, 2 s, 4 s … capped at 15 min (the account-wide one at
# 1 min, so that nobody can keep an account out for long); counts forgotten after an hour without a failure.
LIMITS = (Limit("pair", 5, dt.timedelta(minutes=15)), Limit("address", 20, dt.timedelta(minutes=15)),
          Limit("account", 50, dt.timedelta(minutes=1)))
QUIET = dt.timedelta(hours=1)


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    http_status = 429

    def __init__(self, wait: dt.timedelta) -> None:
        self.retry_after = max(1, int(wait.total_seconds() + 0.999))
        super().__init__(f"尝试次数过多，请 {self.retry_after} 秒后再试；忘记密码请联系管理员或到窗口重置",
                         field="password")


def _keys(door: str, account: str, address: str) -> dict[str, Limit]:
    """The throttle keys of one attempt. The account name is kept only as its keyed digest (it may be an ID
    number, and a plain hash of an ID number is found by trying them all)."""
    who = digest_of("throttle", f"{door}|{account}")[:32]
    by_scope = {"pair": f"{door}|pair|{who}|{address}", "address": f"address|{address}",
                "account": f"{door}|account|{who}"}
    return {by_scope[limit.scope][:200]: limit for limit in LIMITS}


def check(session: Session, door: str, account: str, address: str) -> None:
    """Refuse (429) while any key of this attempt is waiting."""
    moment = now()
    waits = [row.blocked_until - moment for key in _keys(door, account, address)
             if (row := session.get(SignInFailure, key)) is not None and row.blocked_until is not None
             and row.blocked_until > moment]
    if waits:
        raise TooManyAttempts(max(waits))


def failed(session: Session, door: str, account: str, address: str) -> None:
    """Count a wrong password under every key (the door commits it although it refuses the sign-in)."""
    moment = now()
    for key, limit in _keys(door, account, address).items():
        row = session.get(SignInFailure, key) or _first_failure(session, key, moment)
        if moment - row.last_at > QUIET:
            row.failures = 0
        row.failures, row.last_at = row.failures + 1, moment
        if row.failures >= limit.free:
            wait = dt.timedelta(seconds=2 ** min(row.failures - limit.free, 20))
            row.blocked_until = moment + min(wait, limit.cap)
    session.flush()


def _first_failure(session: Session, key: str, moment: dt.datetime) -> SignInFailure:
    row = SignInFailure(key=key, failures=0, last_at=moment, blocked_until=None)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # a concurrent attempt counted first: count on its row
        found = session.get(SignInFailure, key, populate_existing=True)
        assert found is not None
        return found
    return row


def succeeded(session: Session, door: str, account: str, address: str) -> None:
    """A right password clears the account's counts (not the address's: a guesser with one good account
    of their own must not reset their address by signing in with it)."""
    keys = [key for key, limit in _keys(door, account, address).items() if limit.scope != "address"]
    session.execute(delete(SignInFailure).where(SignInFailure.key.in_(keys)))


def forgive(session: Session, door: str, account: str) -> None:
    """A clerk's or administrator's reset of the password: the account-wide wait ends."""
    session.execute(delete(SignInFailure).where(SignInFailure.key.in_(
        [key for key, limit in _keys(door, account, "").items() if limit.scope == "account"])))


@cache
def _stand_in() -> str:
    return hash_password("no account has this password")


def check_secret(secret: str, stored: str | None) -> bool:
    """The password check, as long for an unknown account (stored None) as for a known one."""
    return verify_password(secret, stored or _stand_in()) and stored is not None


def guarded_check(session: Session, door: str, account: str, address: str, secret: str,
                  stored: str | None) -> bool:
    """The whole throttled check: wait refused first, then the password; counted either way."""
    check(session, door, account, address)
    if check_secret(secret, stored):
        succeeded(session, door, account, address)
        return True
    failed(session, door, account, address)
    return False
