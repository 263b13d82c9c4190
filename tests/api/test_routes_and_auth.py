"""The REST door over real HTTP (issue 3 §6): every route checks a role; sign-in; errors in Chinese."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.dbfixtures import sign_in
from yibao.adapters.rest.deps import current_staff
from yibao.adapters.rest.staff import PUBLIC_ROUTES
from yibao.app import create_app
from yibao.config import Settings

PUBLIC = PUBLIC_ROUTES | {"/api/health", "/fsi/api/rsfComIfsService/callService", "/fsi/api/fileupload/upload",
                          "/fsi/api/fileupload/download"}  # the gateway signs in by 9001


def api_routes(routes: list[Any]) -> list[APIRoute]:
    """The REST and gateway routes (the pages sign in with cookies: tests/web checks them)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute) and route.path.startswith(("/api/", "/fsi/")):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(api_routes(route.original_router.routes))
    return found


def guarded(dependant: Any) -> bool:
    """Does the route depend (at any depth) on a permission check or a signed-in staff member?"""
    for sub in dependant.dependencies:
        if getattr(sub.call, "__yibao_permission__", None) is not None or sub.call is current_staff:
            return True
        if getattr(sub.call, "__yibao_resident__", False):  # a resident's own data (the /me pages' sign-in)
            return True
        if guarded(sub):
            return True
    return False


def test_every_route_checks_a_role(tmp_path: Any) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    routes = api_routes(list(app.routes))
    assert len(routes) > 15
    unguarded = [f"{sorted(r.methods)} {r.path}" for r in routes if r.path not in PUBLIC and not guarded(r.dependant)]
    assert unguarded == []


def test_every_guarded_route_refuses_strangers(client: TestClient) -> None:
    for route in api_routes(list(client.app.routes)):  # type: ignore[attr-defined]
        if route.path in PUBLIC:
            continue
        path = route.path.replace("{psn_no}", "330213000000001").replace("{enrollment_id}", "x")
        for method in route.methods:
            answer = client.request(method, path, headers={"Authorization": "Bearer forged"})
            assert answer.status_code == 401, (method, path, answer.text)
            assert "登录" in answer.json()["message"]


def test_sign_in_with_a_wrong_password_is_refused(client: TestClient, session: Session) -> None:
    sign_in(client, session, "clerk")
    answer = client.post("/api/auth/login", json={"username": "t-clerk", "password": "wrong-password"})
    assert (answer.status_code, answer.json()["message"]) == (401, "用户名或密码错误")


def test_readonly_staff_cannot_write(client: TestClient, session: Session) -> None:
    viewer = sign_in(client, session, "readonly")
    answer = client.post("/api/persons", headers=viewer, json={"certno": "x", "name": "y", "local": True})
    assert answer.status_code == 403
    assert "无权" in answer.json()["message"]
    # issue 20: the refusal names the permission in words, not its code (`需要 person:write`)
    assert "“登记和修改参保人”权限" in answer.json()["message"] and "person:write" not in answer.json()["message"]
    assert client.get("/api/persons/towns", headers=viewer).status_code == 200


def test_every_permission_has_words_for_a_refusal() -> None:
    from yibao.staff.service import PERMISSION_LABELS, Permission

    assert set(PERMISSION_LABELS) == set(Permission)


def test_only_admins_create_staff(client: TestClient, session: Session, clerk: dict[str, str]) -> None:
    body = {"username": "new", "display_name": "新", "role": "clerk", "password": "long-enough-1"}
    assert client.post("/api/auth/staff", headers=clerk, json=body).status_code == 403
    admin = sign_in(client, session, "admin")
    assert client.post("/api/auth/staff", headers=admin, json=body).status_code == 201
    assert client.post("/api/auth/login", json={"username": "new", "password": "long-enough-1"}).status_code == 200


def test_sign_out_ends_the_token(client: TestClient, clerk: dict[str, str]) -> None:
    assert client.get("/api/auth/me", headers=clerk).json()["role"] == "clerk"
    assert client.post("/api/auth/logout", headers=clerk).status_code == 204
    assert client.get("/api/auth/me", headers=clerk).status_code == 401


def test_passwords_are_stored_with_a_kdf(session: Session, client: TestClient) -> None:
    from yibao.staff.models import StaffUser

    sign_in(client, session, "auditor")
    stored = session.get(StaffUser, "t-auditor").password_hash  # type: ignore[union-attr]
    assert stored.startswith("scrypt$") and "correct-horse" not in stored


def test_openapi_lists_the_enrollment_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/enrollments", "/api/enrollments/school-imports", "/api/enrollments/renewals",
                 "/api/persons", "/api/contributions/payments", "/api/contributions/reconciliations"):
        assert path in paths
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "无号", "local": True, "town": "xikou"}, "certno"),
    ({"certno": "330283198005170249", "name": "甲", "local": "maybe", "town": "xikou"}, "local"),
    ({"certno": "330283198005170249", "name": "甲", "local": True, "town": "xikou", "extra": 1}, "extra"),
])
def test_malformed_payloads_are_422_naming_the_field(client: TestClient, clerk: dict[str, str],
                                                      body: dict[str, Any], field: str) -> None:
    answer = client.post("/api/persons", headers=clerk, json=body)
    assert answer.status_code == 422
    assert answer.json()["field"] == field
