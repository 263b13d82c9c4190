"""Civil affairs' temporary assistance in the high-cost relief (issue 17 item 4; POLICY.md §7; S22 news: the
self-pay that remains "after basic insurance, serious illness, medical assistance and the civil-affairs temporary
assistance", accumulated over the year, is relieved in full above 30,000), on both databases: the file from civil
affairs imported whole or not at all and once, the grants the standing of a recipient carries on a day, and the
relief's rule as a property over amounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.dbfixtures import sign_in
from tests.gateway.his import CERTNOS, insured
from yibao.errors import InvalidInput
from yibao.kit.money import round_money
from yibao.people.assistance import import_temporary_assistance
from yibao.people.models import TemporaryAssistance
from yibao.people.service import add_certificate
from yibao.policy.chain import Accumulators, Claim, Insured, medical_assistance
from yibao.policy.editions import Benefit, Level, packaged_editions
from yibao.settlement.standing import standing_on

EDITIONS = packaged_editions()
HEADER = "身份证号,姓名,救助金额,发放日期,救助编号\n"


def grants(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(TemporaryAssistance)) or 0)


def test_the_file_is_taken_whole_once_and_the_standing_carries_the_year_s_grants(session: Session) -> None:
    person = insured(session, name="邬救助")
    add_certificate(session, psn_no=person.psn_no, kind="minimum_living", cert_no="DB-1",
                    valid_from=dt.date(2022, 1, 1), valid_to=None)
    certno = CERTNOS[person.psn_no]
    good = (f"{certno},邬救助,3000,2022-04-01,MZ-1\n{certno},邬救助,1500.50,2022-08-01,MZ-2\n"
            f"{certno},邬救助,800,2021-12-01,MZ-0\n")
    bad_files = {
        HEADER + good + f"{certno},别人,100,2022-05-01,MZ-3\n": "第 5 行：姓名",
        HEADER + good + f"{certno},邬救助,-1,2022-05-01,MZ-3\n": "第 5 行：救助金额应大于 0",
        HEADER + good + f"{certno},邬救助,1.005,2022-05-01,MZ-3\n": "第 5 行：救助金额",
        HEADER + good + f"{certno},邬救助,100,2022-13-01,MZ-3\n": "第 5 行：发放日期",
        HEADER + good + f"{certno},邬救助,100,2022-05-01,MZ-1\n": "第 5 行：救助编号 MZ-1 已导入过",
        HEADER + good + "330283197504040000,邬救助,100,2022-05-01,MZ-4\n": "第 5 行：身份证号",
    }
    for content, where in bad_files.items():
        with pytest.raises(InvalidInput) as refused:
            import_temporary_assistance(session, "mz.csv", content.encode("gbk"), file_id="MZ2022-05", actor="t")
        assert where in str(refused.value), str(refused.value)
        assert grants(session) == 0
    done = import_temporary_assistance(session, "mz.csv", (HEADER + good).encode("gbk"), file_id="MZ2022-05",
                                       actor="t")
    assert (done.grants, done.amount, done.already) == (3, Decimal("5300.50"), False)
    again = import_temporary_assistance(session, "mz.csv", (HEADER + good).encode(), file_id="MZ2022-05", actor="t")
    assert again.already and grants(session) == 3  # the same file id: nothing written
    with pytest.raises(InvalidInput, match="MZ-1 已导入过"):
        import_temporary_assistance(session, "mz2.csv", (HEADER + good).encode(), file_id="MZ2022-06", actor="t")

    def carried(day: str) -> Decimal:
        return standing_on(session, EDITIONS, person.psn_no, dt.date.fromisoformat(day)).insured.temporary_assistance

    assert carried("2022-03-31") == 0  # the 2021 grant is another year's
    assert carried("2022-04-01") == Decimal("3000")
    assert carried("2022-12-31") == Decimal("4500.50")
    other = insured(session, name="邬普通")  # not a recipient: nothing to deduct, nothing read
    assert standing_on(session, EDITIONS, other.psn_no, dt.date(2022, 9, 1)).insured.temporary_assistance == 0


amounts = st.decimals(min_value=0, max_value=200_000, places=2)


@settings(max_examples=300)
@given(before=amounts, left=amounts, temporary=amounts)
def test_the_relief_counts_the_remaining_self_pay_net_of_the_temporary_assistance(
        before: Decimal, left: Decimal, temporary: Decimal) -> None:
    """POLICY.md §7a step 4 with §7: relief = 100% of the part of [S − T, S − T + r] above 30,000 (ordinary rate
    0 until set), so it never exceeds r, never grows with T, and with T = 0 is the rule as before."""
    edition = EDITIONS.get("2022")
    claim = Claim("c", Benefit.INPATIENT, dt.date(2022, 6, 1), Level.TERTIARY_A, ())
    recipient = Insured("adult", assistance_class="minimum_living", temporary_assistance=temporary)
    maf, counted, _ = medical_assistance(edition, recipient, claim, left, Accumulators(assistance_selfpay=before))
    start = before - temporary
    assert maf == round_money(max(Decimal(0), min(left, start + left - 30_000)))
    assert Decimal(0) <= maf <= left and counted == left - maf
    plain, _, _ = medical_assistance(edition, Insured("adult", assistance_class="minimum_living"), claim, left,
                                     Accumulators(assistance_selfpay=before))
    assert maf <= plain


def test_the_api_imports_the_file_and_lists_a_person_s_grants(client: TestClient, session: Session) -> None:
    person = insured(session, name="邬接口")
    clerk, viewer = sign_in(client, session, "clerk"), sign_in(client, session, "readonly")
    content = (HEADER + f"{CERTNOS[person.psn_no]},邬接口,2000,2022-03-01,MZ-9\n").encode()
    files = {"file": ("mz.csv", content, "text/csv")}
    assert client.post("/api/civil-assistance", headers=viewer, files=files,
                       data={"file_id": "B1"}).status_code == 403
    done = client.post("/api/civil-assistance", headers=clerk, files=files, data={"file_id": "B1"})
    assert done.status_code == 200 and done.json() == {"file_id": "B1", "grants": 1, "amount": "2000.00",
                                                       "already": False}
    listed = client.get(f"/api/persons/{person.psn_no}/civil-assistance", headers=viewer).json()
    assert [(g["ref"], g["amount"]) for g in listed] == [("MZ-9", "2000.00")]
