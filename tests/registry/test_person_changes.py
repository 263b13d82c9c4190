"""人员信息变更 (issue 20) on both databases: a clerk changes a person's phone and town on the person page, each
change kept with its old and new value, who and why; the history shows phone numbers masked to a role without
person:identity; a bad phone, an unknown town, no reason or nothing to change is refused and changes nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.registry.helpers import person
from tests.web.test_pages import staff_cookie
from tests.web.test_pages import text as words_of
from yibao.errors import InvalidInput
from yibao.people.models import Person, PersonChange
from yibao.people.service import changes_of, update_person


def test_a_change_is_kept_with_its_old_value_and_reason(session: Session) -> None:
    someone = person(session, name="邬变更")
    someone.phone = "13800001111"
    session.flush()
    made = update_person(session, psn_no=someone.psn_no, phone="139 0000 2222", town="xikou", reason="本人申请",
                         actor="clerk1")
    assert sorted((c.field, c.old, c.new) for c in made) == [("phone", "13800001111", "13900002222"),
                                                             ("town", "yuelin", "xikou")]
    assert (someone.phone, someone.town) == ("13900002222", "xikou")
    only_town = update_person(session, psn_no=someone.psn_no, phone=None, town="yuelin", reason="户籍迁回",
                              actor="clerk2")
    assert [(c.field, c.new) for c in only_town] == [("town", "yuelin")] and someone.phone == "13900002222"
    assert sorted(c.changed_by for c in changes_of(session, someone.psn_no)) == ["clerk1", "clerk1", "clerk2"]
    stored = session.execute(text("SELECT new FROM person_changes")).scalars().all()  # as stored, unopened
    assert "13900002222" not in stored  # sealed at rest
    for phone, town, reason, message in (("12345", None, "x", "联系电话应为"), (None, "mars", "x", "所在镇"),
                                         (None, None, "x", "没有需要修改的内容"),
                                         ("13700003333", None, " ", "请填写变更原因")):
        before = session.scalar(select(func.count()).select_from(PersonChange))
        with pytest.raises(InvalidInput, match=message), session.begin_nested():
            update_person(session, psn_no=someone.psn_no, phone=phone, town=town, reason=reason, actor="t")
        assert session.scalar(select(func.count()).select_from(PersonChange)) == before
    assert session.get(Person, someone.psn_no).phone == "13900002222"  # type: ignore[union-attr]


def test_the_person_page_edits_and_shows_the_history(client: TestClient, session: Session) -> None:
    someone = person(session, name="邬页面")
    session.commit()
    staff_cookie(client, session, "readonly")
    assert client.post(f"/console/people/{someone.psn_no}/edit", data={"phone": "13900002222"}).status_code == 403
    staff_cookie(client, session, "clerk")
    refused = client.post(f"/console/people/{someone.psn_no}/edit",
                          data={"action": "edit", "phone": "139", "town": "yuelin", "reason": "本人申请"})
    assert refused.status_code == 400 and "联系电话应为 11 位手机号" in words_of(refused.text)
    done = client.post(f"/console/people/{someone.psn_no}/edit",
                       data={"action": "edit", "phone": "13900002222", "town": "xikou", "reason": "本人申请"})
    assert done.status_code == 200 and "已修改人员信息，原值和变更原因已记录" in words_of(done.text)
    words = words_of(done.text)
    assert "联系电话 — 13900002222 本人申请" in words or "联系电话 — 139****2222 本人申请" in words
    assert "所在镇（街道） 岳林街道 溪口镇 本人申请" in words
    staff_cookie(client, session, "readonly")
    masked = words_of(client.get(f"/console/people/{someone.psn_no}").text)
    assert "139****2222" in masked and "13900002222" not in masked
