"""POST /fsi/api/rsfComIfsService/callService — one endpoint, the transaction chosen by `infno`.

Every answer is HTTP 200 with the national envelope: infcode 0 and the output, or infcode -1 and a Chinese
err_msg naming the field or the rule; nothing is written on -1; no exception ever becomes an HTTP 500.
Writes are idempotent by msgid: the same request again returns the stored answer, a different request
with a used msgid is refused.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import anyio
from fastapi import APIRouter, FastAPI, Request, Response
from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError, OperationalError

from yibao.access import throttle
from yibao.access.trail import Action, Actor, Door, act_as
from yibao.adapters.gateway import catalogues, files, lookups, review  # noqa: F401  (register 1201 … 2001, 9101, 1301 … 3302, 3101, 3102)
from yibao.adapters.gateway.auth import Headers, WrongSecret, headers_of
from yibao.adapters.gateway.calllog import entry, named_person
from yibao.adapters.gateway.envelope import Fields, GatewayInputError, dumps, loads, request_hash, response
from yibao.adapters.gateway.signins import admit
from yibao.adapters.gateway.transactions import GATEWAY_DOOR, TRANSACTIONS, Context, SignInProof, Transaction
from yibao.db import session_scope
from yibao.kit.clock import now
from yibao.kit.errors import DomainError
from yibao.kit.text import text_problem
from yibao.parameters.service import current
from yibao.settlement.models import GatewayMessage
from yibao.statements import Db, DriverUnit, Insert, Read

log = logging.getLogger("yibao.gateway")
NO_HEADERS = Headers()
router = APIRouter(tags=["国家医保接口 gateway"])
PATH = "/fsi/api/rsfComIfsService/callService"


def failure(message: str, admdvs: str) -> str:
    return dumps(response({}, admdvs=admdvs, moment=now(), infcode=-1, err_msg=message))


MSGID_RULE = ("msgid 应为机构编码（12）+ yyyyMMddHHmmss（14）+ 1–4 位序号，共 27–30 位（接口规范：字符型 30）")


def check_msgid(msgid: str, code: str) -> None:
    """The spec's msgid (30 characters) and what clients send that is shorter: a sequence of 1–4 digits."""
    if not (len(code) + 15 <= len(msgid) <= 30 and msgid.startswith(code) and msgid[len(code):].isdigit()):
        raise GatewayInputError(MSGID_RULE, field="msgid")


def called(envelope: Any) -> Transaction | None:
    """The transaction an envelope names, if it names one yibao serves (before anything else is checked)."""
    return TRANSACTIONS.get(national_infno(str(envelope.get("infno")))) if isinstance(envelope, dict) else None


def national_infno(infno: str) -> str:
    """A provincial variant of a national transaction (5 characters: the national code and a letter, e.g.
    2203A) is served as the national one."""
    if len(infno) == 5 and infno[:4] in TRANSACTIONS and infno[4].isalpha():
        return infno[:4]
    return infno


class StoredAnswer(NamedTuple):
    request_hash: str
    response: str | None


_MESSAGE = Read(StoredAnswer, GatewayMessage, GatewayMessage.msgid == bindparam("msgid"))
_MESSAGES = Insert(GatewayMessage)


def replay(session: Any, msgid: str, digest: str) -> str | None:
    """The stored answer (JSON text) to the same request, or a refusal for a different one with this msgid."""
    stored = _MESSAGE.first(session, msgid=msgid)
    if stored is None:
        return None
    if stored.request_hash != digest or stored.response is None:
        raise GatewayInputError(f"msgid {msgid} 已被另一笔交易使用，请使用新的报文编号", field="msgid")
    answer: str = stored.response
    return answer


def parse(body: bytes) -> Any:
    """The envelope, or None if the body is not JSON."""
    try:
        return loads(body)
    except ValueError:
        return None


Units = Callable[[bool, bool], Callable[[], Db]]  # (write?, repository only?) → a unit-of-work factory


def pooled(app: FastAPI) -> Units:
    """Sessions from the app's pool: for writes, or read-only (SQLite: BEGIN DEFERRED)."""
    return lambda write, _repository_only: app.state.sessions if write else app.state.read_sessions


def in_loop(app: FastAPI) -> Units:
    """SQLite in the event loop: units of work on the loop's own connection; a transaction made only of
    repository statements runs without a Session (statements.DriverUnit)."""
    loop = app.state.gateway_connection

    def units(write: bool, repository_only: bool) -> Callable[[], Db]:
        if not repository_only:
            sessions: Callable[[], Db] = loop.sessions(write)
            return sessions
        driver, dialect = loop.driver()
        return partial(DriverUnit, driver, dialect, write=write, writer=app.state.writer_lock)

    return units


def dispatch(app: FastAPI, body: bytes, *, envelope: Any = None, retry: bool = True,
             units: Units | None = None, headers: Headers = NO_HEADERS) -> str:
    """One call of the interface, all or nothing: the answer's JSON text (stored with the msgid for a write)."""
    units = units or pooled(app)
    admdvs = app.state.settings.insuplc_admdvs
    envelope = parse(body) if envelope is None else envelope
    if envelope is None:
        return failure("请求报文不是有效的 JSON", admdvs)
    try:
        env = Fields(envelope, "")
        if envelope.get("infno") is not None and not isinstance(envelope.get("infno"), str):
            raise GatewayInputError("交易编号 infno 应为字符串，如 \"2207\"", field="infno")
        infno = national_infno(env.req("infno", max_len=5))
        if infno not in TRANSACTIONS:
            raise GatewayInputError(f"不支持的交易编号 infno={infno}", field="infno")
        tx = TRANSACTIONS[infno]
        code = env.req("fixmedins_code", max_len=20)
        msgid = env.req("msgid", max_len=64)  # check_msgid says the rule
        check_msgid(msgid, code)
        data = Fields(envelope.get("input"), "input")
        digest = request_hash(infno, envelope.get("input"))
        with session_scope(units(tx.takes_writer, tx.repository_only)) as session:
            institution, proven = admit(session, code, sign_no=env.text("sign_no", required=False, max_len=40),
                                        headers=headers, seen=app.state.gateway_seen, signing_in=infno == "9001")
            if tx.writes:
                stored = replay(session, msgid, digest)
                if stored is not None:
                    return stored
            ctx = Context(session, current(app.state.editions, session), institution, msgid, infno, data,
                          env.text("opter", required=False, max_len=30) or "",  # the spec's 30
                          env.text("cainfo", required=False, max_len=1024),
                          admdvs, SignInProof(proven, env.text("signtype", required=False, max_len=10),
                                              env.text("inf_time", required=False, max_len=30), app.state.gateway_seen,
                                              headers.client),
                          env.text("dev_no", required=False, max_len=100) or None)
            actor = Actor("institution", ctx.actor, Door.GATEWAY)  # in the access trail
            act_as(session, actor)
            output, undo = tx.handler(ctx)
            answer = dumps(response(output, admdvs=admdvs, moment=now()))
            if tx.writes:  # the msgid is claimed with the answer; a concurrent twin fails on its insert
                _MESSAGES.row(session, {"msgid": msgid, "fixmedins_code": code, "infno": infno,
                                        "request_hash": digest, "response": answer,
                                        "undo": undo.to_json() if undo else "{}", "reversed_by": None,
                                        "created_at": now()})
            session.flush()
        # committed: the access trail notes whom the answer showed, and whose visit or settlement was written
        changed = [named_person(envelope)] if tx.writes and infno not in ("9001", "9002") else []
        for action, subjects in ((Action.LOOKUP, ctx.viewed), (Action.CHANGE, [p for p in changed if p])):
            if subjects:
                app.state.trail.saw(actor, action, subjects, f"{infno} {tx.name}")
        return answer
    except DomainError as exc:
        if isinstance(exc, WrongSecret):  # counted in a unit of its own: the call's own is rolled back
            with session_scope(app.state.sessions) as counting:
                throttle.failed(counting, GATEWAY_DOOR, str(envelope.get("fixmedins_code")), headers.client)
        tx_called = called(envelope)
        if tx_called is not None and tx_called.writes:
            twin = concurrent_twin(units, envelope)  # an identical request committed meanwhile?
            if twin is not None:
                return twin
        prefix = f"{tx_called.name}失败：" if tx_called else "交易失败：" if isinstance(envelope, dict) else ""
        return failure(f"{prefix}{exc.message}（错误代码：{exc.code}）", admdvs)
    except IntegrityError:
        twin = concurrent_twin(units, envelope)
        if twin is None and retry:  # a unique clash that is not a twin (e.g. a generated id): try once more
            return dispatch(app, body, envelope=envelope, retry=False, units=units)
        return twin or failure("并发冲突，本次交易未生效，请重试", admdvs)
    except OperationalError as exc:
        if exc.connection_invalidated and retry:  # a pooled connection found dead: nothing was written, again
            log.warning("gateway: database connection lost, retrying once")
            return dispatch(app, body, envelope=envelope, retry=False, units=units)
        log.error("gateway database error: %s", exc)
        return failure("数据库繁忙，本次交易未生效，请稍后重试（写交易请先冲正 2601 原报文）", admdvs)
    except Exception:  # the gateway never answers with HTTP 500
        log.exception("gateway failure")
        return failure("系统内部错误，本次交易未生效，请稍后重试", admdvs)


def concurrent_twin(units: Units, envelope: dict[str, Any]) -> str | None:
    """A write whose msgid was claimed meanwhile by an identical request: that request's answer (None if
    the msgid was not the clash)."""
    msgid = envelope.get("msgid")
    if not isinstance(msgid, str) or text_problem(msgid, 64, one_line=True):
        return None  # a msgid refused as written was never claimed (nor could it be looked up)
    digest = request_hash(national_infno(str(envelope.get("infno"))), envelope.get("input"))
    with session_scope(units(False, True)) as session:
        try:
            return replay(session, msgid, digest)
        except DomainError:
            return None


def note_call(app: FastAPI, envelope: Any, text: str, started: float) -> None:
    """The interface log's line of this call (written later, in a batch, by calllog's thread)."""
    outcome = SUCCESS if text.startswith(SUCCESS_PREFIX) else loads(text.encode())
    app.state.call_log.note(entry(envelope, outcome, time.perf_counter() - started))


SUCCESS_PREFIX = '{"infcode": 0,'  # how dumps(response(...)) begins for a success (infcode is its first key)
SUCCESS = {"infcode": 0, "err_msg": ""}


async def answer(app: FastAPI, body: bytes, headers: Headers = NO_HEADERS) -> str:
    """The answer to one call, its transaction run where the database wants it; noted in the interface log."""
    started = time.perf_counter()
    envelope = parse(body)
    text = await _answer(app, body, envelope, headers)
    note_call(app, envelope, text, started)
    return text


async def _answer(app: FastAPI, body: bytes, envelope: Any, headers: Headers) -> str:
    limiter = app.state.gateway_limiter
    if limiter is not None:  # PostgreSQL: transactions in threads, as many at once as the limiter lets in
        text: str = await anyio.to_thread.run_sync(partial(dispatch, app, body, envelope=envelope, headers=headers),
                                                   limiter=limiter)
        return text
    # SQLite: one writer at a time anyway, so each transaction runs in the event loop itself, short and
    # uninterrupted; a write first waits for the database's writer lock without blocking the loop.
    tx_called = called(envelope)
    writes = tx_called is not None and tx_called.takes_writer
    writer = app.state.writer_lock
    if writer is None:  # sessions given from outside (the tests' one transaction)
        return dispatch(app, body, envelope=envelope, headers=headers)
    if tx_called is not None and tx_called.slow:  # a 9001 secret's scrypt must not stall the loop: a thread
        slow: str = await anyio.to_thread.run_sync(partial(dispatch, app, body, envelope=envelope, headers=headers))
        return slow
    units = in_loop(app)
    if not writes:
        return dispatch(app, body, envelope=envelope, units=units, headers=headers)
    async with app.state.gateway_writer:
        await writer.acquire_for_this_thread()
        try:
            return dispatch(app, body, envelope=envelope, units=units, headers=headers)
        finally:
            writer.forget_for_this_thread()


MAX_BODY = 4 * 1024 * 1024  # bytes: a call with thousands of fee lines fits well within this
JSON_HEADERS = [(b"content-type", b"application/json")]


class GatewayDoor:
    """Answers POST {PATH} straight from ASGI, before FastAPI's middleware, routing and dependency layers
    (about a tenth of the gateway's time under load went there); every other request passes through."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        app = scope["app"]
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_BODY:
                text = failure(f"请求报文超过 {MAX_BODY >> 20} MB，请分批上传", app.state.settings.insuplc_admdvs)
                break
        else:
            try:
                text = await answer(app, bytes(body), headers_of(scope))
            except Exception:  # the gateway never answers with HTTP 500
                log.exception("gateway failure")
                text = failure("系统内部错误，本次交易未生效，请稍后重试", app.state.settings.insuplc_admdvs)
        data = text.encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [*JSON_HEADERS, (b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data})


@router.post(PATH, summary="国家医保接口：按 infno 分发的交易")
async def call_service(request: Request) -> Response:
    """The interface's one endpoint, as the API documentation shows it (in the running app GatewayDoor
    answers it before routing)."""
    return Response(await answer(request.app, await request.body(), headers_of(request.scope)),
                    media_type="application/json")


UPLOAD_PATH, DOWNLOAD_PATH = "/fsi/api/fileupload/upload", "/fsi/api/fileupload/download"


@router.post(UPLOAD_PATH, summary="9101 文件上传（同 callService）")
async def file_upload(request: Request) -> Response:
    return Response(await answer(request.app, await request.body(), headers_of(request.scope)),
                    media_type="application/json")


@router.post(DOWNLOAD_PATH, summary="9102 文件下载：返回文件本身（zip）；出错时为 JSON 报文")
async def file_download(request: Request) -> Response:
    body = await request.body()
    app = request.app
    admdvs = app.state.settings.insuplc_admdvs
    envelope = parse(body)
    try:
        env = Fields(envelope, "")
        code = env.req("fixmedins_code", max_len=20)
        node = Fields(envelope.get("input"), "input").child("fsDownloadIn")
        with session_scope(app.state.read_sessions) as session:
            admit(session, code, sign_no=env.text("sign_no", required=False, max_len=40),
                  headers=headers_of(request.scope), seen=app.state.gateway_seen)
            row = files.own_file(session, code, node.req("file_qury_no", max_len=40))
            content, filename = row.content, row.filename
    except DomainError as exc:
        return Response(failure(f"文件下载失败：{exc.message}（错误代码：{exc.code}）", admdvs),
                        media_type="application/json")
    return Response(content, media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
