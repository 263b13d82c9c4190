"""The family mutual-aid network's pages (accounts/family.py, POLICY.md §11): the centre's window (console: a
person's accounts and network, the initiator's requests made at the window, the employee system's daily files)
and the resident's own page (我的医保 → 家庭共济: the same actions for themself). Each action posts, is done in
one service call, and comes back to the page with what it did or why not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from yibao.access.trail import Action
from yibao.accounts import family, historical
from yibao.accounts.errors import NotInNetwork
from yibao.accounts.family import FamilyView
from yibao.adapters.downloads import CSV, download
from yibao.adapters.rest.deps import DbSession
from yibao.adapters.trailing import saw
from yibao.adapters.web.common import Form, Upload, attempt, page, redirect
from yibao.adapters.web.console import ConsoleUser, need
from yibao.adapters.web.resident import Resident
from yibao.errors import InvalidInput
from yibao.kit.clock import now
from yibao.people.service import person_record
from yibao.staff.service import Permission

router = APIRouter(include_in_schema=False)
NOTICES = {
    "created": "家庭共济网已建立，可以添加父母、配偶、子女。", "added": "成员已加入家庭共济网，排在使用顺序最后。",
    "moved": "使用顺序已调整。", "left": "已退出家庭共济网，其共济账户余额已退回本人历年个账。",
    "dissolved": "家庭共济网已解散，各共济账户余额已退回本人历年个账。", "opened": "共济健康账户已开设。",
    "in": "已从历年个账划入共济健康账户。", "out": "已从共济健康账户划回历年个账。", "shown": "余额显示设置已保存。",
    "imported": "历年个账日报已导入。",
}
RELATIONSHIP_CHOICES = [(r.value, family.RELATIONSHIP_LABELS[r]) for r in family.Relationship
                        if r is not family.Relationship.SELF]


def _context(session: Any, view: FamilyView) -> dict[str, Any]:
    return {"view": view, "initiator": person_record(session, view.initiator_psn_no).name
            if view.initiator_psn_no else None, "relationships": RELATIONSHIP_CHOICES, "channels": family.CHANNELS}


def _transfer(session: Any, psn_no: str, form: Form, actor: str) -> str:
    direction = form.get("direction")
    if direction not in ("in", "out"):
        raise InvalidInput("请选择划转方向", field="direction")
    family.transfer(session, psn_no, form.required("amount", "划转金额"), into_mutual=direction == "in", actor=actor)
    return direction


# ---------------------------------------------------------------------------------------------------
# The centre's window


def _console(request: Request, session: Any, user: Any, psn_no: str, *, form: Form | None = None,
             status: int = 200, notice: str = "") -> Response:
    view = family.family_view(session, psn_no, staff=True) if psn_no else None
    if view is not None:
        saw(request, session, Action.VIEW, [psn_no], "家庭共济账户")
    person = person_record(session, psn_no) if psn_no else None
    return page(request, "console/family.html", status=status, user=user, form=form or Form({}, {}),
                notice=NOTICES.get(notice, ""), person=person, today=now().date(),
                **(_context(session, view) if view else {"view": None}))


@router.get("/console/family", response_class=HTMLResponse)
def console_family(request: Request, session: DbSession, user: ConsoleUser, psn_no: str = "",
                   notice: str = "") -> Response:
    need(user, Permission.PERSON_READ)
    return _console(request, session, user, psn_no.strip(), notice=notice)


def _network_of(session: Any, psn_no: str) -> str:
    member = family.live_member(session, psn_no)
    if member is None:
        raise NotInNetwork(name=person_record(session, psn_no).name)
    return member.network_id


def _act(session: Any, psn_no: str, action: str, form: Form, *, actor: str, channel: str,
         new_member: Callable[[Form], str]) -> str:
    """One action of `psn_no` (the initiator for the network's changes, the member for their own account), the
    same for the window and the resident's page; the notice's key."""
    if action == "create":
        family.create_network(session, initiator_psn_no=psn_no, channel=channel, actor=actor)
        return "created"
    if action == "open":
        family.open_mutual(session, psn_no)
        return "opened"
    if action == "transfer":
        return _transfer(session, psn_no, form, actor)
    if action == "shown":
        family.set_shown(session, psn_no, shown=form.get("shown") == "1")
        return "shown"
    network_id = _network_of(session, psn_no)
    if action == "add":
        family.add_member(session, network_id, psn_no=new_member(form), relationship=form.get("relationship"),
                          proof=form.get("proof") or None, by_psn_no=psn_no)
        return "added"
    if action == "move":
        family.move_member(session, network_id, psn_no=form.required("member", "成员"), up=form.get("up") == "1",
                           by_psn_no=psn_no)
        return "moved"
    if action == "leave":
        family.remove_member(session, network_id, psn_no=form.get("member") or psn_no, by_psn_no=psn_no,
                             reason=form.get("reason") or "本人申请")
        return "left"
    if action == "dissolve":
        family.dissolve(session, network_id, by_psn_no=psn_no, actor=actor)
        return "dissolved"
    raise InvalidInput(f"未知的操作 {action}", field="_form")


@router.post("/console/family/{psn_no}/{action}", response_class=HTMLResponse)
async def console_action(request: Request, psn_no: str, action: str, session: DbSession,
                         user: ConsoleUser) -> Response:
    """An action at the window, at the request of `psn_no` (the initiator for the network's changes, the member
    for their own account)."""
    need(user, Permission.FAMILY_WRITE)
    form = await Form.read(request)
    done = attempt(session, form, lambda: _act(session, psn_no, action, form, actor=user.username, channel="window",
                                               new_member=lambda f: f.required("member", "成员的人员编号")))
    if done is None:
        return _console(request, session, user, psn_no, form=form, status=400)
    return redirect(f"/console/family?psn_no={psn_no}&notice={done}")


@router.post("/console/family-daily-files", response_class=HTMLResponse)
async def console_daily_file(request: Request, session: DbSession, user: ConsoleUser,
                             file: UploadFile = File(None)) -> Response:
    need(user, Permission.BATCH_WRITE)
    form = await Form.read(request)
    upload = await Upload.read(file)

    def act() -> historical.HistoricalImport:
        content = upload.chosen("职工医保系统的历年个账日报文件（CSV 或 Excel）")
        return historical.import_daily_file(session, upload.name, content, file_id=form.get("file_id"),
                                            day=form.date("day", "日报日期"), actor=user.username)

    done = attempt(session, form, act, "file")
    if done is None:
        return _console(request, session, user, "", form=form, status=400)
    return page(request, "console/family.html", user=user, form=Form({}, {}), notice=done.summary, person=None,
                view=None, today=now().date())


@router.get("/console/family-daily-uses")
def console_daily_uses(request: Request, session: DbSession, user: ConsoleUser, day: str = "") -> Response:
    need(user, Permission.BATCH_WRITE)
    form = Form({"day": day}, {})
    when = form.date("day", "日期")
    export = historical.export_daily_uses(session, when)
    saw(request, session, Action.EXPORT, export.subjects, "历年个账使用明细")
    return download(export.content, export.filename, CSV)


# ---------------------------------------------------------------------------------------------------
# The resident's own page


def _mine(request: Request, session: Any, person: Any, *, form: Form | None = None, status: int = 200,
          notice: str = "") -> Response:
    view = family.family_view(session, person.psn_no)
    return page(request, "me/family.html", status=status, person=person, form=form or Form({}, {}),
                notice=NOTICES.get(notice, ""), **_context(session, view))


@router.get("/me/family", response_class=HTMLResponse)
def my_family(request: Request, session: DbSession, person: Resident, notice: str = "") -> Response:
    return _mine(request, session, person, notice=notice)


def _relative(session: Any) -> Callable[[Form], str]:
    return lambda form: family.relative_by_identity(session, form.required("certno", "亲属的身份证号"),
                                                    form.required("name", "亲属的姓名"))


@router.post("/me/family/{action}", response_class=HTMLResponse)
async def my_action(request: Request, action: str, session: DbSession, person: Resident) -> Response:
    form = await Form.read(request)
    done = attempt(session, form, lambda: _act(session, person.psn_no, action, form, channel="app",
                                               actor=f"resident:{person.psn_no}", new_member=_relative(session)))
    if done is None:
        return _mine(request, session, person, form=form, status=400)
    return redirect(f"/me/family?notice={done}")
