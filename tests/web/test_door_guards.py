"""Issue 19 items 3–5 over the real app on both databases: sign-in throttled by address and account (no lock a
stranger can set off, one message, 429 with Retry-After), sessions that end at sign-out and at a password
change, CSRF tokens and the Origin check on every state-changing page route, and the security headers."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.dbfixtures import STAFF_PASSWORD, BrowserClient
from tests.gateway.his import insured
from tests.web.test_pages import page_routes
from yibao.access import throttle
from yibao.access.throttle import LIMITS
from yibao.kit.clock import now
from yibao.people.service import open_resident_account
from yibao.staff.service import create_staff

PAIR_FREE = next(limit.free for limit in LIMITS if limit.scope == "pair")
ADDRESS_FREE = next(limit.free for limit in LIMITS if limit.scope == "address")


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> list[dt.datetime]:
    """The throttle's clock, stopped (a slow machine must not let a 1-second wait run out mid-test)."""
    moment = [now()]
    monkeypatch.setattr(throttle, "now", lambda: moment[0])
    return moment


@pytest.fixture
def elsewhere(client: TestClient) -> Iterator[TestClient]:
    """A second browser on the same server, from another address."""
    with BrowserClient(client.app, raise_server_exceptions=False, client=("10.9.8.7", 40000)) as other:
        yield other


def staff(session: Session, username: str = "g-admin", role: str = "admin") -> str:
    create_staff(session, username=username, display_name="管理员", role=role, password=STAFF_PASSWORD)
    session.commit()
    return username


def api_login(client: TestClient, username: str, password: str) -> Any:
    return client.post("/api/auth/login", json={"username": username, "password": password})


# ---------------------------------------------------------------------------------------------------
# Item 3: throttling instead of a lock


def test_a_stranger_guessing_at_admin_slows_only_themselves(client: TestClient, elsewhere: TestClient,
                                                           session: Session) -> None:
    admin = staff(session)
    for _ in range(PAIR_FREE):
        assert api_login(elsewhere, admin, "wrong-guess").status_code == 401
    waiting = api_login(elsewhere, admin, STAFF_PASSWORD)  # even the right password waits, from there
    assert waiting.status_code == 429 and int(waiting.headers["Retry-After"]) >= 1
    assert "尝试次数过多" in waiting.json()["message"]
    assert api_login(client, admin, STAFF_PASSWORD).status_code == 200  # the administrator is not locked out


def test_the_wait_doubles_and_ends(client: TestClient, session: Session, clock: list[dt.datetime]) -> None:
    admin = staff(session)
    for _ in range(PAIR_FREE):
        api_login(client, admin, "wrong-guess")
    first = int(api_login(client, admin, "wrong-guess").headers["Retry-After"])
    clock[0] += dt.timedelta(seconds=first)
    assert api_login(client, admin, "wrong-again").status_code == 401  # let through, and counted
    second = int(api_login(client, admin, "wrong-guess").headers["Retry-After"])
    assert second == 2 * first
    clock[0] += dt.timedelta(seconds=second)
    assert api_login(client, admin, STAFF_PASSWORD).status_code == 200  # the wait ended; the count is cleared
    assert api_login(client, admin, "one-slip").status_code == 401


def test_one_address_guessing_many_accounts_is_slowed(client: TestClient, session: Session) -> None:
    for i in range(ADDRESS_FREE):
        assert api_login(client, f"nobody-{i}", "guess").status_code == 401
    assert api_login(client, "nobody-else", "guess").status_code == 429


def test_unknown_and_known_accounts_answer_alike(client: TestClient, session: Session,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """One message and the same work (a password hash is checked for an unknown user too)."""
    admin = staff(session)
    known, unknown = api_login(client, admin, "wrong-guess"), api_login(client, "no-such-user", "wrong-guess")
    assert known.status_code == unknown.status_code == 401
    assert known.json() == unknown.json()
    calls: list[str] = []
    real = throttle.verify_password

    def counting(secret: str, stored: str) -> bool:
        calls.append(stored)
        return real(secret, stored)

    monkeypatch.setattr(throttle, "verify_password", counting)
    api_login(client, "still-nobody", "x")
    assert len(calls) == 1 and calls[0].startswith("scrypt$")


def test_a_residents_page_sign_in_is_throttled_with_one_message(client: TestClient, session: Session) -> None:
    person = insured(session, name="邬节流")
    open_resident_account(session, psn_no=person.psn_no, password="right-pass-1", actor="t")
    session.commit()
    answers = [client.post("/me/login", data={"certno": person.certno, "password": "nope-nope"})
               for _ in range(PAIR_FREE + 1)]
    assert [a.status_code for a in answers] == [401] * PAIR_FREE + [429]
    assert "尝试次数过多" in answers[-1].text and "账号已锁定" not in answers[-1].text
    stranger = client.post("/me/login", data={"certno": "330283199001011234", "password": "nope-nope"})
    assert stranger.status_code == 401  # an unknown ID number: the same first message, its own count


def test_the_desk_sign_in_is_throttled(client: TestClient, session: Session) -> None:
    from yibao.demo import ensure_demo_institutions

    ensure_demo_institutions(session)
    session.commit()
    codes = [client.post("/desk/login", data={"fixmedins_code": "H33021300001", "secret": "wrong", "opter": "收费员"})
             .status_code for _ in range(PAIR_FREE + 1)]
    assert codes == [401] * PAIR_FREE + [429]


# ---------------------------------------------------------------------------------------------------
# Item 4: sessions end on the server


def test_a_residents_cookie_is_dead_after_sign_out(client: TestClient, session: Session) -> None:
    person = insured(session, name="邬登出")
    open_resident_account(session, psn_no=person.psn_no, password="right-pass-1", actor="t")
    session.commit()
    client.post("/me/login", data={"certno": person.certno, "password": "right-pass-1"})
    cookie = client.cookies["yibao_resident"]
    assert client.get("/me", follow_redirects=False).status_code == 200
    client.post("/me/logout")
    client.cookies.set("yibao_resident", cookie)  # the old cookie, kept by someone and sent again
    replayed = client.get("/me", follow_redirects=False)
    assert replayed.status_code == 303 and replayed.headers["location"].startswith("/me/login")
    assert client.get("/api/me/ecard").status_code == 401


def test_a_password_change_ends_the_other_sessions(client: TestClient, elsewhere: TestClient,
                                                   session: Session) -> None:
    person = insured(session, name="邬改密")
    open_resident_account(session, psn_no=person.psn_no, password="right-pass-1", actor="t")
    session.commit()
    for browser in (client, elsewhere):
        browser.post("/me/login", data={"certno": person.certno, "password": "right-pass-1"})
    changed = client.post("/me/password", data={"current": "right-pass-1", "new": "brand-new-1",
                                                "confirm": "brand-new-1"})
    assert "密码已修改" in changed.text
    assert client.get("/me", follow_redirects=False).status_code == 200  # the browser that changed it stays in
    assert elsewhere.get("/me", follow_redirects=False).status_code == 303  # the other one is out


def test_a_staff_token_is_dead_after_sign_out(client: TestClient, session: Session) -> None:
    admin = staff(session)
    token = api_login(client, admin, STAFF_PASSWORD).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/auth/me", headers=bearer).status_code == 200
    assert client.post("/api/auth/logout", headers=bearer).status_code == 204
    assert client.get("/api/auth/me", headers=bearer).status_code == 401


def test_cookies_are_secure_over_https(client: TestClient, session: Session) -> None:
    admin = staff(session)
    plain = client.post("/console/login", data={"username": admin, "password": STAFF_PASSWORD, "next": "/console"},
                        follow_redirects=False)
    assert "secure" not in plain.headers["set-cookie"].lower()
    client.app.state.settings.https = True  # type: ignore[attr-defined]
    try:
        secure = client.post("/console/login", data={"username": admin, "password": STAFF_PASSWORD,
                                                     "next": "/console"}, follow_redirects=False)
        assert "secure" in secure.headers["set-cookie"].lower() and "httponly" in secure.headers["set-cookie"].lower()
        assert client.get("/").headers["strict-transport-security"].startswith("max-age=")
    finally:
        client.app.state.settings.https = False  # type: ignore[attr-defined]


def test_security_headers_on_every_kind_of_answer(client: TestClient) -> None:
    for path in ("/", "/console/login", "/api/health", "/static/yibao.css", "/docs"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "DENY", path
        assert headers["referrer-policy"] == "same-origin", path
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0], path
        assert "frame-ancestors 'none'" in csp, path
        assert "strict-transport-security" not in headers  # plain HTTP: no HSTS


def test_no_page_carries_inline_script(client: TestClient, session: Session) -> None:
    """The CSP forbids inline script, so none may be in a page (event handler attributes included)."""
    for path in ("/", "/calc", "/qa", "/verify", "/console/login", "/me/login", "/desk/login", "/docs", "/redoc"):
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+=", html), path


# ---------------------------------------------------------------------------------------------------
# Item 5: CSRF


def test_every_state_changing_page_route_refuses_a_post_without_the_token(client: TestClient,
                                                                          session: Session) -> None:
    staff(session, "g-clerk", "clerk")
    client.post("/console/login", data={"username": "g-clerk", "password": STAFF_PASSWORD, "next": "/console"})
    client.auto_csrf = False  # type: ignore[attr-defined]
    checked = 0
    for route in page_routes(client):
        path = re.sub(r"\{[a-z_]+\}", "x1", route.path)
        for method in route.methods - {"GET", "HEAD"}:
            answer = client.request(method, path, data={"username": "g-clerk", "password": STAFF_PASSWORD},
                                    follow_redirects=False)
            assert answer.status_code == 403 and "刷新页面" in answer.text, (method, path, answer.status_code)
            forged = client.request(method, path, data={"csrf_token": "0" * 64}, follow_redirects=False)
            assert forged.status_code == 403, (method, path)
            checked += 1
    assert checked > 20


def test_a_form_from_another_port_of_the_same_host_is_refused(client: TestClient, session: Session) -> None:
    """The finding: a page on 127.0.0.1:8732 posting to the console creates a person. Same site (cookies go
    along), another origin: refused even with a token the attacker somehow had."""
    staff(session, "g-clerk", "clerk")
    client.post("/console/login", data={"username": "g-clerk", "password": STAFF_PASSWORD, "next": "/console"})
    token = client.csrf_token()  # type: ignore[attr-defined]
    client.auto_csrf = False  # type: ignore[attr-defined]
    form = {"csrf_token": token, "name": "伪造", "certno": "330283199001011234", "town": "330213001"}
    refused = client.post("/console/people/new", data=form, headers={"Origin": "http://127.0.0.1:8732"},
                          follow_redirects=False)
    assert refused.status_code == 403 and "其他网站" in refused.text
    same = client.post("/console/people/new", data=form, headers={"Origin": "http://testserver"},
                       follow_redirects=False)
    assert same.status_code != 403  # the same origin with the token gets through (to the form's own checks)


def test_a_token_is_bound_to_the_browsers_session(client: TestClient, elsewhere: TestClient,
                                                  session: Session) -> None:
    """A token read in one browser (an attacker's own visit) does not work in another browser's session."""
    staff(session, "g-clerk", "clerk")
    client.post("/console/login", data={"username": "g-clerk", "password": STAFF_PASSWORD, "next": "/console"})
    attackers = elsewhere.csrf_token()  # type: ignore[attr-defined]
    client.auto_csrf = False  # type: ignore[attr-defined]
    client.cookies.set("yibao_csrf", elsewhere.cookies["yibao_csrf"])  # even with its nonce tossed in
    answer = client.post("/console/people/new", data={"csrf_token": attackers, "name": "伪造"},
                         follow_redirects=False)
    assert answer.status_code == 403


def test_the_residents_api_needs_the_token_for_changes(client: TestClient, session: Session) -> None:
    person = insured(session, name="邬接口")
    open_resident_account(session, psn_no=person.psn_no, password="right-pass-1", actor="t")
    session.commit()
    client.post("/me/login", data={"certno": person.certno, "password": "right-pass-1"})
    client.auto_csrf = False  # type: ignore[attr-defined]
    answer = client.post("/api/me/bindings", json={"certno": "330283199001011234", "name": "某", "relationship": "10"})
    assert answer.status_code == 403 and answer.json()["code"] == "csrf", answer.text
