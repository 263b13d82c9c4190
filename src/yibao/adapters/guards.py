"""What every answer of every door carries, and what no request gets past (issue 19 items 1 and 4):

- security headers: a Content-Security-Policy without inline script, no framing, no sniffing, no
  referrer beyond this site, and HSTS when served over HTTPS (Settings.https or an https request);
- a control character (NUL …) in the path or the query string is a 400 naming the parameter, before any
  route runs (PostgreSQL cannot even compare against such text).

The national interface's endpoint is answered by GatewayDoor outside this (machines, JSON only).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, unquote

from yibao.kit.text import text_problem

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY"),
           (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def url_problem(scope: dict[str, Any]) -> tuple[str, str] | None:
    """(parameter, problem) of the first control character in the path or the query; None if clean."""
    path = unquote(scope.get("raw_path", b"").decode("latin-1") or scope["path"])
    if text_problem(path, one_line=True):
        return "path", "路径含有控制字符（如 NUL），请检查地址"
    query = scope.get("query_string", b"").decode("latin-1")
    if "%" in query or any(ord(c) < 32 for c in query):
        for name, value in parse_qsl(query, keep_blank_values=True):
            problem = text_problem(name, one_line=True) or text_problem(value, one_line=True)
            if problem:
                return name, f"{name}：{problem}"
    return None


class DoorGuards:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = scope["app"].state.settings
        extra = [*HEADERS, HSTS] if settings.https or scope.get("scheme") == "https" else HEADERS

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        refused = url_problem(scope)
        if refused is not None:
            field, message = refused
            body = json.dumps({"code": "invalid_text", "message": message, "field": field},
                              ensure_ascii=False).encode()
            await with_headers({"type": "http.response.start", "status": 400,
                                "headers": [(b"content-type", b"application/json"),
                                            (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, with_headers)
