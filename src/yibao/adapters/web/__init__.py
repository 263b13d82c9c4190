"""Web pages (Jinja2 + htmx, assets vendored into the package: the system works with no internet).

    /console   staff console (经办系统)          /me, /calc, /qa   residents (我的医保, 待遇测算, 政策问答)
    /desk      hospital desk without an HIS      /static           htmx, ECharts, yibao.css
"""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from yibao.adapters.web import (
    apidocs,
    audit,
    certificates,
    clearing,
    collection,
    console,
    desk,
    ecard,
    family,
    maternity,
    office,
    parameters,
    reports,
    resident,
)
from yibao.adapters.web.common import HERE, SignInRequired, check_csrf, error_page, is_page, redirect
from yibao.kit.errors import DomainError


def install(app: FastAPI) -> None:
    app.state.secret_key = app.state.settings.resolved_secret_key()
    app.state.import_jobs = {}
    for router in (console.router, office.router, reports.router, parameters.router, maternity.router, family.router,
                   clearing.router, audit.router, collection.router, desk.router, ecard.router, certificates.router,
                   resident.router):
        app.include_router(router, dependencies=[Depends(check_csrf)])  # every state-changing form
    app.include_router(apidocs.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:  # browsers ask for it whatever the page says: the same icon, not a 404
        return Response((HERE / "static" / "favicon.svg").read_bytes(), media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})

    @app.exception_handler(SignInRequired)
    async def sign_in_first(_request: Request, exc: SignInRequired) -> Response:
        return redirect(exc.location)


__all__ = ["DomainError", "error_page", "install", "is_page"]
