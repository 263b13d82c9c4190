"""The audit rules at the gateway on both databases (audit/realtime.py, adapters/gateway/review.py): a refusing rule
stops 2206/2207 with its code and writes nothing; a warning rule lets 2207 settle and keeps the finding; the
institution suspended by a decision is refused at its next 2201; 3101/3102 answer in the national result shape."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.audit.helpers import CHILD_ONLY, FEMALE_ONLY, audit_world
from tests.gateway.conftest import COMMUNITY
from tests.gateway.his import HIS, error_code, insured
from yibao.audit import service
from yibao.audit.models import AuditFinding
from yibao.audit.sanctions import SanctionIn
from yibao.institutions.service import register_device
from yibao.people.service import record_death
from yibao.settlement.models import Settlement

D = "2022-06-15"
PHARMACY = "P33021300001"


def test_a_refusing_rule_stops_the_settlement(his: Callable[[str], HIS], session: Session) -> None:
    audit_world(session)
    session.commit()
    person = insured(session)
    clinic = his(COMMUNITY)
    mdtrt_id = clinic.register(person.psn_no, D)
    clinic.fees("2204", person.psn_no, mdtrt_id, D, [(FEMALE_ONLY, "1", "30")])  # RD01 (refuse) for a man
    for infno in ("2206", "2207"):
        answer = clinic.call(infno, clinic.settle_data(person.psn_no, mdtrt_id, Decimal("30.00"), "11"))
        assert error_code(answer) == "audit_rule_refused", answer["err_msg"]
        assert "RD01" in answer["err_msg"] and "限女性" in answer["err_msg"]
    assert session.scalar(select(func.count()).select_from(Settlement)) == 0


def test_the_card_of_a_person_who_died_is_refused(his: Callable[[str], HIS], session: Session) -> None:
    audit_world(session)
    person = insured(session)
    record_death(session, psn_no=person.psn_no, died_on=dt.date(2022, 6, 1), source="公安户籍注销")
    session.commit()
    clinic = his(COMMUNITY)
    mdtrt_id = clinic.register(person.psn_no, D)
    clinic.fees("2204", person.psn_no, mdtrt_id, D, [("001101000010000", "1", "10")])
    answer = clinic.call("2207", clinic.settle_data(person.psn_no, mdtrt_id, Decimal("10.00"), "11"))
    assert error_code(answer) == "audit_rule_refused" and "MM04" in answer["err_msg"], answer["err_msg"]
    assert "已于 2022-06-01 死亡" in answer["err_msg"]
    assert session.scalar(select(func.count()).select_from(Settlement)) == 0


def test_a_warning_rule_settles_and_keeps_the_finding(his: Callable[[str], HIS], session: Session) -> None:
    audit_world(session)
    session.commit()
    person = insured(session)
    clinic = his(COMMUNITY)
    mdtrt_id = clinic.register(person.psn_no, D)
    clinic.fees("2204", person.psn_no, mdtrt_id, D, [("XJ01CAA040A001010101445", "2", "40")])  # doctor D1
    done = clinic.call("2207", clinic.settle_data(person.psn_no, mdtrt_id, Decimal("80.00"), "11"))
    assert done["infcode"] == 0, done["err_msg"]
    finding = session.scalars(select(AuditFinding).where(AuditFinding.mdtrt_id == mdtrt_id)).one()
    assert (finding.rule_id, finding.scene, finding.scan_id) == ("ND01", "during", None)
    scan = service.run_scan(session, start=person.created_at.date().replace(year=2022, month=6, day=1),
                            end=person.created_at.date().replace(year=2022, month=6, day=30), actor="auditor")
    found = session.scalars(select(AuditFinding).where(AuditFinding.rule_id == "ND01",
                                                        AuditFinding.mdtrt_id == mdtrt_id)).all()
    assert "ND01" in scan.by_rule  # the lines' doctor found once (at the counter); the attending doctor by the scan
    assert sorted((f.scan_id is None, "接诊" in f.content) for f in found) == [(False, True), (True, False)]


def test_a_settlement_from_a_terminal_of_another_institution_is_kept_as_a_finding(his: Callable[[str], HIS],
                                                                                 session: Session) -> None:
    audit_world(session)
    register_device(session, fixmedins_code=COMMUNITY, dev_no="JP-WIN-1", name="收费处1号窗口")
    register_device(session, fixmedins_code=PHARMACY, dev_no="SHOP-POS", name="药店收银台")
    session.commit()
    person = insured(session)
    clinic = his(COMMUNITY)
    settled = []
    for dev_no in ("JP-WIN-1", "SHOP-POS"):
        mdtrt_id = clinic.register(person.psn_no, D)
        clinic.fees("2204", person.psn_no, mdtrt_id, D, [("001101000010000", "1", "10")])
        done = clinic.call("2207", clinic.settle_data(person.psn_no, mdtrt_id, Decimal("10.00"), "11"), dev_no=dev_no)
        assert done["infcode"] == 0, done["err_msg"]  # ND03 warns: the settlement goes on
        settled.append(mdtrt_id)
    session.expire_all()
    rows = session.execute(select(Settlement.mdtrt_id, Settlement.dev_no).where(Settlement.psn_no == person.psn_no)
                           .order_by(Settlement.setl_time, Settlement.mdtrt_id)).all()
    assert sorted(rows) == sorted(zip(settled, ("JP-WIN-1", "SHOP-POS"), strict=True))
    finding = session.scalars(select(AuditFinding).where(AuditFinding.rule_id == "ND03")).one()
    assert finding.mdtrt_id == settled[1] and f"登记在 {PHARMACY}" in finding.content and finding.scan_id is None
    scan = service.run_scan(session, start=dt.date(2022, 6, 1), end=dt.date(2022, 6, 30), actor="auditor",
                            rules=["ND03"])
    assert scan.findings == 0 and "ND03" in scan.by_rule  # the scan meets it again and keeps it once


def test_a_suspension_decided_by_audit_refuses_the_next_visit(his: Callable[[str], HIS], session: Session) -> None:
    audit_world(session)
    case = service.open_case(session, title="串换药品", vola_type="swap", fixmedins_code=PHARMACY, actor="auditor")
    service.propose(session, case.id, sanctions=[SanctionIn("suspension", months=6)], actor="auditor")
    service.decide(session, case.id, actor="admin")
    session.commit()
    person = insured(session, year=2026)
    shop = his(PHARMACY)
    answer = shop.call("2201", {"data": {"psn_no": person.psn_no, "insutype": "390", "begntime": "2026-12-01 09:00:00",
                                         "mdtrt_cert_type": "02", "mdtrt_cert_no": person.certno, "med_type": "41",
                                         "ipt_otp_no": "Y1", "atddr_no": "D1", "dr_name": "药师"}})
    assert error_code(answer) == "institution_suspended", answer["err_msg"]


def review_input(orders: list[dict[str, object]], *, gend: str = "1", brdy: str = "1951-08-27") -> dict[str, object]:
    return {"data": {"rule_ids": [], "trig_scen": "1", "syscode": "HIS", "patient_dtos": [{
        "patn_id": "P1058158", "patn_name": "李某", "gend": gend, "brdy": brdy, "poolarea": "330213",
        "curr_mdtrt_id": "2001668", "fsi_encounter_dtos": [{
            "mdtrt_id": "2001668", "medins_id": COMMUNITY, "medins_name": "锦屏", "med_type": "11",
            "dscg_main_dise_codg": "J06.9", "dr_codg": "D1",
            "fsi_diagnose_dtos": [{"dise_codg": "J06.9", "dise_name": "上呼吸道感染", "maindise_flag": 1}],
            "fsi_order_dtos": orders}]}]}}


def test_3101_and_3102_answer_in_the_national_shape(his: Callable[[str], HIS], session: Session) -> None:
    audit_world(session)
    session.commit()
    clinic = his(COMMUNITY)
    orders = [{"rx_id": "6374", "rxno": "RX1", "hilist_code": CHILD_ONLY, "hilist_name": "小儿氨酚", "cnt": 2,
               "pric": Decimal("12.5"), "sumamt": Decimal("25"), "drord_begn_date": "2026-12-01 10:00:00",
               "drord_dr_codg": f"D{COMMUNITY}01"},
              {"rx_id": "6375", "rxno": "RX1", "hilist_code": "XJ01CAA040A001010101445", "hilist_name": "阿莫西林",
               "cnt": 1, "pric": 10, "sumamt": 10, "drord_begn_date": "2026-12-01 10:00:00",
               "drord_dr_codg": f"D{COMMUNITY}01"}]
    result = clinic.ok("3101", review_input(orders))["result"]
    assert [r["rule_id"] for r in result] == ["RD02"]  # a 75-year-old: the children's item
    hit = result[0]
    assert set(hit) == {"jr_id", "rule_id", "rule_name", "vola_cont", "patn_id", "mdtrt_id",
                        "judge_result_detail_dtos", "vola_amt", "vola_amt_stas", "sev_deg", "vola_evid",
                        "vola_bhvr_type", "task_id"}
    assert (hit["patn_id"], hit["mdtrt_id"], hit["vola_amt"], hit["sev_deg"]) == ("P1058158", "2001668",
                                                                                  Decimal("25.00"), "1")
    assert [d["rx_id"] for d in hit["judge_result_detail_dtos"]] == ["6374"] and "社会保险法" in hit["vola_evid"]
    assert clinic.ok("3101", review_input(orders, brdy="2018-01-01"))["result"] == []  # a child: in order
    stranger = [dict(orders[1], drord_dr_codg="D999")]
    assert clinic.ok("3101", review_input(stranger))["result"] == []  # ND01 is a 事中 rule
    assert [r["rule_id"] for r in clinic.ok("3102", review_input(stranger))["result"]] == ["ND01"]
    bad = clinic.call("3101", {"data": {"patient_dtos": [{"patn_id": "1", "gend": "1"}]}})
    assert bad["infcode"] == -1 and "brdy" in bad["err_msg"]
