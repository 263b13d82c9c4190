"""The authorization matrix: every REST route × every staff role, and every door across tenants.

- REST: a role whose permissions lack the route's is refused with 403; a role that has it is never refused
  with 401/403 (the route's permission is the one its dependency declares).
- The gateway: a clinic cannot add fees to, settle, cancel or reverse another clinic's visit, nor see its
  settlements in 3201/5206 beyond its own; every such attempt refused, nothing written.
- The pages: a desk cannot open another institution's receipt; a resident cannot open another's settlement.
Counted as failures: a wrong answer for a role, and any cross-tenant attempt that is not refused ("cross-tenant")."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi.routing import APIRoute

from reliability.common import CLINICS, Figures, His, Live, World, changed_tables, fingerprint, staff_token
from yibao.app import create_app
from yibao.config import Settings
from yibao.db import make_sessionmaker, session_scope
from yibao.demo import DEMO_HIS_SECRET
from yibao.people.models import ResidentAccount
from yibao.people.service import open_resident_account
from yibao.staff.service import ROLE_PERMISSIONS, Role

TOKEN = re.compile(r'"X-CSRF-Token": "([0-9a-f]+)"')
ROLES = {"admin": Role.ADMIN, "clerk": Role.CLERK, "auditor": Role.AUDITOR, "readonly": Role.READONLY}


def _permission(dependant: Any) -> Any:
    for sub in dependant.dependencies:
        found = getattr(sub.call, "__yibao_permission__", None) or _permission(sub)
        if found is not None:
            return found
    return None


def _routes(routes: list[Any]) -> list[APIRoute]:
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute) and route.path.startswith("/api/") and not route.path.startswith("/api/me/"):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(_routes(route.original_router.routes))
    return found


def run(world: World) -> Figures:
    figures = Figures("authorization matrix", world.backend)
    live = Live(world).start()
    try:
        _rest(world, live, figures)
        _gateway(world, live, figures)
        _pages(world, live, figures)
        if live.tracebacks():
            figures.fail(f"the server logged {live.tracebacks()} tracebacks (see {live.log})")
    finally:
        live.stop()
    return figures


def _rest(world: World, live: Live, figures: Figures) -> None:
    app = create_app(Settings(database_url=world.url, data_dir=world.data_dir), run_migrations=False)
    tokens = {name: staff_token(live.base, name) for name in ROLES}
    psn_no = world.insured[0][0]
    with httpx.Client(base_url=live.base, timeout=60) as http:
        for route in _routes(list(app.routes)):
            permission = _permission(route.dependant)
            if permission is None:
                continue  # public (sign-in) or the signed-in staff member's own (/api/auth/me)
            path = re.sub(r"\{[^}]+\}", "x", route.path.replace("{psn_no}", psn_no))
            for method in sorted((route.methods or set()) - {"HEAD"}):
                if route.path == "/api/auth/logout":
                    continue
                for name, role in ROLES.items():
                    answer = http.request(method, path, headers={"Authorization": f"Bearer {tokens[name]}"},
                                          json={})
                    figures.add("route × role checks")
                    allowed = permission in ROLE_PERMISSIONS[role]
                    refused = answer.status_code in (401, 403)
                    if allowed == refused or (not allowed and answer.status_code != 403):
                        figures.fail(f"{method} {route.path} as {name}: HTTP {answer.status_code} "
                                     f"({'allowed' if allowed else 'not allowed'}: {permission.value})")
    app.state.engine.dispose()


def _gateway(world: World, live: Live, figures: Figures) -> None:
    owner, stranger = His(live.base, CLINICS[0]), His(live.base, CLINICS[1])
    psn_no, certno = world.insured[3]
    mdtrt_id, total = owner.visit_with_fees(psn_no, certno)
    other_id, other_total = owner.visit_with_fees(psn_no, certno)
    settle = owner.envelope("2207", owner.settle_data(psn_no, other_id, other_total))
    setl_id = owner.send(settle)["output"]["setlinfo"]["setl_id"]
    attempts = {
        "2204 fees on another clinic's visit": ("2204", {"feedetail": stranger.fee_lines(psn_no, mdtrt_id)}),
        "2206 pre-settle another clinic's visit": ("2206", stranger.settle_data(psn_no, mdtrt_id, total)),
        "2207 settle another clinic's visit": ("2207", stranger.settle_data(psn_no, mdtrt_id, total)),
        "2208 cancel another clinic's settlement": ("2208", {"data": {"setl_id": setl_id, "mdtrt_id": other_id,
                                                                       "psn_no": psn_no}}),
        "2601 reverse another clinic's message": ("2601", {"data": {"psn_no": psn_no, "omsgid": settle["msgid"],
                                                                     "oinfno": "2207"}}),
        "2205 delete another clinic's fee lines": ("2205", {"data": {"mdtrt_id": mdtrt_id, "psn_no": psn_no,
                                                                      "chrg_bchno": "0000"}}),
        "2202 cancel another clinic's visit": ("2202", {"data": {"mdtrt_id": mdtrt_id, "psn_no": psn_no,
                                                                  "ipt_otp_no": "x"}}),
    }
    before = fingerprint(world.engine)
    for label, (infno, data) in attempts.items():
        answer = stranger.call(infno, data)
        figures.add("cross-tenant attempts")
        after = fingerprint(world.engine)
        # 2601 of a message the caller never sent answers "原交易未生效，无需冲正" as the interface does (no
        # telling whether another institution's exists); the caller's own 2601 message is then stored
        harmless = infno == "2601" and "无需冲正" in str(answer.get("output"))
        written = [t for t in changed_tables(before, after) if not (harmless and t == "gateway_messages")]
        if (answer.get("infcode") == 0 and not harmless) or written:
            figures.add("cross-tenant")
            figures.fail(f"gateway: {label} was not refused ({answer.get('err_msg') or 'infcode 0'}; "
                         f"changed {written})")
        before = after
    stolen = stranger.call("2207", {"data": {"psn_no": psn_no}}, fixmedins_code=CLINICS[0])  # another's code
    figures.add("cross-tenant attempts")
    if stolen.get("infcode") == 0:
        figures.add("cross-tenant")
        figures.fail("gateway: a sign_no used under another institution's code was accepted")
    totals = stranger.call("3201", {"data": {"insutype": "390", "clr_type": "11", "setl_optins": "330213",
                                             "stmt_begndate": "2000-01-01", "stmt_enddate": "2099-12-31",
                                             "medfee_sumamt": 0, "fund_pay_sumamt": 0, "acct_pay": 0,
                                             "fixmedins_setl_cnt": 0}})
    figures.add("cross-tenant attempts")
    if setl_id in str(totals):
        figures.add("cross-tenant")
        figures.fail("gateway: 3201 showed another institution's settlement")
    _desk_receipt(live, setl_id, figures)


def _signed_in_cannot_open(live: Live, login: str, form: dict[str, str], who: str, paths: list[str],
                           figures: Figures) -> None:
    """Sign in on the pages (with the page's CSRF token) and try each path: none may open (HTTP 200)."""
    with httpx.Client(base_url=live.base, timeout=60, follow_redirects=False) as browser:
        token = TOKEN.search(browser.get("/").text)
        signed = browser.post(login, data=form, headers={"X-CSRF-Token": token.group(1) if token else ""})
        if signed.status_code != 303:
            figures.fail(f"{who}: sign-in for the cross-tenant check failed (HTTP {signed.status_code})")
            return
        for path in paths:
            answer = browser.get(path)
            figures.add("cross-tenant attempts")
            if answer.status_code == 200:
                figures.add("cross-tenant")
                figures.fail(f"{who} opened {path}")


def _desk_receipt(live: Live, setl_id: str, figures: Figures) -> None:
    _signed_in_cannot_open(live, "/desk/login", {"fixmedins_code": CLINICS[1], "secret": DEMO_HIS_SECRET,
                                                 "opter": "收费员"}, f"the desk of {CLINICS[1]}",
                           [f"/desk/settlements/{setl_id}/receipt", f"/desk/settlements/{setl_id}/receipt.pdf"],
                           figures)


def _pages(world: World, live: Live, figures: Figures) -> None:
    (mine, my_certno), (theirs, their_certno) = world.insured[4], world.insured[5]
    password = "reliability-1"
    with session_scope(make_sessionmaker(world.engine)) as session:
        for psn_no in (mine, theirs):
            if session.get(ResidentAccount, psn_no) is None:
                open_resident_account(session, psn_no=psn_no, password=password, actor="reliability")
    his = His(live.base, CLINICS[0])
    mdtrt_id, total = his.visit_with_fees(theirs, their_certno)
    setl_id = his.ok("2207", his.settle_data(theirs, mdtrt_id, total))["setlinfo"]["setl_id"]
    _signed_in_cannot_open(live, "/me/login", {"certno": my_certno, "password": password}, f"resident {mine}",
                           [f"/me/settlements/{setl_id}", f"/me/settlements/{setl_id}/receipt.pdf"], figures)
