"""The pages over the real app (HTTP, both databases): who may see what, forms that refuse bad input at the
field and write nothing, and figures that are the services' own. The browser tests (test_browser.py) drive
the same pages in Chromium on demo data."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.dbfixtures import STAFF_PASSWORD, sign_in
from tests.gateway.his import insured
from yibao.demo import DEMO_HIS_SECRET, ensure_demo_institutions
from yibao.enrollment.models import Enrollment
from yibao.kit.clock import now
from yibao.kit.idcard import make_id_number
from yibao.kit.money import fmt_yuan
from yibao.people.service import open_resident_account
from yibao.reports.service import dashboard
from yibao.settlement.models import Settlement
from yibao.staff.models import StaffUser
from yibao.staff.service import create_staff

YEAR = now().year
PUBLIC_PAGES = {"/", "/calc", "/qa", "/verify", "/console/login", "/me/login", "/desk/login", "/docs", "/redoc"}
LOGINS = {"/console": "/console/login", "/me": "/me/login", "/desk": "/desk/login"}


def staff_cookie(client: TestClient, session: Session, role: str) -> None:
    username = f"p-{role}"
    if session.get(StaffUser, username) is None:
        create_staff(session, username=username, display_name=f"测试{role}", role=role, password=STAFF_PASSWORD)
        session.commit()
    answer = client.post("/console/login", data={"username": username, "password": STAFF_PASSWORD, "next": "/console"},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text


def text(html: str) -> str:
    """The visible text of a page, tags dropped and space collapsed (what a person reads)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def all_routes(routes: list[Any]) -> list[APIRoute]:
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(all_routes(route.original_router.routes))
    return found


def page_routes(client: TestClient) -> list[APIRoute]:
    return [r for r in all_routes(list(client.app.routes))  # type: ignore[attr-defined]
            if not r.path.startswith(("/api/", "/fsi/", "/ec/"))]  # machine doors answer in their formats


def test_every_page_sends_strangers_to_its_sign_in(client: TestClient) -> None:
    checked = 0
    for route in page_routes(client):
        if route.path in PUBLIC_PAGES | {"/favicon.ico"} or route.path.endswith(("/login", "/logout")):
            continue
        path = re.sub(r"\{[a-z_]+\}", "x1", route.path)
        for method in route.methods:
            answer = client.request(method, path, follow_redirects=False)
            login = next(target for area, target in LOGINS.items() if path.startswith(area))
            assert answer.status_code == 303, (method, path, answer.status_code)
            assert answer.headers["location"].startswith(login + "?next="), (method, path)
            checked += 1
    assert checked > 25


def test_public_pages_answer_in_chinese(client: TestClient) -> None:
    for path in sorted(PUBLIC_PAGES):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert 'lang="zh-CN"' in answer.text and "奉化" in answer.text


def test_the_landing_page_is_the_residents(client: TestClient) -> None:
    """Issue 20: the staff's and the desk's entry cards sat among the residents' on the landing page."""
    home = client.get("/").text
    cards = re.findall(r'class="card link-card" href="([^"]+)"', home)
    assert cards == ["/me", "/calc", "/qa"]
    assert 'class="hint staff-links"' in home and 'href="/console"' in home and 'href="/desk"' in home


def test_the_icon_is_there(client: TestClient) -> None:
    """Issue 20: favicon.ico was a 404 on every page."""
    for path in ("/favicon.ico", "/static/favicon.svg"):
        answer = client.get(path)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("image/svg+xml"), path
    assert 'rel="icon"' in client.get("/").text


def test_console_sign_in_refuses_a_wrong_password_at_the_field(client: TestClient, session: Session) -> None:
    staff_cookie(client, session, "clerk")
    client.cookies.clear()
    answer = client.post("/console/login", data={"username": "p-clerk", "password": "wrong", "next": "/console"})
    assert answer.status_code == 401
    assert 'id="e-password"' in answer.text and "用户名或密码错误" in answer.text
    assert "yibao_staff" not in answer.cookies


def test_sign_in_never_redirects_off_site(client: TestClient, session: Session) -> None:
    create_staff(session, username="p-x", display_name="x", role="clerk", password=STAFF_PASSWORD)
    session.commit()
    answer = client.post("/console/login", data={"username": "p-x", "password": STAFF_PASSWORD,
                                                  "next": "//evil.example/"}, follow_redirects=False)
    assert answer.headers["location"] == "/console"


@pytest.mark.parametrize(("role", "masked"), [("readonly", True), ("clerk", False), ("auditor", False)])
def test_id_numbers_are_masked_for_roles_that_do_not_need_them(client: TestClient, session: Session, role: str,
                                                               masked: bool) -> None:
    person = insured(session, year=YEAR, name="邬掩码")
    staff_cookie(client, session, role)
    found = client.get("/console/people", params={"q": "邬掩码"}).text
    shown = client.get(f"/console/people/{person.psn_no}").text
    for html in (found, shown):
        assert (person.certno in html) is not masked
        assert (person.certno[:6] + "********" + person.certno[-4:] in html) is masked


def test_readonly_staff_get_a_chinese_refusal_for_a_write_page(client: TestClient, session: Session) -> None:
    staff_cookie(client, session, "readonly")
    answer = client.get("/console/reimbursements")
    assert answer.status_code == 403
    assert "无权" in text(answer.text)


def test_enrollment_with_a_bad_date_is_refused_at_the_field_and_writes_nothing(client: TestClient,
                                                                              session: Session) -> None:
    person = insured(session, year=YEAR - 1, name="邬登记")
    staff_cookie(client, session, "clerk")
    before = session.scalar(select(func.count()).select_from(Enrollment))
    answer = client.post(f"/console/people/{person.psn_no}/enroll",
                         data={"action": "enroll", "year": str(YEAR), "registration_date": "2026-13-40",
                               "channel": "window"})
    assert answer.status_code == 400
    assert 'id="e-enroll-registration_date"' in answer.text
    assert "登记日期格式应为 年-月-日" in answer.text
    assert session.scalar(select(func.count()).select_from(Enrollment)) == before


def test_payment_of_the_wrong_amount_is_refused_and_the_bill_stays_unpaid(client: TestClient,
                                                                         session: Session) -> None:
    from yibao.contributions.service import bills_of
    from yibao.enrollment.service import EnrollmentRequest, enroll_person
    from yibao.people.service import register_person
    from yibao.policy.editions import packaged_editions

    person = register_person(session, certno=make_id_number("330283", dt.date(1980, 1, 1), 123, "1"), name="邬缴费",
                             local=True, town="xikou")
    enroll_person(session, packaged_editions(), EnrollmentRequest(person.psn_no, YEAR, dt.date(YEAR - 1, 10, 10),
                                                                  "window"), actor="t")
    session.commit()
    bill = bills_of(session, person.psn_no)[0]
    staff_cookie(client, session, "clerk")
    form = {"action": "pay", "bill_no": bill.bill_no, "channel": "cash", "amount": "1.00",
            "paid_on": f"{YEAR - 1}-10-12", "reference": "CASH-1", "bank": "boc"}
    refused = client.post(f"/console/people/{person.psn_no}/pay", data=form)
    assert refused.status_code == 400 and "与应缴" in refused.text
    session.expire_all()
    assert bills_of(session, person.psn_no)[0].status == "unpaid"
    paid = client.post(f"/console/people/{person.psn_no}/pay", data={**form, "amount": str(bill.amount_due)})
    assert "已缴费，参保登记生效" in paid.text
    session.expire_all()
    assert bills_of(session, person.psn_no)[0].status == "paid"


def test_resident_sees_only_their_own_receipts(client: TestClient, session: Session,
                                               his: Any) -> None:
    mine, other = insured(session, year=YEAR, name="邬本人"), insured(session, year=YEAR, name="邬他人")
    desk = his("H33021300003")
    day = now().date().isoformat()
    for person in (mine, other):
        visit = desk.register(person.psn_no, day)
        desk.fees("2204", person.psn_no, visit, day, [("001101000010000", "1", "10")])
        desk.ok("2207", desk.settle_data(person.psn_no, visit, Decimal("10.00"), "11"))
    open_resident_account(session, psn_no=mine.psn_no, password="my-secret-1", actor="t")
    session.commit()
    assert client.post("/me/login", data={"certno": mine.certno, "password": "wrong-pass"}).status_code == 401
    assert client.post("/me/login", data={"certno": mine.certno, "password": "my-secret-1"}).status_code == 200
    home = text(client.get("/me").text)
    assert "保障中" in home and "成年居民" in home
    own = session.scalar(select(Settlement.setl_id).where(Settlement.psn_no == mine.psn_no))
    theirs = session.scalar(select(Settlement.setl_id).where(Settlement.psn_no == other.psn_no))
    assert "结算单" in client.get(f"/me/settlements/{own}").text
    assert client.get(f"/me/settlements/{own}/receipt.pdf").content.startswith(b"%PDF")
    refused = client.get(f"/me/settlements/{theirs}")
    assert refused.status_code == 404 and "没有结算" in text(refused.text)


def test_resident_settlements_newest_first_without_reversal_rows_and_a_way_back(
        client: TestClient, session: Session, his: Any) -> None:
    """Issue 20: the resident's settlements were unsorted and listed the negative reversal row of a
    cancellation; the receipt page had no way back (and its print link was a javascript: URL the CSP blocks)."""
    person = insured(session, year=YEAR, name="邬排序")
    desk = his("H33021300003")
    setl_ids = []
    for day in (dt.date(YEAR, 1, 5), dt.date(YEAR, 1, 9), dt.date(YEAR, 1, 7)):
        visit = desk.register(person.psn_no, day.isoformat())
        desk.fees("2204", person.psn_no, visit, day.isoformat(), [("001101000010000", "1", "10")])
        setl = desk.ok("2207", desk.settle_data(person.psn_no, visit, Decimal("10.00"), "11"))["setlinfo"]
        setl_ids.append((day, setl["setl_id"], visit))
    _, cancelled_id, cancelled_visit = setl_ids[0]
    desk.ok("2208", {"data": {"setl_id": cancelled_id, "mdtrt_id": cancelled_visit, "psn_no": person.psn_no}})
    open_resident_account(session, psn_no=person.psn_no, password="my-secret-1", actor="t")
    session.commit()
    client.post("/me/login", data={"certno": person.certno, "password": "my-secret-1"})
    home = client.get("/me").text
    listed = re.findall(r'href="/me/settlements/(\w+)"', home)
    assert listed == [setl_ids[1][1], setl_ids[2][1], cancelled_id]  # 1-09, 1-07, 1-05: no reversal row
    assert "（已撤销）" in text(home) and "（撤销）" not in text(home)
    receipt = client.get(f"/me/settlements/{setl_ids[1][1]}").text
    assert 'href="/me"' in receipt and f'href="/me/settlements/{setl_ids[1][1]}/receipt.pdf"' in receipt
    assert "javascript:" not in receipt and "data-print" in receipt
    # issue 20: a resident's receipt in plain Chinese — the clause in words, no parameter keys or project codes
    shown = text(receipt)
    assert "依据：奉化区" in shown and "年度政策" in shown and "普通门诊诊查费" in shown  # the itemised fee list
    for internal in ("columns.", "ASSUMPTION", "edition", "S18 §", "S22 §", "yibao", "POLICY.md", "技术明细"):
        assert internal not in shown, internal
    assert re.search(r'data-testid="capital">[零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整]+<', receipt)  # 大写
    assert "医保经办机构（盖章）" in shown and "参保人（或家属）签字" in shown


def test_search_counts_pages_and_takes_wildcards_as_characters(client: TestClient, session: Session) -> None:
    """Issue 20: search was cut at 50 rows without a word, and `_` or `%` in it were LIKE wildcards."""
    from yibao.people.service import register_person

    for n in range(55):
        register_person(session, certno=make_id_number("330283", dt.date(1990, 1, 1), 200 + n, "1"),
                        name=f"竺页{n:02d}", local=True, town="xikou")
    register_person(session, certno=make_id_number("330283", dt.date(1990, 1, 2), 300, "1"), name="竺_甲",
                    local=True, town="xikou")
    register_person(session, certno=make_id_number("330283", dt.date(1990, 1, 2), 301, "1"), name="竺乙",
                    local=True, town="xikou")
    session.commit()
    staff_cookie(client, session, "clerk")
    first = client.get("/console/people", params={"q": "竺页"}).text
    assert "共 55 人，第 1 / 2 页" in text(first) and first.count('href="/console/people/3302') == 50
    assert "page_no=2" in first and 'rel="next"' in first
    second = client.get("/console/people", params={"q": "竺页", "page_no": "2"}).text
    assert "第 2 / 2 页" in text(second) and second.count('href="/console/people/3302') == 5
    wild = client.get("/console/people", params={"q": "竺_"}).text
    assert "竺_甲" in wild and "竺乙" not in wild and "共 1 人" in text(wild)
    assert "page_no=2" in first and "q=%E7%AB%BA%E9%A1%B5" in first  # the next page keeps the query
    # filters (issue 20): by town, and this year's enrollment status — nobody of these registered this year
    xikou = client.get("/console/people", params={"q": "竺", "town": "xikou", "status": "none"}).text
    assert "共 57 人" in text(xikou)
    elsewhere = client.get("/console/people", params={"q": "竺", "town": "yuelin"}).text
    assert "没有找到“竺”" in text(elsewhere)
    enrolled = client.get("/console/people", params={"q": "竺", "status": "active"}).text
    assert "没有找到“竺”" in text(enrolled)
    bad = client.get("/console/people", params={"status": "nonsense"}).text
    assert "参保状态只能是" in text(bad) and 'id="e-status"' in bad
    clerk = sign_in(client, session, "clerk")
    api = client.get("/api/persons", headers=clerk, params={"q": "竺页", "limit": 10, "offset": 50})
    assert api.headers["X-Total-Count"] == "55" and len(api.json()) == 5


def test_calculator_pays_the_s22_adult_inpatient_rate(client: TestClient) -> None:
    """S22 §4: adult, 三乙 deductible 1200, 70% to 40,000 at tertiary: 10,000 of 甲 → 6,160.00 (POLICY.md §5)."""
    answer = client.post("/calc", data={"category": "adult", "benefit": "inpatient", "level": "tertiary_b",
                                        "service_date": f"{YEAR}-06-01", "amount_0": "10000", "class_0": "A"})
    assert answer.status_code == 200, text(answer.text)
    assert re.search(r'data-testid="calc-fund">6160\.00<', answer.text)
    assert re.search(r'data-testid="calc-person">3840\.00<', answer.text)
    assert "起付线" in answer.text and "S22" in answer.text


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"amount_0": ""}, "amount_0", "请至少填写一行费用金额"),
    ({"amount_0": "12.345"}, "amount_0", "最多两位小数"),
    ({"amount_0": "abc"}, "amount_0", "应为金额"),
    ({"service_date": "yesterday"}, "service_date", "格式应为"),
    ({"category": "martian"}, "category", "请选择参保人员类别"),
])
def test_calculator_refuses_bad_input_at_the_field(client: TestClient, form: dict[str, str], field: str,
                                                   message: str) -> None:
    data = {"category": "adult", "benefit": "outpatient", "level": "community", "service_date": f"{YEAR}-03-01",
            "amount_0": "100", "class_0": "A", **form}
    answer = client.post("/calc", data=data)
    assert answer.status_code == 400
    assert f'id="e-{field}"' in answer.text and message in answer.text


def test_policy_questions_are_searchable(client: TestClient) -> None:
    found = text(client.get("/qa", params={"q": "大病"}).text)
    assert "患大病个人负担很重" in found and "来源：《奉化区城乡居民医疗保险服务指南》第5部分" in found
    assert "S18" not in found and "§" not in found  # issue 20: the documents by their titles, not the codes
    assert "如何办理备案" not in found
    everything = client.get("/qa").text
    assert re.search(r"[^\x00-\x7f] [^\x00-\x7f]", everything.split("<main")[-1].split("</main>")[0]) is None
    assert "萧王庙街道 88837153" in found  # the hotlines are always there (S22 §8)
    assert "找到 0 条" in text(client.get("/qa", params={"q": "火星"}).text)


def test_desk_refuses_another_institutions_visit(client: TestClient, session: Session, his: Any) -> None:
    person = insured(session, year=YEAR, name="邬别家")
    visit = his("H33021300001").register(person.psn_no, now().date().isoformat())
    ensure_demo_institutions(session)
    client.post("/desk/login", data={"fixmedins_code": "H33021300003", "secret": DEMO_HIS_SECRET, "opter": "收费员甲"})
    answer = client.get(f"/desk/visits/{visit}")
    assert answer.status_code == 404 and "不属于本机构" in text(answer.text)


def test_desk_sign_in_needs_the_institution_secret(client: TestClient, session: Session) -> None:
    ensure_demo_institutions(session)
    session.commit()
    answer = client.post("/desk/login", data={"fixmedins_code": "H33021300003", "secret": "guess", "opter": "甲"})
    assert answer.status_code == 401 and "接口密钥不正确" in answer.text


def test_desk_settles_cancels_and_the_ledger_agrees(client: TestClient, session: Session) -> None:
    ensure_demo_institutions(session)
    person = insured(session, year=YEAR, name="邬窗口")
    client.post("/desk/login", data={"fixmedins_code": "H33021300003", "secret": DEMO_HIS_SECRET, "opter": "甲"})
    opened = client.post("/desk/visits", data={"cert_type": "02", "certno": person.certno, "med_type": "11"},
                         follow_redirects=False)
    assert opened.status_code == 303, text(opened.text)
    visit = opened.headers["location"]
    client.post(f"{visit}/fees", data={"code": "001101000010000 普通门诊诊查费", "cnt": "1", "pric": "10"})
    client.post(f"{visit}/fees", data={"code": "XJ01CAA040A001010101445", "cnt": "2", "pric": "20"})
    preview = client.post(f"{visit}/presettle")
    assert session.scalar(select(func.count()).select_from(Settlement)) == 0  # pre-settlement writes nothing
    # community outpatient: 60% of in-scope 50.00 (S22 §4) = 30.00
    assert re.search(r'data-testid="fund-total">30\.00<', preview.text), text(preview.text)
    stale = client.post(f"{visit}/settle", data={"medfee_sumamt": "40.00"})
    assert stale.status_code == 400 and "不符" in stale.text
    assert 'data-code="total_mismatch"' in stale.text  # the page carries the refusal's code
    settled = client.post(f"{visit}/settle", data={"medfee_sumamt": "50.00"})
    setl_id = re.search(r'data-testid="setl-id">([^<]+)<', settled.text).group(1)  # type: ignore[union-attr]
    assert "打印结算单" in settled.text
    assert client.get(f"/desk/settlements/{setl_id}/receipt.pdf").content.startswith(b"%PDF")
    unsaid = client.post(f"/desk/settlements/{setl_id}/cancel")
    assert unsaid.status_code == 400 and "请填写撤销原因" in text(unsaid.text)  # issue 20: a reason is recorded
    cancelled = client.post(f"/desk/settlements/{setl_id}/cancel", data={"reason": "收费项目录错"})
    assert "就诊中" in text(cancelled.text)
    reversal = session.scalars(select(Settlement).where(Settlement.original_setl_id == setl_id)).one()
    assert reversal.reason == "收费项目录错"
    from yibao.accounts.ledger import ledger_balances, unbalanced_entries

    assert unbalanced_entries(session) == []
    assert all(amount == 0 for amount in ledger_balances(session).values())


def test_dashboard_shows_the_reports_figures_beside_s22(client: TestClient, session: Session, his: Any) -> None:
    person = insured(session, year=YEAR, name="邬统计")
    hospital = his("H33021300001")
    admitted = max(now().date() - dt.timedelta(days=5), dt.date(YEAR, 1, 1)).isoformat()  # within this year
    visit = hospital.admit(person.psn_no, admitted)
    hospital.fees("2301", person.psn_no, visit, admitted, [("003315000010000", "1", "3500"),
                                                            ("001103000010000", "4", "45")])
    hospital.ok("2402", {"dscginfo": {"mdtrt_id": visit, "psn_no": person.psn_no, "insutype": "390",
                                      "endtime": f"{admitted} 18:00:00",
                                      "dise_codg": "K80", "dise_name": "胆囊结石", "dscg_way": "1"}})
    hospital.ok("2304", hospital.settle_data(person.psn_no, visit, Decimal("3680.00"), "21"))
    staff_cookie(client, session, "auditor")
    html = client.get("/console/dashboard").text
    figures = dashboard(session, YEAR)
    assert figures.inpatient_ratio is not None
    assert f'data-testid="inpatient-ratio">{figures.inpatient_ratio}%<' in html
    assert "2022年度报道：77.89%" in html and "POLICY.md" not in html  # issue 20: no project codes on screen
    assert fmt_yuan(figures.fund_totals["fund_pay_sumamt"]) in html
    # issue 20: in the collection period the registered count is not only those who paid
    from tests.registry.helpers import person as registered
    from tests.registry.test_enrollment import enroll

    enroll(session, registered(session, name="邬未缴").psn_no, year=YEAR, registered=f"{YEAR - 1}-10-15")
    session.commit()
    later = dashboard(session, YEAR)
    assert (later.insured_total, later.effective_total) == (figures.insured_total + 1, figures.effective_total)
    shown = text(client.get("/console/dashboard").text)
    assert f"其中已缴费或全额资助 {later.effective_total:,} 人" in shown and later.effective_total >= 1


def test_a_malformed_query_gets_the_chinese_error_page(client: TestClient, session: Session) -> None:
    staff_cookie(client, session, "auditor")
    answer = client.get("/console/dashboard", params={"year": "twenty"})
    assert answer.status_code == 400
    assert "text/html" in answer.headers["content-type"] and "应为整数" in text(answer.text)
    before_any_edition = client.get("/console/dashboard", params={"year": "-5"})
    assert before_any_edition.status_code == 400 and "数值太小" in text(before_any_edition.text)


def test_signing_out_ends_the_staff_session(client: TestClient, session: Session) -> None:
    staff_cookie(client, session, "clerk")
    token = client.cookies.get("yibao_staff")
    assert client.get("/console", follow_redirects=False).status_code == 200
    client.post("/console/logout")
    client.cookies.set("yibao_staff", str(token))  # even a copied cookie no longer works
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_a_signed_in_resident_is_estimated_as_themselves(client: TestClient, session: Session) -> None:
    person = insured(session, year=YEAR, name="邬测算")
    open_resident_account(session, psn_no=person.psn_no, password="my-secret-2", actor="t")
    session.commit()
    client.post("/me/login", data={"certno": person.certno, "password": "my-secret-2"})
    form = text(client.get("/calc").text)
    assert "按 邬测算 的参保类别" in form and "参保人员类别" not in form
    refused = client.post("/calc", data={"benefit": "special_disease", "level": "community",
                                         "service_date": f"{YEAR}-03-01", "amount_0": "100", "class_0": "A"})
    assert refused.status_code == 400 and "门诊特病备案" in text(refused.text)  # no filing, no special disease


def test_clerk_registers_a_certificate_and_cancels_an_enrollment_with_a_refund(client: TestClient,
                                                                              session: Session) -> None:
    from yibao.contributions.service import bills_of

    person = insured(session, year=YEAR, name="邬注销")
    staff_cookie(client, session, "clerk")
    refused = client.post(f"/console/people/{person.psn_no}/certificates",
                          data={"action": "certificate", "kind": "minimum_living", "cert_no": "",
                                "valid_from": f"{YEAR}-01-01"})
    assert refused.status_code == 400 and 'id="e-cert-cert_no"' in refused.text
    added = client.post(f"/console/people/{person.psn_no}/certificates",
                        data={"action": "certificate", "kind": "minimum_living", "cert_no": "DB-001",
                              "valid_from": f"{YEAR}-01-01"})
    assert "低保证 DB-001" in text(added.text)
    enrollment = session.scalar(select(Enrollment).where(Enrollment.psn_no == person.psn_no))
    assert enrollment is not None
    no_reason = client.post(f"/console/people/{person.psn_no}/cancel",
                            data={"action": "cancel", "enrollment_id": enrollment.id, "reason": " "})
    assert no_reason.status_code == 400 and "请填写注销原因" in no_reason.text
    done = client.post(f"/console/people/{person.psn_no}/cancel",
                       data={"action": "cancel", "enrollment_id": enrollment.id, "reason": "已参加职工医保"})
    assert "已注销参保登记" in done.text
    session.expire_all()
    assert bills_of(session, person.psn_no)[0].status == "refunded"


def test_staff_cancel_a_manual_reimbursement_but_not_a_hospitals_settlement(client: TestClient, session: Session,
                                                                           his: Any) -> None:
    person = insured(session, year=YEAR, name="邬报销")
    staff_cookie(client, session, "clerk")
    made = client.post("/console/reimbursements", data={
        "psn_no": person.psn_no, "benefit": "outpatient", "service_date": f"{YEAR}-02-02", "level": "community",
        "region": "ningbo", "place": "某社区卫生服务站", "amount_0": "100", "class_0": "A"}, follow_redirects=False)
    assert made.status_code == 303
    setl_id = made.headers["location"].rsplit("/", 1)[1]
    unexplained = client.post(f"/console/settlements/{setl_id}/cancel")
    assert unexplained.status_code == 400 and "撤销原因" in text(unexplained.text)  # issue 20: it records why
    cancelled = client.post(f"/console/settlements/{setl_id}/cancel", data={"reason": "票据重复报销"})
    assert "结算撤销（冲减）" in text(cancelled.text) and setl_id in cancelled.text
    assert "零星报销已撤销" in text(cancelled.text) and "撤销原因：票据重复报销" in text(cancelled.text)
    void = client.get(f"/console/settlements/{setl_id}/receipt").text
    assert "原因：票据重复报销" in void and "某社区卫生服务站（零星报销）" in void
    from yibao.settlement.settle import read_accumulators

    assert read_accumulators(session, person.psn_no, YEAR).outpatient == 0
    desk = his("H33021300003")
    day = now().date().isoformat()
    visit = desk.register(person.psn_no, day)
    desk.fees("2204", person.psn_no, visit, day, [("001101000010000", "1", "10")])
    hospital = desk.ok("2207", desk.settle_data(person.psn_no, visit, Decimal("10.00"), "11"))["setlinfo"]["setl_id"]
    refused = client.post(f"/console/settlements/{hospital}/cancel")
    assert refused.status_code == 400 and "由医院撤销" in text(refused.text)


def test_special_disease_filing_is_made_and_revoked_from_the_filings_page(client: TestClient,
                                                                          session: Session) -> None:
    from yibao.filings.service import special_disease_filings_on

    ensure_demo_institutions(session)
    person = insured(session, year=YEAR, name="邬特病")
    staff_cookie(client, session, "clerk")
    form = {"kind": "special_disease", "psn_no": person.psn_no, "disease_code": "M07803",
            "fixmedins_code": "H33021300001", "begndate": f"{YEAR}-01-01", "enddate": f"{YEAR - 1}-01-01"}
    backwards = client.post("/console/filings", data=form)
    assert backwards.status_code == 400 and 'id="e-sd-enddate"' in backwards.text
    made = client.post("/console/filings", data={**form, "enddate": ""})
    assert "备案已登记" in made.text and "慢性肾功能不全（血透治疗）" in made.text  # the list's name
    (filing,) = special_disease_filings_on(session, person.psn_no, now().date())
    unexplained = client.post(f"/console/filings/{person.psn_no}/{filing.id}/revoke")
    assert unexplained.status_code == 400 and "原因" in text(unexplained.text)  # issue 20: it records why
    page = client.get("/console/filings").text
    assert 'data-confirm="确定撤销' in page and 'name="reason" required' in page
    revoked = client.post(f"/console/filings/{person.psn_no}/{filing.id}/revoke", data={"reason": "诊断有误"})
    assert "门诊特病备案已撤销" in revoked.text
    from yibao.filings.models import SpecialDiseaseFiling

    session.expire_all()
    stored = session.get(SpecialDiseaseFiling, (person.psn_no, filing.id))
    assert stored is not None and (stored.revoked_reason, stored.revoked_by) == ("诊断有误", "p-clerk")
    session.expire_all()
    assert special_disease_filings_on(session, person.psn_no, now().date()) == []
    cross = client.post("/console/filings", data={"kind": "cross_region", "psn_no": person.psn_no,
                                                  "reason": "long_term_residence", "place": "上海市",
                                                  "begndate": f"{YEAR}-01-01"})
    assert "备案已登记" in cross.text
    everything = sheet(client.get("/console/filings.xlsx"))
    assert everything[0][:3] == ("备案类别", "人员编号", "备案内容") and len(everything) == 3
    revoked_only = sheet(client.get("/console/filings.xlsx", params={"kind": "special_disease", "status": "revoked"}))
    assert [row[:2] for row in revoked_only[1:]] == [("门诊特殊病种", person.psn_no)]
    assert revoked_only[1][6] == "已撤销" and revoked_only[1][8] == "诊断有误"
    active_cross = sheet(client.get("/console/filings.xlsx", params={"kind": "cross_region", "status": "active"}))
    assert [row[2] for row in active_cross[1:]] == ["异地长期居住人员：上海市"]
    assert client.get("/console/filings.xlsx", params={"kind": "nonsense"}).status_code == 400


def sheet(answer: Any) -> list[tuple[object, ...]]:
    """The rows of a downloaded workbook's sheet."""
    assert answer.status_code == 200, answer.text[:300]
    book = load_workbook(io.BytesIO(answer.content), read_only=True).active
    assert book is not None
    return list(book.iter_rows(values_only=True))  # type: ignore[union-attr]


def test_an_unknown_page_answers_in_chinese_and_an_unknown_api_path_in_json(client: TestClient) -> None:
    page = client.get("/console/no-such-page")
    assert page.status_code == 404 and "没有这个页面" in text(page.text)
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404 and api.json()["code"] == "not_found"


def test_a_resident_changes_the_initial_password(client: TestClient, session: Session) -> None:
    person = insured(session, year=YEAR, name="邬改密")
    open_resident_account(session, psn_no=person.psn_no, password="initial-pass", actor="t")
    session.commit()
    client.post("/me/login", data={"certno": person.certno, "password": "initial-pass"})
    mismatch = client.post("/me/password", data={"current": "initial-pass", "new": "brand-new-1", "confirm": "x"})
    assert mismatch.status_code == 400 and "两次输入的新密码不一致" in mismatch.text
    assert "initial-pass" not in mismatch.text  # a password is never echoed back into the page
    wrong = client.post("/me/password", data={"current": "guess", "new": "brand-new-1", "confirm": "brand-new-1"})
    assert wrong.status_code == 400 and "原密码不正确" in wrong.text
    done = client.post("/me/password", data={"current": "initial-pass", "new": "brand-new-1",
                                              "confirm": "brand-new-1"})
    assert "密码已修改" in done.text
    client.post("/me/logout")
    assert client.post("/me/login", data={"certno": person.certno, "password": "initial-pass"}).status_code == 401
    assert client.post("/me/login", data={"certno": person.certno, "password": "brand-new-1"}).status_code == 200


def test_a_choice_not_in_the_list_is_refused_at_its_field(client: TestClient) -> None:
    answer = client.post("/calc", data={"category": "adult", "benefit": "dental", "level": "community",
                                        "service_date": f"{YEAR}-03-01", "amount_0": "100", "class_0": "A"})
    assert answer.status_code == 400 and 'id="e-benefit"' in answer.text and "请从列表中选择就医类型" in answer.text


@pytest.mark.parametrize(("form", "message"), [
    ({"cnt": "NaN", "pric": "10"}, "数量应为大于 0 的数"),
    ({"cnt": "1", "pric": "Infinity"}, "单价应为大于 0 的数"),
    ({"cnt": "1", "pric": "abc"}, "单价应为大于 0 的数"),
    ({"cnt": "0", "pric": "10"}, "数量应为大于 0 的数"),
])
def test_desk_refuses_a_bad_count_or_price_at_the_field(client: TestClient, session: Session,
                                                         form: dict[str, str], message: str) -> None:
    ensure_demo_institutions(session)
    person = insured(session, year=YEAR, name="邬数量")
    client.post("/desk/login", data={"fixmedins_code": "H33021300003", "secret": DEMO_HIS_SECRET, "opter": "甲"})
    visit = client.post("/desk/visits", data={"cert_type": "02", "certno": person.certno, "med_type": "11"},
                        follow_redirects=False).headers["location"]
    answer = client.post(f"{visit}/fees", data={"code": "001101000010000", **form})
    assert answer.status_code == 400 and message in text(answer.text)
    assert "还没有费用" in text(answer.text)  # nothing written
    garbled = client.post(f"{visit}/settle", data={"medfee_sumamt": "ten yuan"})
    assert garbled.status_code == 400 and "医疗费总额应为金额" in text(garbled.text)
