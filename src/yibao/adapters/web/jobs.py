"""Long imports run as jobs: the upload is checked and read in the request, the work runs in a worker thread with
its own transaction (all of it or nothing), and the page polls the job's progress (htmx, every 500 ms) until its
report is there. The school batch import and the collection files use it."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from yibao.db import session_scope
from yibao.errors import InvalidInput
from yibao.kit.clock import now
from yibao.kit.errors import DomainError

KEPT_JOBS = 50  # the newest reports stay readable; older finished jobs are forgotten
FAILED = "导入时发生系统错误，未导入任何数据，请联系管理员"

Work = Callable[[Session, Callable[[int, int], None]], Any]  # (session, progress(done, total)) → the report


@dataclass
class Job:
    id: str
    kind: str  # school_import / collection_file
    filename: str
    total: int
    actor: str
    done: int = 0
    finished: bool = False
    report: Any = None
    error: str | None = None
    started: dt.datetime = field(default_factory=now)


def _jobs(request: Request) -> dict[str, Job]:
    """This process's jobs (one `yibao serve` worker by default; with several, a job is polled on the worker that
    runs it only if the client stays on it, so `make run` serves with one worker)."""
    jobs: dict[str, Job] = request.app.state.import_jobs
    return jobs


def _run(app: Any, job: Job, work: Work) -> None:
    def tell(done: int, total: int) -> None:
        job.done, job.total = done, total

    try:
        with session_scope(app.state.sessions) as session:
            job.report = work(session, tell)
        job.done = job.total
    except DomainError as exc:
        job.error = exc.message
    except Exception:
        job.error = FAILED
    finally:
        job.finished = True


def start_job(request: Request, *, kind: str, filename: str, total: int, actor: str, work: Work) -> Job:
    """Start `work` in a worker thread (inline when the app says so: the tests' shared connection)."""
    job = Job(uuid.uuid4().hex, kind, filename, total, actor)
    jobs = _jobs(request)
    for stale in [key for key, old in jobs.items() if old.finished][:-KEPT_JOBS]:
        del jobs[stale]
    jobs[job.id] = job
    if getattr(request.app.state, "inline_jobs", False):
        _run(request.app, job, work)
    else:
        threading.Thread(target=_run, args=(request.app, job, work), daemon=True).start()
    return job


def job_of(request: Request, job_id: str, kind: str) -> Job:
    job = _jobs(request).get(job_id)
    if job is None or job.kind != kind:
        raise InvalidInput("没有这个导入任务（服务重启后任务记录不保留），请重新上传", field="job_id")
    return job
