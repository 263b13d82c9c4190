"""The family's accounts at the counter over HTTP (POLICY.md §11; issue 14 item 5), on both databases: 2206 shows
the draw without drawing it, 2207 draws it unless acct_used_flag is 0, setlinfo carries acct_pay,
acct_mulaid_pay, psn_cash_pay and balc, 1101 the balance usable, and 2601 gives the money back."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.accounts.family import Family, family
from tests.gateway.conftest import COMMUNITY
from tests.gateway.his import HIS
from yibao.accounts.family import balance, mutual_account
from yibao.accounts.ledger import unbalanced_entries

D = "2022-06-15"
AMOXICILLIN = "XJ01CAA040A001010101445"  # 甲类: 80.00 at a community centre → personal share 32.00


@pytest.fixture
def fam(his: Callable[[str], HIS], session: Session) -> Family:
    return family(session)


def counter(his: Callable[[str], HIS], fam: Family, flag: str) -> tuple[HIS, dict[str, Any]]:
    clinic = his(COMMUNITY)
    psn_no = fam.father.psn_no
    mdtrt_id = clinic.register(psn_no, D)
    clinic.fees("2204", psn_no, mdtrt_id, D, [(AMOXICILLIN, "2", "40")])
    data = clinic.settle_data(psn_no, mdtrt_id, Decimal("80.00"), "11")
    data["data"]["acct_used_flag"] = flag
    return clinic, data


def money(info: dict[str, Any], *names: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(str(info[name])) for name in names)


def test_presettlement_shows_and_settlement_draws_the_mutual_aid_account(his: Callable[[str], HIS], fam: Family,
                                                                           session: Session) -> None:
    clinic, data = counter(his, fam, "1")
    pre = clinic.ok("2206", data)["setlinfo"]
    assert money(pre, "psn_part_amt", "acct_pay", "acct_mulaid_pay", "psn_cash_pay", "balc") == (
        Decimal("32.00"), Decimal("0.00"), Decimal("32.00"), Decimal("0.00"), Decimal("268.00"))
    assert balance(session, mutual_account(fam.initiator.psn_no)) == Decimal("300.00")  # nothing drawn yet
    body = clinic.envelope("2207", data)
    answer = clinic.send(body)
    assert answer["infcode"] == 0, answer["err_msg"]
    info = answer["output"]["setlinfo"]
    assert money(info, "acct_mulaid_pay", "psn_cash_pay", "balc") == (Decimal("32.00"), Decimal("0.00"),
                                                                      Decimal("268.00"))
    assert balance(session, mutual_account(fam.initiator.psn_no)) == Decimal("268.00")
    person = clinic.ok("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": fam.father.certno,
                                         "psn_cert_type": "01", "certno": fam.father.certno}})
    assert {Decimal(str(i["balc"])) for i in person["insuinfo"]} == {Decimal("268.00")}
    undo = clinic.call("2601", {"data": {"psn_no": fam.father.psn_no, "omsgid": body["msgid"], "oinfno": "2207"}})
    assert undo["infcode"] == 0, undo["err_msg"]
    assert balance(session, mutual_account(fam.initiator.psn_no)) == Decimal("300.00")
    assert unbalanced_entries(session) == []


def test_acct_used_flag_0_pays_all_in_cash_and_2208_gives_back(his: Callable[[str], HIS], fam: Family,
                                                                 session: Session) -> None:
    clinic, data = counter(his, fam, "0")
    info = clinic.ok("2207", data)["setlinfo"]
    assert money(info, "acct_pay", "acct_mulaid_pay", "psn_cash_pay", "balc") == (
        Decimal("0.00"), Decimal("0.00"), Decimal("32.00"), Decimal("300.00"))
    clinic.ok("2208", {"data": {"psn_no": fam.father.psn_no, "mdtrt_id": data["data"]["mdtrt_id"],
                                "setl_id": info["setl_id"]}})
    data["data"]["acct_used_flag"] = "1"
    drawn = clinic.ok("2207", data)["setlinfo"]
    assert money(drawn, "acct_mulaid_pay") == (Decimal("32.00"),)
    clinic.ok("2208", {"data": {"psn_no": fam.father.psn_no, "mdtrt_id": data["data"]["mdtrt_id"],
                                "setl_id": drawn["setl_id"]}})
    assert balance(session, mutual_account(fam.initiator.psn_no)) == Decimal("300.00")


def test_a_bad_acct_used_flag_is_a_field_error(his: Callable[[str], HIS], fam: Family) -> None:
    clinic, data = counter(his, fam, "2")
    answer = clinic.call("2207", data)
    assert answer["infcode"] == -1 and "acct_used_flag" in answer["err_msg"]


def test_an_inpatient_stay_draws_one_account_and_2305_gives_it_back(his: Callable[[str], HIS], fam: Family,
                                                                      session: Session) -> None:
    """2303/2304 as 2206/2207: the father's stay leaves 4,050.00 to him (POLICY.md §5 worked example at a 三甲);
    the initiator's 300.00 pays what it can, the spouse's 200.00 is not touched (one account a settlement)."""
    from tests.gateway.conftest import FIRST

    hospital = his(FIRST)
    psn_no = fam.father.psn_no
    mdtrt_id = hospital.admit(psn_no, "2022-03-01")
    hospital.fees("2301", psn_no, mdtrt_id, "2022-03-02", [("XJ01CAA040A001010101445", "1", "10000")])
    hospital.ok("2402", {"dscginfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "endtime": "2022-03-10 10:00:00",
                                      "dscg_way": "1"}})
    data = hospital.settle_data(psn_no, mdtrt_id, Decimal("10000"), "21")
    data["data"]["acct_used_flag"] = "1"
    pre = hospital.ok("2303", data)["setlinfo"]
    assert money(pre, "acct_mulaid_pay", "psn_cash_pay") == (Decimal("300.00"), Decimal("3750.00"))
    setl = hospital.ok("2304", data)["setlinfo"]
    assert money(setl, "psn_part_amt", "acct_mulaid_pay", "psn_cash_pay", "balc") == (
        Decimal("4050.00"), Decimal("300.00"), Decimal("3750.00"), Decimal("200.00"))
    assert balance(session, mutual_account(fam.spouse.psn_no)) == Decimal("200.00")
    hospital.ok("2305", {"data": {"setl_id": setl["setl_id"], "mdtrt_id": mdtrt_id, "psn_no": psn_no}})
    assert balance(session, mutual_account(fam.initiator.psn_no)) == Decimal("300.00")
