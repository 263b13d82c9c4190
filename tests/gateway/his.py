"""A hospital system (HIS) as the tests drive it: signs in (9001) and sends envelopes over HTTP."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal
from typing import Any

import simplejson
from sqlalchemy import event
from sqlalchemy.orm import Session

from yibao.contributions.service import PaymentRequest, bills_of
from yibao.demo import DEMO_HIS_SECRET
from yibao.enrollment.models import Enrollment
from yibao.enrollment.payments import pay_contribution
from yibao.enrollment.service import EnrollmentRequest, enroll_person
from yibao.kit.clock import now
from yibao.kit.idcard import make_id_number
from yibao.kit.ids import new_id
from yibao.people.models import Person
from yibao.people.service import register_person
from yibao.policy.editions import packaged_editions

PATH = "/fsi/api/rsfComIfsService/callService"
CERTNOS: dict[str, str] = {}  # psn_no → ID number of every person the tests register: the HIS's mdtrt_cert_no (02)


@event.listens_for(Person, "after_insert")
def _remember_certno(_mapper: Any, _connection: Any, person: Person) -> None:
    CERTNOS[person.psn_no] = person.certno
_serial = itertools.count(1)


class HIS:
    """Signs in with the `apikey` header (INTERFACE.md: one of the schemes every institution may use; the demo
    secret is also the token); `legacy=True` puts the plain secret in cainfo instead (demo/legacy mode)."""

    def __init__(self, client: Any, code: str, secret: str = DEMO_HIS_SECRET, *, legacy: bool = False) -> None:
        self.client, self.code = client, code
        self.sign_no: str | None = None
        self.headers: dict[str, str] = {}
        sign_in = {"signIn": {"opter_no": "T001", "mac": "00:00", "ip": "127.0.0.1"}}
        if legacy:
            answer = self.call("9001", sign_in, cainfo=secret)
        else:
            answer = self.send(self.envelope("9001", sign_in), headers={"apikey": secret})
        if answer["infcode"] == 0:
            self.sign_no = answer["output"]["signinoutb"]["sign_no"]

    def envelope(self, infno: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
        msgid = f"{self.code}{dt.datetime.now():%Y%m%d%H%M%S}{next(_serial) % 10000:04d}"
        return {"infno": infno, "msgid": msgid, "mdtrtarea_admvs": "330213", "insuplc_admdvs": "330213",
                "recer_sys_code": "YIBAO", "infver": "V1.0", "opter_type": "1", "opter": "T001", "opter_name": "测试",
                "inf_time": now().strftime("%Y-%m-%d %H:%M:%S"), "fixmedins_code": self.code,
                "fixmedins_name": "测试机构", "sign_no": self.sign_no, "input": data, **extra}

    def send(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        answer = self.client.post(PATH, content=simplejson.dumps(body, use_decimal=True),
                                  headers={"content-type": "application/json", **self.headers, **(headers or {})})
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = simplejson.loads(answer.content, use_decimal=True)
        return result

    def call(self, infno: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return self.send(self.envelope(infno, data, **extra))

    def ok(self, infno: str, data: dict[str, Any]) -> dict[str, Any]:
        answer = self.call(infno, data)
        assert answer["infcode"] == 0, answer["err_msg"]
        output: dict[str, Any] = answer["output"]
        return output

    # conveniences for the canonical flows
    def register(self, psn_no: str, day: str) -> str:
        data = {"psn_no": psn_no, "insutype": "390", "begntime": f"{day} 08:30:00", "mdtrt_cert_type": "02",
                "mdtrt_cert_no": CERTNOS.get(psn_no, "x"), "ipt_otp_no": f"MZ{next(_serial)}", "atddr_no": "D1",
                "dr_name": "王医生",
                "dept_code": "A01", "dept_name": "内科", "caty": "A03"}
        return str(self.ok("2201", {"data": data})["data"]["mdtrt_id"])

    def admit(self, psn_no: str, day: str) -> str:
        info = {"psn_no": psn_no, "insutype": "390", "begntime": f"{day} 10:00:00", "mdtrt_cert_type": "02",
                "mdtrt_cert_no": CERTNOS.get(psn_no, "x"), "med_type": "21", "ipt_no": f"ZY{next(_serial)}",
                "atddr_no": "D1",
                "adm_dept_codg": "A03", "adm_dept_name": "内科", "dise_codg": "I10", "dise_name": "高血压"}
        return str(self.ok("2401", {"mdtrtinfo": info})["data"]["mdtrt_id"])

    def fees(self, infno: str, psn_no: str, mdtrt_id: str, day: str, lines: list[tuple[str, str, str]]) -> list[Any]:
        """lines: (catalogue code, count, price)."""
        feedetail = []
        for code, count, price in lines:
            cnt, pric = Decimal(count), Decimal(price)
            feedetail.append({"feedetl_sn": f"F{next(_serial)}", "mdtrt_id": mdtrt_id, "psn_no": psn_no,
                              "chrg_bchno": "B1", "fee_ocur_time": f"{day} 09:00:00", "med_list_codg": code,
                              "medins_list_codg": code, "cnt": cnt, "pric": pric,
                              "det_item_fee_sumamt": (cnt * pric).quantize(Decimal("0.01")), "bilg_dr_codg": "D1",
                              "bilg_dr_name": "王医生"})
        result: list[Any] = self.ok(infno, {"feedetail": feedetail})["result"]
        return result

    def settle_data(self, psn_no: str, mdtrt_id: str, total: Decimal, med_type: str) -> dict[str, Any]:
        return {"data": {"psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": CERTNOS.get(psn_no, "x"),
                         "med_type": med_type,
                         "medfee_sumamt": total, "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "B1",
                         "insutype": "390", "acct_used_flag": "0", "mid_setl_flag": "0"}}


def error_code(answer: dict[str, Any]) -> str | None:
    """The stable code a refusal's err_msg carries (…（错误代码：visit_already_settled）), None for success."""
    found = re.search(r"（错误代码：(\w+)）$", answer["err_msg"]) if answer["infcode"] == -1 else None
    return found.group(1) if found else None


def insured(session: Session, *, birth: str = "1975-04-04", year: int = 2022, local: bool = True,
            name: str = "邬参保", sex: str = "1") -> Person:
    """A person (a man unless `sex` is "2") enrolled and paid for `year` (2022 edition amounts)."""
    person = register_person(session, certno=make_id_number("330283", dt.date.fromisoformat(birth),
                                                           next(_serial) % 500, sex),
                             name=name, local=local, town="yuelin" if local else None)
    enroll_person(session, packaged_editions(), EnrollmentRequest(person.psn_no, year, dt.date(year - 1, 10, 10),
                                                                  "window"), actor="t")
    bill = bills_of(session, person.psn_no)[0]
    if bill.status == "unpaid":
        pay_contribution(session, PaymentRequest(bill.bill_no, "wechat", bill.amount_due, dt.date(year - 1, 10, 11),
                                         f"W{new_id()[:12]}"), actor="t")
    session.commit()
    return person


def legacy_enrollment(session: Session, person: Person, year: int, category: str, edition: str) -> None:
    """An enrollment carried over from the previous system (years whose contribution parameters are unset)."""
    session.add(Enrollment(psn_no=person.psn_no, id=new_id(), year=year, edition=edition, category=category,
                           student=category == "student", channel="window", proxy_name=None, proxy_certno=None,
                           registration_date=dt.date(year - 1, 10, 1), timing="timely", late_exception=None,
                           event_date=None, benefit_start=dt.date(year, 1, 1), benefit_end=dt.date(year, 12, 31),
                           benefit_basis="迁移自原系统", full_subsidy_class=None, personal_amount=Decimal("0"),
                           government_amount=Decimal("0"), status="active", school_name=None, school_class=None,
                           batch_id=None, created_by="migration", created_at=now(), cancelled_at=None,
                           cancel_reason=None))
    session.commit()
