"""The HTTP application: REST API (OpenAPI at /docs), the national-interface gateway and the web pages.

Errors keep their meaning at the door: a DomainError becomes problem JSON with its status, code and
Chinese message; a malformed payload is 422 with the field named in Chinese; nothing else leaks a trace.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from yibao import __version__
from yibao.access.trail import TrailWriter
from yibao.adapters import web
from yibao.adapters.gateway.api import GatewayDoor
from yibao.adapters.gateway.api import router as gateway_router
from yibao.adapters.gateway.auth import Seen
from yibao.adapters.gateway.calllog import CallLog, engine_sink
from yibao.adapters.guards import DoorGuards
from yibao.adapters.rest.audit import router as audit_router
from yibao.adapters.rest.cards import router as cards_router
from yibao.adapters.rest.clearing import router as clearing_router
from yibao.adapters.rest.collection import router as collection_router
from yibao.adapters.rest.contributions import router as contributions_router
from yibao.adapters.rest.credential import router as credential_router
from yibao.adapters.rest.enrollment import payments as payments_router
from yibao.adapters.rest.enrollment import router as enrollment_router
from yibao.adapters.rest.family import router as family_router
from yibao.adapters.rest.filings import router as filings_router
from yibao.adapters.rest.institutions import router as institutions_router
from yibao.adapters.rest.maternity import router as maternity_router
from yibao.adapters.rest.parameters import router as parameters_router
from yibao.adapters.rest.people import civil as civil_assistance_router
from yibao.adapters.rest.people import router as people_router
from yibao.adapters.rest.settlement import router as settlement_router
from yibao.adapters.rest.staff import router as staff_router
from yibao.config import Settings
from yibao.credential.keys import KeyRing
from yibao.credential.rules import PARAMETERS
from yibao.db import LoopConnection, make_engine, make_sessionmaker, migrate, read_only, writer_lock
from yibao.errors import Conflict, InvalidInput
from yibao.kit import logs
from yibao.kit.background import Backlog
from yibao.kit.clock import now
from yibao.kit.errors import DomainError
from yibao.parameters.service import LiveEditions
from yibao.policy.editions import packaged_editions

log = logging.getLogger("yibao")
logs.install()  # ID and phone numbers masked in every log record (kit/logs.py)

VALIDATION_ZH = {
    "missing": "缺少此项",
    "extra_forbidden": "未知的字段",
    "string_too_short": "不能为空",
    "string_pattern_mismatch": "格式不正确",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "literal_error": "取值不在允许范围内",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "应为对象",
    "dict_type": "应为对象",
}


def problem(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["field"] = field
    return JSONResponse(body, status_code=status)


class DatabaseUnavailable(DomainError):
    code = "database_unavailable"
    http_status = 503


def install_error_handlers(app: FastAPI) -> None:
    def refuse(request: Request, exc: DomainError) -> Response:
        """One refusal, in the door's own form: a Chinese error page for pages, problem JSON for the API."""
        response = web.error_page(request, exc) if web.is_page(request) else problem(
            exc.http_status, exc.code, exc.message, exc.field)
        retry_after = getattr(exc, "retry_after", None)  # a throttled sign-in says how long to wait
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        return refuse(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        error = exc.errors()[0]
        location = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "form"))
        message = VALIDATION_ZH.get(error.get("type", ""), str(error.get("msg", "")).removeprefix("Value error, "))
        if error.get("type") in ("string_too_long", "too_long"):
            unit = "字符" if error["type"] == "string_too_long" else "项"
            message = f"不能超过 {error.get('ctx', {}).get('max_length', '')} 个{unit}"
        if web.is_page(request):
            return web.error_page(request, InvalidInput(f"{location or '请求'}：{message}", field=location or None))
        return problem(422, "invalid_request", f"{location or '请求'}：{message}", location or None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """Unknown paths and wrong methods: a Chinese page for pages, problem JSON elsewhere."""
        known = {404: ("not_found", "没有这个页面或接口，请检查地址"), 405: ("method_not_allowed", "不支持此请求方法")}
        code, message = known.get(exc.status_code, ("http_error", str(exc.detail)))
        if web.is_page(request):
            refusal = DomainError(message, code=code)
            refusal.http_status = exc.status_code
            return web.error_page(request, refusal)
        return problem(exc.status_code, code, message)

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> Response:
        log.warning("integrity error: %s", exc.orig)
        return refuse(request, Conflict("与已有记录冲突（可能是重复提交），未写入任何数据，请刷新后重试"))

    @app.exception_handler(OperationalError)
    async def database_busy(request: Request, exc: OperationalError) -> Response:
        log.error("database error: %s", exc.orig)
        return refuse(request, DatabaseUnavailable("数据库暂时不可用，未写入任何数据，请稍后重试"))


def create_app(settings: Settings | None = None, *, run_migrations: bool = True) -> FastAPI:
    settings = settings or Settings()
    settings.data_keys()  # the keys that seal personal numbers at rest (kit/sealing.py), made at first start
    engine = make_engine(settings.resolved_database_url(), **settings.engine_options())
    if run_migrations:
        migrate(engine)
    app = FastAPI(
        title="yibao 奉化区城乡居民医保",
        version=__version__,
        description="奉化区城乡居民基本医疗保险管理与实时结算系统 API。工作人员先调用 /api/auth/login 取得令牌。",
        docs_url=None, redoc_url=None,  # served by adapters/web/apidocs.py from vendored assets
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    app.state.read_sessions = make_sessionmaker(read_only(engine))
    # the packaged editions with the approved parameter amendments (parameters/service.py), followed within seconds
    app.state.editions = LiveEditions(packaged_editions())
    app.state.ec_keys = KeyRing.in_directory(settings.data_dir, now())  # created at first start (mode 0600)
    app.state.ec_params = PARAMETERS
    # x-tif nonces and signed sign-ins within the window (gateway/auth.py): in the database for PostgreSQL's
    # several workers, in memory for SQLite's one
    app.state.gateway_seen = Seen(shared=not settings.on_sqlite())
    # the interface log and the access trail's views (access/trail.py), written in batches by one background
    # thread, so under load they hold one connection between them, not one each
    backlog = Backlog(name="background-writes")
    app.state.call_log = CallLog(engine_sink(engine), backlog=backlog)
    app.state.trail = TrailWriter.on(engine, backlog=backlog)
    app.router.on_shutdown.append(backlog.close)
    threads = settings.resolved_gateway_threads()
    app.state.gateway_limiter = anyio.CapacityLimiter(threads) if threads else None
    app.state.gateway_writer = anyio.Lock()  # SQLite in the event loop: this worker's writes take turns
    app.state.writer_lock = writer_lock(engine)  # SQLite's one-writer lock (None on PostgreSQL)
    app.state.gateway_connection = LoopConnection(engine)  # SQLite: the event loop's own connection
    install_error_handlers(app)
    app.add_middleware(DoorGuards)  # security headers; no control characters in URLs
    app.add_middleware(GatewayDoor)  # the national interface's hot path, answered before routing (outermost)

    # Starlette tries routes in order: the health probe and the gateway (the hot paths) come before the
    # REST routers and the pages, so they are matched at once.
    @app.get("/api/health", tags=["系统"], summary="健康检查")
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    for router in (gateway_router, staff_router, people_router, enrollment_router, payments_router,
                   contributions_router, institutions_router, filings_router, settlement_router, credential_router,
                   cards_router, parameters_router, maternity_router, civil_assistance_router,
                   family_router, clearing_router, collection_router, audit_router):
        app.include_router(router)
    web.install(app)

    return app
