"""Excel downloads of the console's lists (issue 16 item 3 / issue 20): the whole result with the filter applied,
checked cell by cell; numbers masked for a role without person:identity; the download is in the access trail."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.registry.helpers import person
from tests.reports.test_triple import stays
from tests.settlement.test_services import PEOPLES
from tests.web.test_pages import staff_cookie
from yibao.access.models import TrailRecord
from yibao.kit.masks import mask_id
from yibao.policy.editions import Editions
from yibao.settlement.models import Settlement


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


def test_the_settlements_list_filters_pages_and_downloads_as_excel(client: TestClient, session: Session,
                                                                   editions: Editions) -> None:
    rows = stays(session, editions)
    everything = session.scalar(select(func.count()).select_from(Settlement)) or 0
    staff_cookie(client, session, "readonly")
    listed = client.get("/console/settlements")
    assert listed.status_code == 200 and f"共 {everything} 笔" in listed.text
    at_peoples = client.get("/console/settlements", params={"fixmedins_code": PEOPLES, "kind": "cancel"})
    assert "共 1 笔" in at_peoples.text and "结算撤销（冲减）" in at_peoples.text
    march = client.get("/console/settlements", params={"start": "2022-03-01", "end": "2022-03-31"})
    assert "共 1 笔" in march.text and rows[0].setl_id in march.text
    bad = client.get("/console/settlements", params={"start": "2022-02-30", "kind": "refund"})
    assert bad.status_code == 400 and "起始日期格式应为" in bad.text and "请从列表中选择结算类别" in bad.text
    assert client.get("/console/settlements.xlsx", params={"start": "2022-02-30"}).status_code == 400

    standing = client.get("/console/settlements.xlsx", params={"kind": "settle", "status": "valid"})
    book = load_workbook(io.BytesIO(standing.content))
    table = list(book["结算明细"].iter_rows(values_only=True))
    assert table[0][:4] == ("结算编号", "人员编号", "姓名", "机构编码") and len(table) == 1 + len(rows)
    first = next(r for r in table[1:] if r[0] == rows[0].setl_id)
    assert first[1] == rows[0].psn_no and first[5] == "医保结算" and first[6] == "有效"
    assert first[9].date() == rows[0].service_date  # type: ignore[union-attr]
    assert (first[11], first[15]) == (float(rows[0].medfee_sumamt), float(rows[0].fund_pay_sumamt))
    trailed = session.scalar(select(func.count()).select_from(TrailRecord)
                             .where(TrailRecord.what == "导出结算明细", TrailRecord.action == "export"))
    assert trailed == len({r.psn_no for r in rows})
