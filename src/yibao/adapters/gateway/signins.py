"""Who a call comes from: the institution, its gateway headers (auth.py), and its sign-in (9001) as later calls
carry it — by sign_no, held in memory per process. One admission for every door an HIS calls (the interface,
the file download, the e-credential decode)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import bindparam

from yibao.adapters.gateway.auth import Headers, Seen, check_headers
from yibao.adapters.gateway.envelope import GatewayInputError
from yibao.errors import Unauthorized
from yibao.institutions.models import InstitutionRecord
from yibao.institutions.service import institution_record
from yibao.kit.clock import now
from yibao.settlement.models import GatewaySignIn
from yibao.statements import Db, Read


class SignedIn(NamedTuple):
    fixmedins_code: str
    expires_at: dt.datetime


_SIGN_IN = Read(SignedIn, GatewaySignIn, GatewaySignIn.sign_no == bindparam("sign_no"))

# sign_no → (institution, expiry, when read): a sign-in only expires or is signed out (9002). A worker trusts what
# it read for SIGN_IN_RECHECK, then reads it again, so a sign-out in another worker holds there within that time.
SIGN_INS: dict[str, tuple[str, dt.datetime, dt.datetime]] = {}
SIGN_IN_RECHECK = dt.timedelta(seconds=60)  # ASSUMPTION: a 9002 sign-out reaches every worker within a minute


def check_sign_no(session: Db, institution: InstitutionRecord, sign_no: str | None) -> None:
    if not sign_no:
        raise GatewayInputError("缺少 sign_no，请先签到（9001）", field="sign_no")
    moment = now()
    known = SIGN_INS.get(sign_no)
    if known is None or known[2] + SIGN_IN_RECHECK < moment:
        row = _SIGN_IN.first(session, sign_no=sign_no)
        if row is None:
            known = None
        else:
            if len(SIGN_INS) > 10_000:  # sign-ins last a day: forget the expired ones
                for stale in [key for key, (_, expires, _) in SIGN_INS.items() if expires < moment]:
                    del SIGN_INS[stale]
            known = SIGN_INS[sign_no] = (row.fixmedins_code, row.expires_at, moment)
    if known is None or known[0] != institution.fixmedins_code or known[1] <= moment:
        raise Unauthorized("sign_no 无效或已过期，请重新签到（9001）", field="sign_no")


def forget_sign_in(sign_no: str) -> None:
    """A sign-out (9002): this process stops trusting the sign_no at once."""
    SIGN_INS.pop(sign_no, None)


def admit(session: Db, code: str, *, sign_no: str | None, headers: Headers, seen: Seen,
          signing_in: bool = False) -> tuple[InstitutionRecord, str | None]:
    """The registered institution a call names, its gateway headers verified, and, unless the call is the
    sign-in itself, its sign_no; with the header scheme the call proved (None: it carried none)."""
    institution = institution_record(session, code)
    if institution is None:
        raise GatewayInputError(f"机构编码 {code} 不是本统筹区登记的定点医药机构", field="fixmedins_code")
    proven = check_headers(institution, headers, now(), seen.on(session))
    if not signing_in:
        check_sign_no(session, institution, sign_no)
    return institution, proven
