"""Excel downloads of the console's lists (issue 16 item 3 / issue 20): the whole result with the filter applied,
checked cell by cell; numbers masked for a role without person:identity; the download is in the access trail."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.registry.helpers import person
from tests.web.test_pages import staff_cookie
from yibao.access.models import TrailRecord
from yibao.kit.masks import mask_id


def rows_of(answer: object) -> list[tuple[object, ...]]:
    book = load_workbook(io.BytesIO(answer.content))  # type: ignore[attr-defined]
    return list(book["参保人员"].iter_rows(values_only=True))


def test_the_person_search_downloads_as_excel_with_its_filter(client: TestClient, session: Session) -> None:
    wanted = [person(session, f"198{n}-01-01", name=f"邬导出{n}") for n in range(3)]
    person(session, "1990-01-01", local=False, name="邬外地")
    session.commit()
    staff_cookie(client, session, "clerk")
    page = client.get("/console/people", params={"q": "邬导出"})
    assert "下载 Excel（按当前筛选）" in page.text
    rows = rows_of(client.get("/console/people.xlsx", params={"q": "邬导出"}))
    assert rows[0] == ("姓名", "身份证号", "人员编号", "性别", "出生日期", "镇（街道）", "联系电话")
    assert sorted(r[0] for r in rows[1:]) == sorted(p.name for p in wanted)  # the filter, not 邬外地
    first = next(r for r in rows[1:] if r[0] == wanted[0].name)
    assert first[1] == wanted[0].certno and first[2] == wanted[0].psn_no and first[5] == "岳林街道"
    trailed = session.scalar(select(func.count()).select_from(TrailRecord)
                             .where(TrailRecord.what == "导出人员查询结果", TrailRecord.action == "export"))
    assert trailed == 3
    staff_cookie(client, session, "readonly")
    masked = rows_of(client.get("/console/people.xlsx", params={"q": "邬导出"}))
    assert {r[1] for r in masked[1:]} == {mask_id(p.certno) for p in wanted}
    empty = client.get("/console/people.xlsx")
    assert empty.status_code == 400


def test_the_institutions_download_as_excel(client: TestClient, session: Session) -> None:
    from yibao.demo import ensure_demo_institutions

    ensure_demo_institutions(session)
    session.commit()
    staff_cookie(client, session, "readonly")
    assert "下载 Excel" in client.get("/console/institutions").text
    book = load_workbook(io.BytesIO(client.get("/console/institutions.xlsx").content))
    rows = {r[0]: r for r in book["定点医药机构"].iter_rows(values_only=True)}
    assert rows["机构编码"][:3] == ("机构编码", "名称", "类型")
    assert rows["H33021300003"][1] == "奉化区锦屏街道社区卫生服务中心" and rows["H33021300003"][7] == "正常"
