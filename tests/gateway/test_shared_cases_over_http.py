"""Every worked case (tests/cases/worked, and ../shared/cases when present) driven through the gateway over HTTP
reproduces the calculator's amounts and accumulators (issue 4 "Done when")."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.cases.test_shared_cases import CASE_FILES
from tests.gateway.his import HIS, legacy_enrollment
from yibao.filings.service import file_special_disease
from yibao.institutions.service import add_catalogue_item, register_institution, set_selfpay
from yibao.kit.idcard import make_id_number
from yibao.people.service import add_certificate, register_person
from yibao.policy.chain import AMOUNT_FIELDS
from yibao.settlement.settle import read_accumulators

INSTITUTION_BY_LEVEL = {"tertiary_a": "H33020000001", "tertiary_b": "H33021300001", "other": "H33021300002",
                        "community": "H33021300003", "tertiary_c": "H33021300099"}
ITEM = itertools.count(1)
BIRTH = {"adult": "1970-01-01", "adult_a": "1960-01-01", "adult_b": "1960-01-01", "infant": "2020-01-01",
         "minor": "2008-01-01", "student": "2010-01-01"}


def catalogue_code(session: Session, line: dict[str, Any]) -> tuple[str, Decimal]:
    """A catalogue item that makes this scenario line split as SCENARIO.md says; returns (code, price)."""
    amount = Decimal(line["amount"])
    over = Decimal(line.get("overlimit", "0"))
    code = f"CASE{next(ITEM):06d}"
    add_catalogue_item(session, code=code, name=code, item_class=line["class"], category="drug",
                       price_ceiling=amount - over if over else None)
    if "selfpay_prop" in line:
        set_selfpay(session, code=code, selfpay_prop=Decimal(line["selfpay_prop"]), valid_from=dt.date(2018, 1, 1))
    return code, amount


def setup_person(session: Session, case: dict[str, Any]) -> Any:
    p = case["person"]
    category = p["category"]
    person = register_person(session, certno=make_id_number("330283", dt.date.fromisoformat(BIRTH[category]),
                                                            next(ITEM) % 500, "1"), name="案例", local=True,
                             town="xiwu")
    for year in sorted({int(c["date"][:4]) for c in case["claims"]}):
        legacy_enrollment(session, person, year, category, "2018" if year < 2022 else "2022")
    if p.get("special_disease_patient"):
        file_special_disease(session, psn_no=person.psn_no, disease_code="M07803",
                             fixmedins_code="H33020000001", begndate=dt.date(2018, 1, 1))
    if p.get("assistance_class"):
        add_certificate(session, psn_no=person.psn_no, kind=p["assistance_class"], cert_no="JZ-1",
                        valid_from=dt.date(2018, 1, 1), valid_to=None)
    session.commit()
    return person


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case_over_the_gateway(path: Path, his: Callable[[str], HIS], session: Session) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    register_institution(session, fixmedins_code="H33021300099", name="三丙医院（测试）", kind="hospital",
                         hosp_lv="04", secret="yibao-his-demo")
    person = setup_person(session, case)
    for claim, want in zip(case["claims"], case["expected"]["claims"], strict=True):
        lines = claim.get("lines") or [{"amount": claim["amount"], "class": "A"}]
        items = [catalogue_code(session, line) for line in lines]
        session.commit()
        hospital = his(INSTITUTION_BY_LEVEL[claim["level"]])
        day = claim["date"]
        if claim["benefit"] == "inpatient":
            admitted = (dt.date.fromisoformat(day) - dt.timedelta(days=2)).isoformat()
            mdtrt_id = hospital.admit(person.psn_no, admitted)
            hospital.fees("2301", person.psn_no, mdtrt_id, admitted, [(code, "1", str(p)) for code, p in items])
            hospital.ok("2402", {"dscginfo": {"mdtrt_id": mdtrt_id, "psn_no": person.psn_no,
                                              "endtime": f"{day} 09:00:00"}})
            infno, med_type = "2304", "21"
        else:
            mdtrt_id = hospital.register(person.psn_no, day)
            med_type = "14" if claim["benefit"] == "special_disease" else "11"
            hospital.ok("2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": person.psn_no, "med_type": med_type,
                                               "begntime": f"{day} 08:30:00"}})
            hospital.fees("2204", person.psn_no, mdtrt_id, day, [(code, "1", str(p)) for code, p in items])
            infno = "2207"
        total = sum((p for _, p in items), Decimal(0))
        setl = hospital.ok(infno, hospital.settle_data(person.psn_no, mdtrt_id, total, med_type))["setlinfo"]
        for key in AMOUNT_FIELDS:
            assert f"{setl[key]:.2f}" == want[key], f"{path.name} {want['id']} {key}"
    for year, expected in case["expected"]["accumulators"].items():
        got = {k: f"{v:.2f}" for k, v in read_accumulators(session, person.psn_no, int(year)).as_dict().items()}
        assert got == expected
