"""The API documentation pages, /docs (Swagger UI) and /redoc, from assets vendored into the package
(static/docs, with their licences): they work with no internet and with the pages' CSP (no inline script)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

SHELL = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>{head}
<script src="/static/docs/{bundle}" defer></script><script src="/static/docs/docs.js" defer></script>
</head><body><div id="{node}" data-spec="{spec}"></div></body></html>"""


def _page(request: Request, node: str, bundle: str, head: str = "") -> HTMLResponse:
    return HTMLResponse(SHELL.format(title=f"{request.app.title} · API", head=head, bundle=bundle, node=node,
                                     spec=request.app.openapi_url))


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    return _page(request, "swagger-ui", "swagger-ui-bundle.js",
                 '<link rel="stylesheet" href="/static/docs/swagger-ui.css">')


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    return _page(request, "redoc", "redoc.standalone.js")
