"""A synthetic Fenghua population for demos and benchmarks (`yibao demo`).

Persons with valid ID numbers, a realistic mix of ages (so categories), towns, subsidy certificates and
students (a few with non-local registration); last year's enrollment paid through the documented
channels; then the annual renewal into this year and this year's payments, most of them made. Staff
demo accounts for each role. Everything goes through the same services and policy core as real work.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from yibao.accounts.family import add_member, create_network, open_mutual, set_shown, transfer
from yibao.accounts.historical import import_daily_file
from yibao.audit.models import SwapListEntry
from yibao.contributions import service as contributions
from yibao.contributions.models import BankAgreement, Bill
from yibao.credential import service as credentials
from yibao.credential.demo_channel import activate_on_demo_channel
from yibao.credential.rules import PARAMETERS
from yibao.db import digest_of
from yibao.enrollment import service as enrollment
from yibao.enrollment.models import Enrollment
from yibao.enrollment.payments import collect_contributions, pay_contribution
from yibao.institutions import national_lists
from yibao.institutions.models import CatalogueItem, Device, Institution, InstitutionRecord
from yibao.institutions.service import (
    add_catalogue_item,
    add_doctor,
    institution_record,
    register_device,
    register_institution,
    set_selfpay,
)
from yibao.kit.clock import now
from yibao.kit.errors import DomainError
from yibao.kit.idcard import make_id_number
from yibao.kit.ids import new_id
from yibao.kit.money import round_money
from yibao.people.cards import issue_card
from yibao.people.models import Certificate, Person
from yibao.people.service import PSN_PREFIX, open_resident_account, record_death, register_person, reserve_numbers
from yibao.people.towns import TOWNS
from yibao.policy.chain import FeeLine, ItemClass
from yibao.policy.editions import Benefit, Editions, Level
from yibao.settlement.fees import FeeIn, upload_fees
from yibao.settlement.manual import manual_reimbursement
from yibao.settlement.models import Settlement
from yibao.settlement.settle import settle_visit
from yibao.settlement.visits import discharge_visit, open_visit, visit_record
from yibao.staff.models import StaffUser
from yibao.staff.service import create_staff

SURNAMES = "王陈张邬毛蒋竺胡周应孙林李徐沈吴俞朱何方董黄袁叶刘赵杨郑屠卓单江谢严"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文斌海燕红梅玲波辉鹏宇浩然欣怡子涵梓萱雨轩"
TOWN_WEIGHTS = (9, 4, 2, 2, 16, 15, 7, 9, 7, 5, 6, 8)  # 溪口 … 方桥, roughly by population
SCHOOLS = ("奉化区实验小学", "奉化区锦屏中学", "奉化区江口中学", "溪口中学", "莼湖中学")
NONLOCAL_REGIONS = ("510321", "522401", "341221", "411528", "362330")
DEMO_STAFF = (
    ("admin", "管理员（演示）", "admin", "yibao-admin"),
    ("clerk", "经办员（演示）", "clerk", "yibao-clerk"),
    ("auditor", "稽查员（演示）", "auditor", "yibao-audit"),
    ("viewer", "只读（演示）", "readonly", "yibao-view"),
)
CERTIFICATE_MIX = (  # kind, share of local persons (ASSUMPTION: demo only, not policy)
    ("minimum_living", 0.015), ("marginal_low_income", 0.010), ("extreme_poverty", 0.004),
    ("disabled_grade_1", 0.004), ("disabled_grade_2", 0.006), ("priority_entitled", 0.005),
)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class DemoResult:
    persons: int
    enrolled_last_year: int
    renewed: int
    paid_this_year: int
    year: int


def _birth(rng: random.Random, year: int) -> tuple[dt.date, bool]:
    """(birth date, student) with a Fenghua-like age pyramid."""
    roll = rng.random()
    if roll < 0.06:
        age = rng.randint(0, 5)
    elif roll < 0.20:
        age = rng.randint(6, 17)
    else:
        age = rng.choices((rng.randint(20, 44), rng.randint(45, 64), rng.randint(65, 95)), (30, 38, 32))[0]
    birth = dt.date(year - age - 1, 1, 1) + dt.timedelta(days=rng.randint(0, 364))
    return birth, 6 <= age <= 17 and rng.random() < 0.9


def _persons(rng: random.Random, count: int, year: int, first_number: int) -> list[tuple[dict[str, Any], bool]]:
    moment = now()
    rows = []
    for offset in range(count):
        birth, student = _birth(rng, year)
        local = not (student and rng.random() < 0.08)
        region = "330283" if local else rng.choice(NONLOCAL_REGIONS)
        sex = rng.choice("12")
        certno = make_id_number(region, birth, offset % 500, sex)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        town = rng.choices(TOWNS, TOWN_WEIGHTS)[0].code if local else None
        rows.append(({
            "psn_no": f"{PSN_PREFIX}{first_number + offset:010d}", "certno": certno, "name": name, "sex": sex,
            "birth_date": birth, "local": local, "town": town, "household_no": None,
            "phone": f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
            "employee_insured": rng.random() < 0.02, "employee_insurance_end": None, "created_at": moment,
        }, student))
    return rows


def _unique_certnos(rows: list[tuple[dict[str, Any], bool]], existing: set[str]) -> None:
    """Demo ID numbers must not collide; bump the order code where they would."""
    for row, _ in rows:
        certno = row["certno"]
        sequence = 0
        while certno in existing:
            sequence += 1
            certno = make_id_number(certno[:6], row["birth_date"], (int(certno[14:16]) + sequence) % 500, row["sex"])
        row["certno"] = certno
        existing.add(certno)


def _certificates(rng: random.Random, persons: list[dict[str, Any]], year: int) -> list[dict[str, Any]]:
    moment = now()
    rows = []
    for person in persons:
        if not person["local"]:
            continue
        for kind, share in CERTIFICATE_MIX:
            if rng.random() < share:
                rows.append({"psn_no": person["psn_no"], "id": new_id(), "kind": kind,
                             "cert_no": f"FH{rng.randint(10**7, 10**8 - 1)}", "valid_from": dt.date(year - 3, 1, 1),
                             "valid_to": dt.date(year + 2, 12, 31) if rng.random() < 0.9 else None,
                             "created_at": moment})
                break
    return rows


DEMO_HIS_SECRET = "yibao-his-demo"  # the demo institutions' gateway secret (9001 cainfo)
DEMO_INSTITUTIONS = (  # code, name, kind, hosp_lv, region, admdvs, cross-province designated
    ("H33021300001", "宁波市奉化区人民医院", "hospital", "03", "ningbo", "330213", False),
    ("H33021300002", "宁波市奉化区中医医院", "hospital", "05", "ningbo", "330213", False),
    ("H33021300003", "奉化区锦屏街道社区卫生服务中心", "community", "11", "ningbo", "330213", False),
    ("H33021300004", "奉化区溪口镇卫生院", "community", "11", "ningbo", "330213", False),
    ("H33020000001", "宁波市第一医院", "hospital", "02", "ningbo", "330200", False),
    ("H33010000001", "浙江大学医学院附属第一医院", "hospital", "02", "zhejiang", "330100", False),
    ("H31000000001", "复旦大学附属华山医院", "hospital", "02", "other_province", "310000", True),
    ("P33021300001", "奉化区惠民大药房", "pharmacy", "11", "ningbo", "330213", False),
)
DEMO_CATALOGUE = (  # code, name, class, category, price ceiling, 乙 first self-pay
    ("XJ01CAA040A001010101445", "阿莫西林胶囊", "A", "drug", None, None),
    ("XC10AAA014A001010101234", "阿托伐他汀钙片", "B", "drug", None, "0.05"),
    ("XA10BAB012A001020101234", "二甲双胍缓释片", "A", "drug", None, None),
    ("XL01XCX092B002010101234", "曲妥珠单抗注射液", "B", "drug", "1800", "0.20"),
    ("XN02BEA011A001010101234", "对乙酰氨基酚片", "A", "drug", None, None),
    ("ZB01AAA001", "复方丹参滴丸", "B", "drug", None, None),
    ("XQ00000001", "进口保健营养品", "C", "drug", None, None),
    ("001101000010000", "普通门诊诊查费", "A", "service", "10", None),
    ("001102000010000", "住院诊查费", "A", "service", "20", None),
    ("002301000010000", "血细胞分析", "A", "service", "25", None),
    ("002701000010000", "CT平扫", "B", "service", "220", "0.10"),
    ("003315000010000", "腹腔镜胆囊切除术", "A", "service", "3500", None),
    ("001103000010000", "床位费（三人间）", "A", "service", "45", None),
    ("001104000010000", "床位费（单人间）", "C", "service", None, None),
    ("C14010000001", "一次性使用输液器", "A", "material", "3", None),
    ("C03010000001", "进口人工晶体", "B", "material", "6000", "0.30"),
)

# An excerpt of three national lists, as the platform's files would bring them (the codes are the national ones:
# 医保版 ICD-10 diagnoses, ICD-9-CM-3 operations, the national 门慢门特 disease codes); a real district imports
# the whole files with `yibao national-list import`.
_DEMO_LIST_TIME = "2022-01-01 00:00:00"
DEMO_NATIONAL_LISTS: dict[str, tuple[dict[str, str], ...]] = {
    "diagnosis": tuple(
        {"diag_list_id": f"DEMO{n:04d}", "cpr": cpr, "cpr_code_scp": scope, "cpr_name": chapter, "cgy_code": code[:3],
         "sor_code": code[:5], "diag_code": code, "diag_name": name, "used_std": "1"}
        for n, (cpr, scope, chapter, code, name) in enumerate((
            ("10", "J00-J99", "呼吸系统疾病", "J06.900", "急性上呼吸道感染"),
            ("10", "J00-J99", "呼吸系统疾病", "J18.900", "肺炎"),
            ("09", "I00-I99", "循环系统疾病", "I10.x00", "原发性高血压"),
            ("04", "E00-E90", "内分泌、营养和代谢疾病", "E11.900", "2型糖尿病不伴有并发症"),
            ("11", "K00-K93", "消化系统疾病", "K35.800", "急性阑尾炎"),
            ("11", "K00-K93", "消化系统疾病", "K80.200", "胆囊结石"),
            ("02", "C00-D48", "肿瘤", "C34.900", "肺恶性肿瘤"),
            ("14", "N00-N99", "泌尿生殖系统疾病", "N18.500", "慢性肾脏病5期"),
        ), start=1)),
    "operation": tuple(
        {"oprn_std_list_id": f"DEMO{n:04d}", "cgy_code": code[:2], "sor_code": code[:5], "oprn_oprt_code": code,
         "oprn_oprt_name": name, "used_std": "1"}
        for n, (code, name) in enumerate((
            ("51.2300", "腹腔镜下胆囊切除术"), ("47.0100", "腹腔镜下阑尾切除术"), ("13.4100", "白内障超声乳化抽吸术"),
            ("81.5400", "全膝关节置换"), ("39.9500", "血液透析"),
        ), start=1)),
    "special_disease": tuple(
        {"opsp_dise_code": code, "opsp_dise_name": name, "opsp_dise_majcls_name": major, "admdvs": "330200"}
        for code, name, major in (
            ("M03900", "高血压病", "高血压病"), ("M01600", "糖尿病", "糖尿病"),
            ("M07803", "慢性肾功能不全（血透治疗）", "慢性肾功能不全"),
            ("M07804", "慢性肾功能不全（腹透治疗）", "慢性肾功能不全"),
            ("M00503", "恶性肿瘤放、化、介入或核素治疗", "恶性肿瘤"), ("M08300", "器官移植抗排异治疗", "器官移植"),
            ("M05300", "慢性阻塞性肺疾病", "慢性阻塞性肺疾病"), ("M04600", "冠心病", "冠心病"),
        )),
}


def ensure_demo_national_lists(session: Session) -> None:
    """The demo's excerpt of the national lists, imported as a file from the platform would be."""
    for key, rows in DEMO_NATIONAL_LISTS.items():
        lst = national_lists.LISTS[key]
        lines = [national_lists.file_line(lst, {**row, "vali_flag": "1", "rid": f"{key}-{row[lst.code_field]}",
                                                "updt_time": _DEMO_LIST_TIME, "ver": "DEMO"}) for row in rows]
        national_lists.import_list(session, key, "\n".join(lines).encode())


def ensure_demo_institutions(session: Session) -> None:
    """Designated institutions, a doctor each and a small catalogue, for the gateway and the pages."""
    if session.get(Institution, DEMO_INSTITUTIONS[0][0]) is not None:
        return
    for code, name, kind, hosp_lv, region, admdvs, designated in DEMO_INSTITUTIONS:
        register_institution(session, fixmedins_code=code, name=name, kind=kind, hosp_lv=hosp_lv, region=region,
                             admdvs=admdvs, cross_province_designated=designated, secret=DEMO_HIS_SECRET,
                             auth_schemes="sm2,tif,apikey,secret")  # the demo takes its secret every way
        add_doctor(session, dr_code=f"D{code}01", name=f"{name[-4:]}医师", fixmedins_code=code)
    for code, name, cls, category, ceiling, prop in DEMO_CATALOGUE:
        add_catalogue_item(session, code=code, name=name, item_class=cls, category=category,
                           price_ceiling=Decimal(ceiling) if ceiling else None)
        if prop is not None:
            set_selfpay(session, code=code, selfpay_prop=Decimal(prop), valid_from=dt.date(2018, 1, 1))
    for code, name, limits in DEMO_RESTRICTED:  # the national catalogue's 限定支付范围, for the audit rules
        item = add_catalogue_item(session, code=code, name=name, item_class="A", category="drug")
        for key, value in limits.items():
            setattr(item, key, value)
    paracetamol = session.get(CatalogueItem, "XN02BEA011A001010101234")
    if paracetamol is not None:
        paracetamol.norm_cnt = Decimal("10")  # the usual most of one line
    session.add(SwapListEntry(covered_code="XJ01CAA040A001010101445", goods_name="蛋白粉（自费保健品）",
                              goods_price=Decimal("88"), source="演示：2017 年稽查通报所列串换品种",
                              added_by="demo", added_at=now()))
    ensure_demo_national_lists(session)


def ensure_demo_staff(session: Session) -> None:
    for username, display, role, password in DEMO_STAFF:
        if session.get(StaffUser, username) is None:
            create_staff(session, username=username, display_name=display, role=role, password=password)


def _enroll_base_year(session: Session, editions: Editions, rng: random.Random, year: int,
                      people: list[tuple[dict[str, Any], bool]]) -> list[dict[str, Any]]:
    edition = enrollment.edition_for_year(editions, year)
    moment = now()
    rows = []
    for person_row, student in people:
        person = Person(**person_row)
        channel = "school" if student else rng.choices(("zlb_app", "alipay", "window", "self_service"),
                                                       (35, 25, 30, 10))[0]
        registered = dt.date(year - 1, 10, 1) + dt.timedelta(days=rng.randint(0, 75))
        request = enrollment.EnrollmentRequest(
            person.psn_no, year, registered, channel, student=student,
            school_name=rng.choice(SCHOOLS) if student else None)
        try:
            rows.append(enrollment.plan_enrollment(edition, person, (), request)
                        | {"created_by": "demo", "created_at": moment})
        except DomainError:
            continue  # employee-insured persons and the like are not enrolled
    enrollment.insert_enrollments(session, rows)
    return rows


def _pay(session: Session, rng: random.Random, year: int, share: float) -> int:
    """Pay `share` of the year's unpaid bills through the documented channels (S22 §3)."""
    bills = session.execute(select(Bill.bill_no, Bill.psn_no, Bill.amount_due, Enrollment.registration_date).join(
        Enrollment, (Enrollment.psn_no == Bill.psn_no) & (Enrollment.id == Bill.enrollment_id)).where(
        Bill.year == year, Bill.status == "unpaid")).all()
    today = now().date()
    cards = {psn: (bank, card) for psn, bank, card in session.execute(select(
        BankAgreement.psn_no, BankAgreement.bank, BankAgreement.card_no).where(BankAgreement.status == "active"))}
    new_agreements: list[dict[str, Any]] = []
    requests = []
    for bill_no, psn_no, due, registered in bills:
        if rng.random() >= share:
            continue
        channel = rng.choices(("wechat", "alipay", "bank_withholding", "cash"), (32, 33, 20, 15))[0]
        bank = rng.choice(tuple(contributions.BANKS)) if channel in ("cash", "bank_withholding") else None
        card = None
        if channel == "bank_withholding":
            if psn_no not in cards:
                cards[psn_no] = (bank or "icbc", f"62{rng.randint(10**15, 10**16 - 1)}")
                new_agreements.append({"psn_no": psn_no, "id": new_id(), "bank": cards[psn_no][0],
                                       "card_no": cards[psn_no][1], "signed_on": dt.date(year - 1, 9, 1),
                                       "status": "active", "created_at": now()})
            bank, card = cards[psn_no]
        paid_on = min(registered + dt.timedelta(days=rng.randint(0, 20)), today)  # after registering, by today
        if paid_on < registered:
            continue
        requests.append(contributions.PaymentRequest(bill_no, channel, due, paid_on, f"DEMO{bill_no}", bank, card))
    if new_agreements:  # the demo signs its agreements in bulk; a clerk signs one with sign_agreement()
        session.execute(insert(BankAgreement), new_agreements)
    return collect_contributions(session, requests, actor="demo").get("paid", 0)


def populate(session: Session, editions: Editions, *, persons: int, year: int, seed: int = 2022,
             progress: Progress | None = None) -> int:
    """Persons, certificates and last year's (`year - 1`) enrollment, all paid. Returns the enrolled count."""
    rng = random.Random(seed)
    tell = progress or (lambda _stage, _done, _total: None)
    ensure_demo_staff(session)
    ensure_demo_institutions(session)
    first = reserve_numbers(session, "psn_no", persons)
    people = _persons(rng, persons, year, first)
    _unique_certnos(people, set(session.scalars(select(Person.certno))))
    person_rows = [row for row, _ in people]
    for start in range(0, len(person_rows), 5000):
        session.execute(insert(Person), person_rows[start:start + 5000])
        tell("登记参保人", min(start + 5000, len(person_rows)), len(person_rows))
    certificates = _certificates(rng, person_rows, year)
    if certificates:
        session.execute(insert(Certificate), certificates)
    base = _enroll_base_year(session, editions, rng, year - 1, people)
    tell("上年度参保", len(base), len(base))
    _pay(session, rng, year - 1, 1.0)
    tell("上年度缴费", len(base), len(base))
    return len(base)


def insured_today(session: Session) -> list[tuple[str, str]]:
    """(psn_no, ID number) of everyone whose benefits cover today: the benchmarks' and the reliability suite's
    patients."""
    today = now().date()
    return [(psn_no, certno) for psn_no, certno in session.execute(select(Person.psn_no, Person.certno).join(
        Enrollment, Enrollment.psn_no == Person.psn_no).where(
        Enrollment.year == today.year, Enrollment.status == "active", Enrollment.benefit_start <= today))]


def generate_demo(session: Session, editions: Editions, *, persons: int = 10_000, year: int, seed: int = 2022,
                  progress: Progress | None = None, data_dir: Path | None = None) -> DemoResult:
    """Populate an empty database: persons, last year's enrollment and payments, renewal, this year's payments."""
    tell = progress or (lambda _stage, _done, _total: None)
    enrolled = populate(session, editions, persons=persons, year=year, seed=seed, progress=progress)
    renewal = enrollment.renew_year(session, editions, year=year, registration_date=dt.date(year - 1, 10, 20),
                                    actor="demo", progress=lambda done, total: tell("年度续保", done, total))
    paid = _pay(session, random.Random(seed + 1), year, 0.93)
    tell("本年度缴费", paid, paid)  # a share pays (the summary line says how many): the stage itself is done
    resident = demo_resident(session, editions, year, data_dir)
    demo_family(session, editions, year, resident)
    settled = demo_settlements(session, editions, random.Random(seed + 2), year, count=max(persons // 40, 20))
    settled += plant_violations(session, editions, year)
    tell("本年度就医结算", settled, settled)
    session.flush()
    return DemoResult(persons, enrolled, renewal.renewed, paid, year)


# ---------------------------------------------------------------------------------------------------
# A resident who can sign in, and a year of care settled through the real settlement service

DEMO_RESIDENT_NAME = "王丽华"
DEMO_RESIDENT_CERTNO = make_id_number("330283", dt.date(1968, 5, 12), 88, "2")  # 330283196805121762
DEMO_RESIDENT_PASSWORD = "yibao-resident"
DEMO_HOUSEHOLD = "FH-DEMO-0001"
DEMO_CARD_NO, DEMO_CARD_SN = "A03300001", "330200D156000005001A2B3C4D5E6F70"  # 王丽华's social-security card
DEMO_MOTHER_NAME = "李秀英"  # 王丽华's mother, bound in her 亲情账户, with an e-credential
DEMO_MOTHER_CERTNO = make_id_number("330283", dt.date(1941, 3, 15), 89, "2")
OUTPATIENT_FEES = (("001101000010000", 1, "10"), ("XJ01CAA040A001010101445", 2, "18.50"),
                   ("002301000010000", 1, "25"), ("XC10AAA014A001010101234", 1, "46.80"),
                   ("XQ00000001", 1, "120"))
INPATIENT_FEES = (("001103000010000", "45"), ("001102000010000", "20"), ("XN02BEA011A001010101234", "12.60"))
INPATIENT_EXTRAS = (("002701000010000", 1, "220"), ("003315000010000", 1, "3500"), ("C14010000001", 6, "3"),
                    ("XL01XCX092B002010101234", 2, "1800"), ("001104000010000", 3, "150"))
OUTPATIENT_PLACES = ("H33021300003", "H33021300004", "H33021300001", "H33021300002", "P33021300001")
INPATIENT_PLACES = ("H33021300001", "H33021300002", "H33020000001", "H33021300004")


def _insured_this_year(session: Session, editions: Editions, year: int, person: Person) -> None:
    enrolled = enrollment.enroll_person(session, editions, enrollment.EnrollmentRequest(
        psn_no=person.psn_no, year=year, registration_date=dt.date(year - 1, 10, 20), channel="window"),
        actor="demo")
    bill = contributions.bills_of(session, person.psn_no)[-1]
    pay_contribution(session, contributions.PaymentRequest(
        bill.bill_no, "wechat", enrolled.personal_amount, dt.date(year - 1, 10, 21), f"DEMO-WX-{person.psn_no}"),
        actor="demo")


def demo_resident(session: Session, editions: Editions, year: int, data_dir: Path | None = None) -> Person:
    """王丽华, enrolled and paid for `year`, with an online account (README: her ID number and password); and
    her mother 李秀英, bound in her 亲情账户 with an e-credential activated through the demo channel (when
    `data_dir`, where that channel's key lives, is given)."""
    person = register_person(session, certno=DEMO_RESIDENT_CERTNO, name=DEMO_RESIDENT_NAME, local=True,
                             town="yuelin", phone="13805741234", household_no=DEMO_HOUSEHOLD)
    _insured_this_year(session, editions, year, person)
    open_resident_account(session, psn_no=person.psn_no, password=DEMO_RESIDENT_PASSWORD, actor="demo")
    issue_card(session, psn_no=person.psn_no, card_no=DEMO_CARD_NO, card_sn=DEMO_CARD_SN,
               issued_on=dt.date(year - 3, 5, 1), actor="demo")
    mother = register_person(session, certno=DEMO_MOTHER_CERTNO, name=DEMO_MOTHER_NAME, local=True, town="yuelin",
                             household_no=DEMO_HOUSEHOLD)
    _insured_this_year(session, editions, year, mother)
    if data_dir is not None:
        activate_on_demo_channel(session, data_dir, PARAMETERS, certno=mother.certno, name=mother.name,
                                 activated_by=person.psn_no)
        credentials.bind_relative(session, PARAMETERS, holder=person.psn_no, certno=mother.certno,
                                  name=mother.name, relationship="50", actor="demo", at_window=True)
    return person


# 王丽华's family mutual-aid network (POLICY.md §11): her husband, employee-insured, initiates it; his father, a
# resident, and their son, employee-insured, join; the husband and the son move part of their historical accounts
# into mutual-aid accounts, which 王丽华's and the father's settlements then draw on.
DEMO_FAMILY = (  # name, birth, sex, relationship to the initiator, employee-insured, historical balance, moved in
    ("陈国强", dt.date(1966, 9, 3), "1", "self", True, "3600.00", "1200.00"),
    ("陈德明", dt.date(1938, 2, 11), "1", "parent", False, None, None),
    ("陈浩", dt.date(1993, 7, 21), "1", "child", True, "800.00", "300.00"),
)


def demo_family(session: Session, editions: Editions, year: int, resident: Person) -> None:
    """The network, the employee system's first daily file (two days ago, so that yesterday's is the next) and the
    moves into the mutual-aid accounts."""
    people: dict[str, Person] = {}
    for serial, (name, birth, sex, _, employee, _, _) in enumerate(DEMO_FAMILY, start=90):
        people[name] = register_person(session, certno=make_id_number("330283", birth, serial, sex), name=name,
                                       local=True, town="yuelin", household_no=DEMO_HOUSEHOLD,
                                       employee_insured=employee)
        if not employee:
            _insured_this_year(session, editions, year, people[name])
    lines = "".join(f"{people[name].certno},{name},0,{balance}\n"
                    for name, *_, balance, _ in DEMO_FAMILY if balance is not None)
    import_daily_file(session, "demo.csv", ("身份证号,姓名,当日变动,日终余额\n" + lines).encode(),
                      file_id="DEMO-EMP-0001", day=now().date() - dt.timedelta(days=2), actor="demo")
    initiator = people[DEMO_FAMILY[0][0]]
    network = create_network(session, initiator_psn_no=initiator.psn_no, channel="window", actor="demo")
    add_member(session, network.id, psn_no=resident.psn_no, relationship="spouse", proof=None,
               by_psn_no=initiator.psn_no, shown=True)
    for name, _, _, relationship, *_ in DEMO_FAMILY[1:]:
        add_member(session, network.id, psn_no=people[name].psn_no, relationship=relationship, proof=None,
                   by_psn_no=initiator.psn_no, shown=True)
    for name, *_, moved in DEMO_FAMILY:
        if moved is not None:
            open_mutual(session, people[name].psn_no)
            transfer(session, people[name].psn_no, moved, into_mutual=True, actor="demo")
            set_shown(session, people[name].psn_no, shown=True)


def _fee(sn: int, when: dt.datetime, code: str, count: int | Decimal, price: str) -> FeeIn:
    cnt, pric = Decimal(count), Decimal(price)
    return FeeIn(f"D{sn:04d}", when, code, cnt, pric, round_money(cnt * pric))


def _care(rng: random.Random, begin: dt.datetime, inpatient: bool,
          latest: dt.date) -> tuple[list[FeeIn], dt.datetime | None]:
    """Fee lines of one visit; an inpatient stay of 3–14 days, cut short so it ends by `latest`."""
    if not inpatient:
        chosen = rng.sample(OUTPATIENT_FEES, rng.randint(1, 4))
        return [_fee(i, begin, code, count, price) for i, (code, count, price) in enumerate(chosen)], None
    days = max(min(rng.randint(3, 14), (latest - begin.date()).days), 0)
    fees = [_fee(i, begin + dt.timedelta(days=d), code, 1, price)
            for d in range(days + 1) for i, (code, price) in enumerate(INPATIENT_FEES, start=10 * d)]
    for i, (code, count, price) in enumerate(rng.sample(INPATIENT_EXTRAS, rng.randint(1, 3)), start=1000):
        fees.append(_fee(i, begin, code, count, price))
    return fees, begin + dt.timedelta(days=days, hours=1)


def demo_settlements(session: Session, editions: Editions, rng: random.Random, year: int, *, count: int) -> int:
    """`count` visits of insured persons this year, settled by the same service the gateway calls; plus
    three for the demo resident. Returns how many were settled (a person not covered that day is skipped)."""
    latest = min(now().date(), dt.date(year, 12, 31))  # care already given: on or before today
    elapsed = max((latest - dt.date(year, 1, 1)).days, 0)
    insured = session.scalars(select(Enrollment.psn_no).where(Enrollment.year == year,
                                                              Enrollment.status == "active")).all()
    resident = session.scalar(select(Person.psn_no).where(Person.certno_digest == digest_of("certno",
                                                                                             DEMO_RESIDENT_CERTNO)))
    chosen = [resident, resident, resident] if resident else []
    chosen += rng.sample(list(insured), min(count, len(insured)))
    certnos = {psn_no: certno for psn_no, certno in session.execute(
        select(Person.psn_no, Person.certno).where(Person.psn_no.in_(set(chosen))))}
    institutions = {code: place for code in OUTPATIENT_PLACES + INPATIENT_PLACES
                    if (place := institution_record(session, code)) is not None}
    settled = 0
    for n, psn_no in enumerate(chosen):
        inpatient = n == 1 or (n > 2 and rng.random() < 0.15)
        place = institutions[rng.choice(INPATIENT_PLACES if inpatient else OUTPATIENT_PLACES)]
        day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, elapsed))
        # in opening hours (the audit's ND02 looks at the time); care today at half past midnight, before now
        begin = dt.datetime.combine(day, dt.time(0, 30) if day >= now().date() else dt.time(rng.randint(8, 16), 30))
        fees, end = _care(rng, begin, inpatient, latest)
        med_type = "21" if inpatient else ("41" if place.kind == "pharmacy" else "11")
        if place.kind == "pharmacy":
            fees = [fee for fee in fees if fee.med_list_codg.startswith("X")] or [  # a pharmacy sells drugs only
                _fee(0, begin, "XJ01CAA040A001010101445", 2, "18.50")]
        if _settle_care(session, editions, place, psn_no, certnos[psn_no], med_type, begin, fees, end):
            settled += 1
    return settled


def _settle_care(session: Session, editions: Editions, place: InstitutionRecord, psn_no: str, certno: str | None,
                 med_type: str, begin: dt.datetime, fees: list[FeeIn], end: dt.datetime | None,
                 dev_no: str | None = None, **details: Any) -> str | None:
    """One visit (an inpatient stay when `end` is given) settled through the service and stamped at its care's
    time; its setl_id, or None if the service refused it (nothing of it stays)."""
    try:
        with session.begin_nested():
            visit = open_visit(session, editions, institution=place, psn_no=psn_no, med_type=med_type,
                               begntime=begin, cert_type="02", cert_no=certno, **details)
            upload_fees(session, editions, visit, fees, msgid=None)
            if end is not None:
                discharge_visit(session, visit_record(session, visit.mdtrt_id), end)
            setl_id = settle_visit(session, editions, visit, expected_total=None, msgid=None, actor="demo",
                                   dev_no=dev_no).setl_id
            _settled_at(session, setl_id, end or begin)
            return setl_id
    except DomainError:
        return None


# ---------------------------------------------------------------------------------------------------
# Planted violations: one case of each kind of the audit report (POLICY.md §12) that the scan finds

DEMO_RESTRICTED = (  # code, name, restrictions (限定支付范围)
    ("XG03DEMO0001", "雌二醇凝胶（限女性）", {"lmt_sex": "2"}),
    ("XR05DEMO0001", "小儿氨酚黄那敏颗粒（限14岁以下）", {"lmt_age_max": 14}),
    ("XL01DEMO0001", "注射用帕妥珠单抗（限乳腺癌）", {"lmt_diagnoses": "C50"}),
    ("XJ01DEMO0001", "头孢哌酮舒巴坦（限二线）", {"lmt_first_line": "XJ01CAA040A001010101445"}),
    ("XG02DEMO0001", "缩宫素注射液（限生育）", {"lmt_scope": "maternity", "lmt_sex": "2"}),
)
COMMUNITY, XIKOU, PEOPLES, TCM, PHARMACY = ("H33021300003", "H33021300004", "H33021300001", "H33021300002",
                                            "P33021300001")


def _planted(session: Session, editions: Editions, psn_no: str, code: str, day: dt.date,
             lines: list[tuple[str, int, str]], *, until: dt.date | None = None, hour: int = 9,
             dise: str | None = None, doctor: str | None = None, dev_no: str | None = None) -> str | None:
    """One visit settled through the service (an inpatient stay with `until`); its setl_id, or None if refused."""
    place = institution_record(session, code)
    if place is None:
        return None
    begin = dt.datetime.combine(day, dt.time(hour, 10))
    med_type = "21" if until else ("41" if place.kind == "pharmacy" else "11")
    certno = session.scalar(select(Person.certno).where(Person.psn_no == psn_no))
    fees = [FeeIn(f"P{n:03d}", begin, item, Decimal(count), Decimal(price), round_money(count * Decimal(price)),
                  bilg_dr_codg=doctor) for n, (item, count, price) in enumerate(lines)]
    end = dt.datetime.combine(until, dt.time(10, 0)) if until else None
    return _settle_care(session, editions, place, psn_no, certno, med_type, begin, fees, end, dev_no,
                        dise_codg=dise)


def _settled_at(session: Session, setl_id: str, care: dt.datetime) -> None:
    """A demo settlement stamped when its care was settled (twenty minutes after it), not when the demo ran."""
    moment = min(care + dt.timedelta(minutes=20), now())
    session.execute(update(Settlement).where(Settlement.setl_id == setl_id).values(setl_time=moment)
                    .execution_options(synchronize_session=False))


def plant_violations(session: Session, editions: Editions, year: int) -> int:
    """Care that breaks the audit rules, for the auditor to find: several places in a day (FV01), a clinic visit
    during a stay elsewhere (FV02), a crowded day at 溪口 (FV03), five identical visits (FV04), a service at the
    pharmacy (SW01), a swap-list price (SW02), thirty days of paracetamol (SW03), restricted items for the wrong
    person (RD01–RD05, MM01), an unregistered doctor (ND01), a night settlement at the pharmacy (ND02), a settlement
    at the pharmacy from a terminal that is not its own (ND03), two stays at once (MM02), care of a person whose
    enrollment was cancelled since (MM03), a readmission within 15 days (IP01), a one-day stay of 45 yuan (IP02), a
    receipt claimed twice (IP03), care with the card of a woman who had died (MM04). Returns how many settlements
    it made."""
    latest = min(now().date() - dt.timedelta(days=1), dt.date(year, 12, 31))
    if latest < dt.date(year, 2, 20):
        return 0  # early in the year: not enough of it has passed
    people = session.execute(select(Person.psn_no, Person.sex, Person.birth_date).join(
        Enrollment, Enrollment.psn_no == Person.psn_no).where(
        Enrollment.year == year, Enrollment.status == "active", Enrollment.benefit_start <= dt.date(year, 1, 2),
        Person.household_no.is_(None)).order_by(Person.psn_no)).all()
    men = [p.psn_no for p in people if p.sex == "1" and 30 <= year - p.birth_date.year <= 60]
    women = [p.psn_no for p in people if p.sex == "2" and 30 <= year - p.birth_date.year <= 60]
    if len(men) < 43 or len(women) < 5:
        return 0
    day = dt.date(year, 2, 10)
    drug, check, amoxicillin = ("XC10AAA014A001010101234", 1, "46.80"), ("002301000010000", 1, "25"), \
        ("XJ01CAA040A001010101445", 2, "18.50")
    made = [
        *(_planted(session, editions, men[0], code, day, [drug]) for code in (COMMUNITY, PEOPLES, TCM)),
        _planted(session, editions, men[1], PEOPLES, day, [("001103000010000", 1, "45")], until=day + dt.timedelta(6)),
        _planted(session, editions, men[1], COMMUNITY, day + dt.timedelta(2), [drug]),
        *(_planted(session, editions, psn, TCM, day + dt.timedelta(3), [drug, check, amoxicillin])
          for psn in men[2:7]),
        _planted(session, editions, men[7], PHARMACY, day, [drug, check]),
        _planted(session, editions, men[8], COMMUNITY, day, [("XJ01CAA040A001010101445", 1, "88")]),
        _planted(session, editions, men[9], COMMUNITY, day, [("XN02BEA011A001010101234", 30, "0.42")]),
        _planted(session, editions, men[10], COMMUNITY, day, [("XG03DEMO0001", 1, "38")]),
        _planted(session, editions, men[11], COMMUNITY, day, [("XR05DEMO0001", 2, "12.50")]),
        _planted(session, editions, women[0], PEOPLES, day, [("XL01DEMO0001", 1, "2200")], dise="J06.9"),
        _planted(session, editions, men[12], COMMUNITY, day, [("XJ01DEMO0001", 1, "56")]),
        _planted(session, editions, men[13], COMMUNITY, day, [("XG02DEMO0001", 1, "15")]),
        _planted(session, editions, men[14], COMMUNITY, day, [drug], doctor="D330213999901"),
        _planted(session, editions, men[15], PEOPLES, day, [("001103000010000", 1, "45")], until=day + dt.timedelta(8)),
        _planted(session, editions, men[15], TCM, day + dt.timedelta(2), [("001103000010000", 1, "45")],
                 until=day + dt.timedelta(4)),
        _planted(session, editions, men[16], PEOPLES, day, [("001103000010000", 4, "45")], until=day + dt.timedelta(4),
                 dise="I63.9"),
        _planted(session, editions, men[16], PEOPLES, day + dt.timedelta(10), [("001103000010000", 4, "45")],
                 until=day + dt.timedelta(14), dise="I63.9"),
    ]
    night = _planted(session, editions, men[17], PHARMACY, day, [("XJ01CAA040A001010101445", 1, "18.50")], hour=2)
    crowd = [_planted(session, editions, men[18], XIKOU, day - dt.timedelta(days=7), [check])]  # its usual day
    crowd += [_planted(session, editions, psn, XIKOU, day + dt.timedelta(5), [check]) for psn in men[19:43]]
    twice = [_manual_claim(session, editions, women[0], day) for _ in range(2)]  # one receipt claimed twice (IP03)
    short = _planted(session, editions, women[1], PEOPLES, day, [("001103000010000", 1, "45")],
                     until=day + dt.timedelta(1))  # admitted for a night that a clinic could have treated (IP02)
    gone = _planted(session, editions, women[2], COMMUNITY, day, [drug])
    _cancel_cover(session, women[2], year, day + dt.timedelta(1))  # cancelled since (MM03)
    register_device(session, fixmedins_code=PHARMACY, dev_no=DEMO_TERMINAL, name="收银台1号")
    session.execute(update(Device).where(Device.dev_no == DEMO_TERMINAL).values(
        registered_at=dt.datetime(year, 1, 1)).execution_options(synchronize_session=False))
    elsewhere = _planted(session, editions, women[3], PHARMACY, day, [drug],
                         dev_no="CLINIC-PC-07")  # a non-designated clinic's machine swiping for the pharmacy (ND03)
    late = _planted(session, editions, women[4], TCM, day, [drug])
    record_death(session, psn_no=women[4], died_on=day - dt.timedelta(days=3), source="民政殡葬信息（演示）")  # MM04
    return sum(1 for setl_id in [*made, night, *crowd, *twice, short, gone, elsewhere, late] if setl_id)


DEMO_TERMINAL = "YD-POS-01"  # the demo pharmacy's registered settlement terminal


def _cancel_cover(session: Session, psn_no: str, year: int, on: dt.date) -> None:
    cover = session.scalars(select(Enrollment).where(Enrollment.psn_no == psn_no, Enrollment.year == year,
                                                     Enrollment.status == "active")).first()
    if cover is not None:
        enrollment.cancel_enrollment(session, psn_no=psn_no, enrollment_id=cover.id, on=on, actor="demo",
                                     reason="参保人申请退保（演示）")


def _manual_claim(session: Session, editions: Editions, psn_no: str, day: dt.date) -> str | None:
    try:
        with session.begin_nested():
            return manual_reimbursement(session, editions, psn_no=psn_no, benefit=Benefit.OUTPATIENT,
                                        service_date=day, level=Level.OTHER, region="zhejiang",
                                        lines=(FeeLine(Decimal("320"), ItemClass.A),), place="杭州市第一人民医院",
                                        actor="demo").setl_id
    except DomainError:
        return None


__all__ = ["DEMO_HIS_SECRET", "DEMO_RESIDENT_CERTNO", "DEMO_RESIDENT_PASSWORD", "DEMO_STAFF", "DemoResult",
           "ensure_demo_institutions", "ensure_demo_staff", "generate_demo", "populate"]
