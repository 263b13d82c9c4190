"""Each page flow in a real Chromium (Debian's, through Playwright) against `yibao serve` on demo data,
asserting what a person sees. A failing test saves a screenshot (tests/web/conftest.py)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from playwright.sync_api import expect

from yibao.demo import DEMO_HIS_SECRET, DEMO_RESIDENT_CERTNO, DEMO_RESIDENT_NAME, DEMO_RESIDENT_PASSWORD
from yibao.kit.idcard import make_id_number

TODAY = dt.date.today()
YEAR = TODAY.year
# enrolling today: next year once its collection period has opened (S22 §1, Sep–Dec), else this year (late)
ENROLL_YEAR = YEAR + 1 if TODAY.month >= 9 else YEAR
MASKED = DEMO_RESIDENT_CERTNO[:6] + "********" + DEMO_RESIDENT_CERTNO[-4:]


def staff_login(page: Any, username: str, password: str) -> None:
    page.goto("/console")
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("您好")


def open_demo_resident(page: Any) -> None:
    page.goto("/console/people")
    page.get_by_label("姓名、身份证号、手机号或人员编号").fill(DEMO_RESIDENT_NAME)
    page.get_by_role("link", name=DEMO_RESIDENT_NAME).click()  # results arrive as one types (htmx)
    expect(page.get_by_role("heading", level=1)).to_contain_text(DEMO_RESIDENT_NAME)


def test_clerk_signs_in_by_keyboard_and_sees_a_persons_year(page: Any) -> None:
    page.goto("/console/login")
    page.keyboard.type("clerk")  # the user name field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type("yibao-clerk")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("您好，经办员（演示）")
    expect(page.get_by_role("navigation", name="主菜单")).to_contain_text("学校批量参保")
    open_demo_resident(page)
    expect(page.get_by_test_id("certno")).to_have_text(DEMO_RESIDENT_CERTNO)  # a clerk sees the full number
    expect(page.get_by_role("heading", name=f"{YEAR} 年度累计")).to_be_visible()
    enrollments = page.locator("section", has=page.get_by_role("heading", name="参保登记"))
    expect(enrollments).to_contain_text("成年居民")
    expect(enrollments).to_contain_text(f"{YEAR}-01-01 至 {YEAR}-12-31")
    expect(page.locator("section", has=page.get_by_role("heading", name="结算记录"))).to_contain_text("普通住院")


def test_readonly_staff_see_masked_ids_and_no_write_menus(page: Any) -> None:
    staff_login(page, "viewer", "yibao-view")
    expect(page.get_by_role("navigation", name="主菜单")).not_to_contain_text("零星报销")
    open_demo_resident(page)
    expect(page.get_by_test_id("certno")).to_have_text(MASKED)
    expect(page.get_by_role("button", name="确认收款")).to_have_count(0)


def test_clerk_registers_enrolls_and_takes_a_payment(page: Any) -> None:
    staff_login(page, "clerk", "yibao-clerk")
    page.get_by_role("link", name="新参保人").first.click()
    certno = make_id_number("330283", dt.date(1979, 3, 8), 321, "2")
    page.get_by_label("姓名").fill("蒋新芳")
    page.get_by_label("身份证号").fill(certno[:-1] + ("0" if certno[-1] != "0" else "1"))  # a wrong check digit
    page.get_by_label("户籍所在镇（街道）").select_option(label="溪口镇")
    page.get_by_role("button", name="登记").click()
    expect(page.locator("#e-certno")).to_contain_text("校验位不正确")
    page.get_by_label("身份证号").fill(certno)
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_role("status")).to_have_text("已登记参保人。")
    page.get_by_text("办理参保登记").click()
    page.get_by_label("参保年度").fill(str(ENROLL_YEAR))
    page.get_by_label("登记日期").fill(TODAY.isoformat())
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_role("status")).to_contain_text("已办理参保登记")
    payment = page.locator("form", has=page.get_by_role("heading", name="收取个人缴费"))
    expect(payment.get_by_label("缴费单")).to_contain_text("应缴 750.00 元")  # adult, S22 §1
    payment.get_by_label("缴费渠道").select_option(label="委托银行柜面现金")
    payment.get_by_label("缴费日期").fill(TODAY.isoformat())
    payment.get_by_label("缴费流水号").fill(f"CASH-{certno}")
    payment.get_by_label("委托银行（现金或代扣）").select_option(label="中国银行")
    payment.get_by_role("button", name="确认收款").click()
    expect(page.get_by_role("status")).to_have_text("已缴费，参保登记生效。")
    expect(page.get_by_test_id("payments")).to_contain_text(f"CASH-{certno}")
    expect(page.locator("section", has=page.get_by_role("heading", name="参保登记"))).to_contain_text("有效")


def test_school_import_shows_progress_and_each_bad_row(page: Any, tmp_path: Path) -> None:
    good = make_id_number("330283", dt.date(2014, 9, 1), 77, "1")
    roster = tmp_path / "roster.csv"
    roster.write_text("身份证号,姓名,学校,班级\n"
                      f"{good},毛小宇,奉化区实验小学,三(2)班\n"
                      f"{good[:-1]}{'0' if good[-1] != '0' else '1'},竺小雨,奉化区实验小学,三(2)班\n"
                      f"{make_id_number('330283', dt.date(2014, 5, 5), 78, '2')},,奉化区实验小学,三(2)班\n",
                      encoding="utf-8")
    staff_login(page, "clerk", "yibao-clerk")
    page.goto("/console/school-import")
    page.get_by_label("名单文件").set_input_files(str(roster))
    page.get_by_label("参保年度").fill(str(ENROLL_YEAR))
    page.get_by_label("登记日期").fill(TODAY.isoformat())
    page.get_by_label("只导入正确的行").check()
    page.get_by_role("button", name="上传并导入").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("共 3 行，正确 1 行，已导入 1 人，有问题 2 行")
    errors = page.get_by_test_id("import-errors")
    expect(errors.locator("tbody tr")).to_have_count(2)
    expect(errors).to_contain_text("校验位")
    expect(errors).to_contain_text("姓名")
    with page.expect_download() as fetched:
        page.get_by_test_id("import-errors-export").click()
    fetched.value.save_as(tmp_path / "errors.xlsx")
    sheet = load_workbook(tmp_path / "errors.xlsx")["错误行"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("行号", "学生", "问题") and [r[0] for r in rows[1:]] == [3, 4]
    assert rows[1][1] == "竺小雨，三(2)班" and "校验位" in str(rows[1][2]) and "姓名" in str(rows[2][2])


def test_a_tax_file_imports_as_a_job_with_its_report(page: Any, tmp_path: Path) -> None:
    """The collection page hands the file to a worker thread; the job page polls until the report is there."""
    daily = tmp_path / "tax.csv"
    daily.write_text("缴费单号,身份证号,姓名,缴费渠道,银行,缴费金额,缴费日期,税务流水号\n"
                     f"NOPE1,{make_id_number('330283', dt.date(1980, 1, 1), 5, '1')},某甲,微信,,750.00,"
                     f"{TODAY.isoformat()},TX-B-1\n"
                     f"NOPE2,{make_id_number('330283', dt.date(1980, 1, 2), 6, '2')},某乙,支付宝,,750.00,"
                     f"{TODAY.isoformat()},TX-B-2\n", encoding="utf-8")
    staff_login(page, "clerk", "yibao-clerk")
    page.goto("/console/collection")
    page.get_by_label("文件类型").select_option(label="税务每日缴费文件")
    page.get_by_label("文件编号").fill("TAX-BROWSER-1")
    page.get_by_label("文件（CSV 或 Excel）").set_input_files(str(daily))
    page.get_by_role("button", name="导入").click()
    expect(page).to_have_url(re.compile(r"/console/collection/imports/\w+"))
    expect(page.get_by_test_id("report")).to_contain_text("2 行；缴费成功 0 笔，合计 0.00 元；错误 2 行")
    expect(page.get_by_test_id("file-errors").locator("tbody tr")).to_have_count(2)
    page.get_by_role("link", name="查看该文件").click()
    expect(page.get_by_test_id("file-summary")).to_contain_text("错误 2 行")


def test_admin_suspends_an_institution_and_a_missing_date_is_refused(page: Any) -> None:
    staff_login(page, "admin", "yibao-admin")
    questions: list[str] = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))  # issue 20: it asks
    page.goto("/console/institutions")
    row = page.locator("#inst-P33021300001")
    row.get_by_label("奉化区惠民大药房 协议状态").select_option(label="暂停结算")
    row.get_by_role("button", name="保存").click()
    expect(page.locator("#inst-P33021300001")).to_contain_text("暂停结算须填写暂停至哪一天")
    assert questions and "不能刷卡结算" in questions[0]
    row = page.locator("#inst-P33021300001")
    row.get_by_label("奉化区惠民大药房 协议状态").select_option(label="暂停结算")
    row.get_by_label("暂停至").fill((TODAY + dt.timedelta(days=90)).isoformat())
    row.get_by_role("button", name="保存").click()
    expect(page.locator("#inst-P33021300001")).to_contain_text("须填写原因")  # and it records why
    row = page.locator("#inst-P33021300001")
    row.get_by_label("奉化区惠民大药房 协议状态").select_option(label="暂停结算")
    row.get_by_label("暂停至").fill((TODAY + dt.timedelta(days=90)).isoformat())
    row.get_by_label("原因").fill("奉医保稽〔2026〕3号")
    row.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("notice")).to_have_text("已暂停该机构的医保结算。")
    expect(page.get_by_test_id("status-P33021300001")).to_have_text(
        f"暂停结算（至 {TODAY + dt.timedelta(days=90)}）原因：奉医保稽〔2026〕3号")
    row = page.locator("#inst-P33021300001")
    row.get_by_label("奉化区惠民大药房 协议状态").select_option(label="正常")
    row.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("status-P33021300001")).to_have_text("正常")


def test_clerk_files_a_cross_region_filing_and_reimburses_by_hand(page: Any) -> None:
    staff_login(page, "clerk", "yibao-clerk")
    open_demo_resident(page)
    psn_no = page.get_by_role("heading", level=1).locator("small").inner_text()
    page.goto("/console/filings")
    filing = page.locator("form", has=page.get_by_role("heading", name="异地就医备案"))
    filing.get_by_label("人员编号").fill(psn_no)
    filing.get_by_label("备案原因").select_option(label="异地长期居住人员")
    filing.get_by_label("就医地点").fill("上海市")
    filing.get_by_label("有效期起").fill(f"{YEAR}-01-01")
    filing.get_by_role("button", name="登记异地就医备案").click()
    expect(page.get_by_role("status")).to_have_text("备案已登记。")
    expect(page.get_by_role("table")).to_contain_text("异地就医：异地长期居住人员，上海市")

    page.goto(f"/console/reimbursements?psn_no={psn_no}")
    page.get_by_label("待遇类别").select_option(label="住院")
    page.get_by_label("医疗日期（住院为出院日期）").fill(TODAY.isoformat())
    page.get_by_label("医院等级").select_option(value="tertiary_a")
    page.get_by_label("就医地区").select_option(label="外省")
    page.get_by_label("就医机构").fill("复旦大学附属华山医院")
    page.get_by_label("第 1 行金额（元）").fill("not-money")
    page.get_by_role("button", name="计算并报销").click()
    expect(page.locator("#e-amount_0")).to_contain_text("应为金额")
    page.get_by_label("第 1 行金额（元）").fill("20000")
    page.get_by_role("button", name="计算并报销").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("奉化区城乡居民基本医疗保险零星报销单")
    expect(page.get_by_role("list").filter(has_text="起付线")).to_be_visible()
    expect(page.get_by_text("依据：S22").first).to_be_visible()
    page.get_by_role("link", name="结算单", exact=True).click()
    expect(page.get_by_role("heading", name="计算过程")).to_be_visible()


def test_resident_on_a_phone_sees_status_settlements_and_a_receipt(phone: Any) -> None:
    phone.goto("/me")
    phone.get_by_label("身份证号").fill(DEMO_RESIDENT_CERTNO)
    phone.get_by_label("密码").fill("not-the-password")
    phone.get_by_role("button", name="登录").click()
    expect(phone.locator("#e-password")).to_contain_text("身份证号或密码不正确")
    phone.get_by_label("密码").fill(DEMO_RESIDENT_PASSWORD)
    phone.get_by_role("button", name="登录").click()
    expect(phone.get_by_test_id("status")).to_contain_text("保障中")
    expect(phone.get_by_test_id("status")).to_contain_text(f"{YEAR}-01-01 至 {YEAR}-12-31")
    expect(phone.get_by_test_id(f"category-{YEAR}")).to_have_text("成年居民")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    phone.get_by_role("link", name="查看").first.click()
    title = re.compile(r"^奉化区城乡居民基本医疗保险.*(结算|报销)单$")
    expect(phone.get_by_role("heading", level=1)).to_have_text(title)
    expect(phone.get_by_text(DEMO_RESIDENT_NAME)).to_be_visible()
    expect(phone.get_by_role("heading", name="计算过程")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_calculator_explains_the_split_in_plain_words(page: Any) -> None:
    page.goto("/calc")
    page.get_by_label("参保人员类别").select_option(label="成年居民")
    page.get_by_label("就医类型").select_option(label="住院")
    page.get_by_label("医院等级").select_option(value="tertiary_b")
    page.get_by_label("金额（元）").first.fill("")
    page.get_by_role("button", name="测算").click()
    expect(page.locator("#e-amount_0")).to_have_text("请至少填写一行费用金额")
    page.get_by_label("金额（元）").first.fill("10000")
    page.get_by_role("button", name="测算").click()
    # S22 §4: adult, 三乙 deductible 1,200, then 70% → 6,160.00 from the fund
    expect(page.get_by_test_id("calc-fund")).to_have_text("6160.00")
    expect(page.get_by_test_id("calc-person")).to_have_text("3840.00")
    steps = page.locator("ol.trace li")
    expect(steps.filter(has_text="起付线").first).to_be_visible()
    expect(page.get_by_text("依据：S22").first).to_be_visible()


def test_policy_questions_filter_as_one_types_and_the_hotlines_are_listed(page: Any) -> None:
    page.goto("/qa")
    page.get_by_label("搜索问题").fill("补办")
    expect(page.get_by_test_id("qa-count")).to_have_text("“补办”：找到 1 条")
    expect(page.get_by_text("漏保了怎么办")).to_be_visible()
    expect(page.get_by_text("来源：《奉化区城乡居民医疗保险服务指南》第1部分")).to_be_visible()
    hotlines = page.locator("#hotlines")
    expect(hotlines.get_by_role("row", name="溪口镇")).to_contain_text("88873985")
    expect(hotlines.get_by_role("row", name="区医保中心")).to_contain_text("88689400")


def _desk_sign_in(page: Any) -> None:
    page.goto("/desk")
    page.get_by_label("定点机构编码").fill("H33021300003")
    page.get_by_label("接口密钥").fill(DEMO_HIS_SECRET)
    page.get_by_label("收费员姓名或工号").fill("收费员甲")
    page.get_by_role("button", name="签到").click()
    expect(page.get_by_role("banner")).to_contain_text("锦屏街道社区卫生服务中心")


def test_desk_settles_prints_and_cancels_a_visit(page: Any) -> None:
    _desk_sign_in(page)
    page.get_by_label("身份证号（社保卡上的公民身份号码）").fill(DEMO_RESIDENT_CERTNO)
    page.get_by_role("button", name="查询参保并登记就诊").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{DEMO_RESIDENT_NAME} · 普通门诊")
    for item, count, price in (("XJ01CAA040A001010101445 阿莫西林胶囊", "2", "18.50"),
                               ("001101000010000 普通门诊诊查费", "1", "10")):
        page.get_by_label("收费项目（输入名称或编码选择）").fill(item)
        page.get_by_label("数量").fill(count)
        page.get_by_label("单价（元）").fill(price)
        page.get_by_role("button", name="添加").click()
    expect(page.get_by_role("table")).to_contain_text("阿莫西林胶囊")
    page.get_by_role("button", name="预结算").click()
    # community outpatient, 甲类 47.00: the fund pays 60% (S22 §4) = 28.20
    expect(page.get_by_test_id("fund-total")).to_have_text("28.20")
    expect(page.get_by_test_id("person-total")).to_have_text("18.80")
    page.get_by_test_id("tendered").fill("20")  # issue 20: cash received, change given
    page.get_by_role("button", name="确认结算").click()
    expect(page.get_by_test_id("visit-status")).to_have_text("已结算")
    expect(page.get_by_test_id("change")).to_contain_text("找零 1.20 元")
    with page.context.expect_page() as printed:
        page.get_by_role("link", name="打印结算单").click()
    receipt = printed.value
    expect(receipt.get_by_role("heading", level=1)).to_have_text("奉化区城乡居民基本医疗保险医保结算单")
    expect(receipt.get_by_role("row", name="统筹基金支付")).to_contain_text("28.20")
    page.get_by_label("撤销原因").fill("收费项目录错")  # issue 20: the cashier's cancel records why
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="撤销结算").click()
    expect(page.get_by_test_id("visit-status")).to_have_text("就诊中")


def test_dashboard_draws_its_charts_beside_the_s22_ratio(page: Any) -> None:
    staff_login(page, "auditor", "yibao-audit")
    page.get_by_role("link", name="统计").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{YEAR} 年度统计")
    for chart in ("category", "town", "fund", "ratio"):
        expect(page.locator(f"#chart-{chart} canvas")).to_have_count(1)
    expect(page.get_by_test_id("inpatient-ratio")).to_have_text(re.compile(r"^\d{1,3}\.\d{2}%$"))
    expect(page.get_by_text("2022年度报道：77.89%")).to_be_visible()
    expect(page.get_by_test_id("insured-total")).not_to_have_text("0")
    page.get_by_role("link", name="三重保障").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("“三重保障”运行情况")
    expect(page.locator("#chart-ratios canvas")).to_have_count(1)
    expect(page.get_by_test_id("triple").locator('tr[data-key="inpatient_ratio"]')).to_contain_text("77.89%")
    expect(page.get_by_test_id("triple").locator('tr[data-key="medfee"]')).not_to_contain_text("0.00 元")
    page.get_by_role("link", name="基金支付").first.click()
    expect(page.locator("#chart-ranking canvas")).to_have_count(1)
    expect(page.get_by_test_id("by-institution").locator("tbody tr").first).to_contain_text("%")
    page.get_by_role("link", name="参保缴费").first.click()  # the demo's year: registered, paid, by town
    expect(page.locator("#chart-progress canvas")).to_have_count(1)
    expect(page.get_by_test_id("by-town").locator("tbody tr").first).to_contain_text("%")
    page.get_by_role("link", name="基金收支").first.click()
    expect(page.locator("#chart-fund canvas")).to_have_count(1)
    expect(page.get_by_test_id("fund-months").locator("tbody tr")).to_have_count(13)


UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim()
                && !el.getAttribute('title'))
  .map(el => el.outerHTML.slice(0, 80))"""


def test_every_page_labels_its_controls_and_has_one_heading(page: Any) -> None:
    """What a keyboard or screen-reader user needs on each page: a label for every control, one h1, the
    page language, a skip link to the content."""
    staff_login(page, "admin", "yibao-admin")
    open_demo_resident(page)
    person = page.url
    pages = ["/", "/calc", "/qa", "/console", "/console/people", person, "/console/people/new",
             "/console/school-import", "/console/institutions", "/console/filings", "/console/reimbursements",
             "/console/dashboard", "/console/reports/triple", "/console/reports/payments", "/console/reports/insured",
             "/console/reports/fund", "/console/settlements", "/console/collection", "/console/collection/reconcile",
             "/verify", "/desk/login", "/me/login"]
    for path in pages:
        page.goto(path)
        assert page.evaluate(UNLABELLED) == [], path
        expect(page.locator("h1")).to_have_count(1)
        assert page.get_attribute("html", "lang") == "zh-CN"
    page.goto("/console/institutions")  # a page without an autofocus field: Tab first reaches the skip link
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="跳到正文")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()


def _scan(page: Any, code: str) -> None:
    """A scanner types the code's text into the focused field and presses Enter."""
    page.goto("/desk")
    field = page.get_by_label("扫描医保码（医保电子凭证）")
    expect(field).to_be_focused()
    page.keyboard.insert_text(code)
    page.keyboard.press("Enter")


def test_resident_activates_shows_the_code_and_the_desk_settles_it(phone: Any, page: Any) -> None:
    """Issue 13: activation on the demo channel → the dynamic code with its countdown → scanned at the desk →
    settled and printed as by e-credential; then the mother's code shown by her bound daughter, settled too."""
    phone.goto("/me/login")
    phone.get_by_label("身份证号").fill(DEMO_RESIDENT_CERTNO)
    phone.get_by_label("密码").fill(DEMO_RESIDENT_PASSWORD)
    phone.get_by_role("button", name="登录").click()
    phone.get_by_role("link", name="我的医保码").click()
    expect(phone.get_by_test_id("demo-activate")).to_contain_text("演示渠道")
    phone.get_by_role("button", name="激活（演示）").click()
    expect(phone.locator(".error-summary")).to_contain_text("请勾选确认已完成人脸核验")
    phone.get_by_label("我确认本人已完成人脸核验（演示）").check()
    phone.get_by_role("button", name="激活（演示）").click()
    expect(phone.get_by_role("status")).to_contain_text("医保电子凭证已激活")
    expect(phone.locator("[data-testid=ecard-code] svg")).to_be_visible()
    seconds = phone.get_by_test_id("ecard-seconds")
    first = int(seconds.inner_text())
    expect(seconds).not_to_have_text(str(first))  # it counts down
    shown = phone.get_by_test_id("ecard-text").input_value()
    # close to expiry, the page fetches a fresh code by itself
    phone.evaluate("""() => { document.querySelector('[data-testid=ecard-code]').dataset.seconds = '11';
                              document.dispatchEvent(new Event('DOMContentLoaded')); }""")
    expect(phone.get_by_test_id("ecard-text")).not_to_have_value(shown)
    code = phone.get_by_test_id("ecard-text").input_value()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    _desk_sign_in(page)
    _scan(page, code)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{DEMO_RESIDENT_NAME} · 普通门诊")
    page.get_by_label("收费项目（输入名称或编码选择）").fill("001101000010000 普通门诊诊查费")
    page.get_by_label("数量").fill("1")
    page.get_by_label("单价（元）").fill("10")
    page.get_by_role("button", name="添加").click()
    page.get_by_role("button", name="预结算").click()
    page.get_by_role("button", name="确认结算").click()
    expect(page.get_by_test_id("visit-status")).to_have_text("已结算")
    with page.context.expect_page() as printed:
        page.get_by_role("link", name="打印结算单").click()
    expect(printed.value.get_by_test_id("credential")).to_have_text("医保电子凭证")
    _scan(page, code)  # the same code again: a screenshot is useless
    expect(page.locator(".error-summary")).to_contain_text("已被扫码使用过")

    phone.goto("/me/ecard")
    phone.get_by_role("link", name="出示医保码").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("李秀英的医保码")
    mothers = phone.get_by_test_id("ecard-text").input_value()
    _scan(page, mothers)
    expect(page.get_by_role("heading", level=1)).to_have_text("李秀英 · 普通门诊")


def test_no_page_breaks_the_content_security_policy_and_the_api_docs_work_offline(page: Any) -> None:
    """Issue 19 items 4 and 9: the pages run under a CSP without inline script (htmx, ECharts, the e-code's
    countdown, the confirmations), and /docs and /redoc draw from the vendored assets (no CDN)."""
    violations: list[str] = []
    outside: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    staff_login(page, "auditor", "yibao-audit")
    page.get_by_role("link", name="统计").first.click()
    expect(page.locator("#chart-fund canvas")).to_have_count(1)
    open_demo_resident(page)
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("yibao")
    expect(page.get_by_text("/api/persons").first).to_be_visible()
    page.goto("/redoc")
    expect(page.locator("h1").first).to_contain_text("yibao")
    assert violations == [] and outside == []


def test_the_family_network_on_the_phone_and_at_the_window(phone: Any, page: Any) -> None:
    """Issue 14: 王丽华 sees her husband's network on her phone — the members in the order of use, the balances
    of those who agreed to show them; at the window the clerk reorders it at the initiator's request."""
    phone.goto("/me/login")
    phone.get_by_label("身份证号").fill(DEMO_RESIDENT_CERTNO)
    phone.get_by_label("密码").fill(DEMO_RESIDENT_PASSWORD)
    phone.get_by_role("button", name="登录").click()
    phone.get_by_role("link", name="家庭共济").click()
    expect(phone.get_by_role("heading", level=2)).to_contain_text("发起人：陈国强")
    members = phone.get_by_test_id("family-members")
    expect(members.locator("tbody tr")).to_have_count(4)
    expect(members.locator("tbody tr").nth(1)).to_contain_text(DEMO_RESIDENT_NAME)
    expect(phone.get_by_test_id("historical")).to_contain_text("无")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    staff_login(page, "clerk", "yibao-clerk")
    page.goto("/console/people")
    page.get_by_label("姓名、身份证号、手机号或人员编号").fill("陈国强")
    page.get_by_role("link", name="陈国强").click()
    page.get_by_role("link", name="历年个账、共济账户与家庭共济网").click()
    expect(page.get_by_test_id("initiator")).to_have_text("陈国强")
    rows = page.get_by_test_id("family-members").locator("tbody tr")
    expect(rows.nth(3)).to_contain_text("陈浩")
    rows.nth(3).get_by_role("button", name="上移").click()
    expect(page.get_by_role("status")).to_contain_text("使用顺序已调整")
    expect(page.get_by_test_id("family-members").locator("tbody tr").nth(2)).to_contain_text("陈浩")
    page.get_by_label("金额（元）").fill("99999")
    page.get_by_role("button", name="划转").click()
    expect(page.locator("p.field-error")).to_contain_text("不足 99999.00 元")
    page.goto("/console/family")
    assert page.evaluate(UNLABELLED) == []


def test_the_auditor_finds_a_planted_violation_and_the_administrator_decides(page: Any) -> None:
    if dt.date(YEAR, 2, 20) > TODAY:
        return  # the demo plants its violations in February (demo.plant_violations)
    staff_login(page, "auditor", "yibao-audit")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="医保稽查").click()
    page.get_by_role("button", name=re.compile("运行全部")).click()
    expect(page.get_by_role("status")).to_contain_text("已扫描")
    page.get_by_label("规则").select_option("RD02")
    page.get_by_role("button", name="查看").click()
    findings = page.get_by_test_id("findings")
    expect(findings).to_contain_text("限 0–14岁 使用")
    page.get_by_label("选择疑点 RD02").first.check()
    page.get_by_label("案件名称").fill("锦屏社区限儿童药品用于成人")
    page.get_by_role("button", name="立案").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("锦屏社区限儿童药品用于成人")
    expect(page.get_by_test_id("case-status")).to_have_text("调查中")
    page.get_by_label("文件").set_input_files({"name": "处方笺.pdf", "mimeType": "application/pdf",
                                              "buffer": b"%PDF-1.4\n%%EOF\n"})
    page.get_by_label("说明（可选，如 处方笺扫描件）").fill("处方笺扫描件")
    page.get_by_role("button", name="上传").click()
    expect(page.get_by_role("status")).to_contain_text("证据文件已上传")
    expect(page.get_by_test_id("document-link")).to_have_text("处方笺.pdf")
    page.get_by_label("第 1 项处理").select_option("points")
    page.get_by_label("第 1 项分数").fill("2")
    page.get_by_label("第 1 项医师编码").fill("DH3302130000301")
    page.get_by_role("button", name="提交审批").click()
    expect(page.get_by_role("status")).to_contain_text("待管理员审批")
    expect(page.get_by_test_id("proposal")).to_contain_text("扣减医保医师积分 2 分")
    expect(page.get_by_role("button", name="批准并作出决定")).to_have_count(0)  # the auditor does not decide
    case = page.url.split("?")[0]
    page.get_by_role("button", name="退出").click()
    staff_login(page, "admin", "yibao-admin")
    page.goto(case)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="批准并作出决定").click()
    expect(page.get_by_test_id("case-status")).to_have_text("已决定")
    expect(page.get_by_test_id("notice")).to_contain_text("社会保险法")
    expect(page.get_by_test_id("sanctions")).to_contain_text("扣减医保医师积分")
