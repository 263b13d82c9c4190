"""The gateway as it runs on SQLite: transactions in the event loop on its own connection, the busiest ones
(1101, 2201, 2204, 2206, 2207) without a Session (statements.DriverUnit). Against a real server on loopback: refusals
write nothing and let the writer lock go, pre-settlement writes nothing, a replay returns the stored answer, a
used msgid is refused, a sign-in found only in the database is honoured, and the ledger balances."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.dbfixtures import backend_url
from tests.gateway.his import CERTNOS, HIS, error_code, insured
from tests.gateway.test_concurrency import CLINIC, D, Server, client_for
from tests.registry.helpers import person
from yibao.accounts.ledger import ledger_balances, unbalanced_entries
from yibao.accounts.models import JournalEntry
from yibao.adapters.gateway import signins
from yibao.demo import ensure_demo_institutions
from yibao.kit.clock import now
from yibao.settlement.models import FeeDetail, GatewayMessage, Settlement, Visit
from yibao.settlement.settle import read_accumulators
from yibao.statements import DriverUnit

TODAY = now().date()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with Server(backend_url("sqlite", tmp_path, "yibao_loop")) as running:
        assert running.app.state.writer_lock is not None and running.app.state.gateway_limiter is None
        with running.session() as session:
            ensure_demo_institutions(session)
        yield running


def counts(server: Server) -> dict[str, int]:
    with server.session() as session:
        return {model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (Visit, FeeDetail, Settlement, JournalEntry, GatewayMessage)}


def test_refusals_write_nothing_and_let_the_lock_go(server: Server) -> None:
    with server.session() as session:
        stranger = person(session).psn_no
        psn_no = insured(session).psn_no
    his = HIS(client_for(server), CLINIC)
    before = counts(server)
    refused = his.call("2201", {"data": {"psn_no": stranger, "insutype": "390", "begntime": f"{D} 08:00:00",
                                         "mdtrt_cert_type": "02", "mdtrt_cert_no": CERTNOS[stranger]}})
    assert refused["infcode"] == -1 and "不能享受医保待遇" in refused["err_msg"]
    assert counts(server) == before
    mdtrt_id = his.register(psn_no, D)
    bad = his.call("2204", {"feedetail": [{"feedetl_sn": "1", "mdtrt_id": mdtrt_id, "psn_no": psn_no,
                                           "fee_ocur_time": f"{D} 09:00:00", "med_list_codg": "NOT-IN-CATALOGUE",
                                           "cnt": 1, "pric": Decimal("10"), "det_item_fee_sumamt": Decimal("10")}]})
    assert bad["infcode"] == -1 and "医保目录中没有编码" in bad["err_msg"]
    assert error_code(bad) == "not_in_catalogue"
    assert counts(server)["FeeDetail"] == 0
    his.fees("2204", psn_no, mdtrt_id, D, [("XJ01CAA040A001010101445", "1", "100")])  # the lock was let go
    assert counts(server)["FeeDetail"] == 1


def test_presettle_settle_replay_and_a_used_msgid(server: Server) -> None:
    with server.session() as session:
        psn_no = insured(session).psn_no
    his = HIS(client_for(server), CLINIC)
    mdtrt_id = his.register(psn_no, D)
    his.fees("2204", psn_no, mdtrt_id, D, [("XJ01CAA040A001010101445", "2", "50")])
    before = counts(server)
    pre = his.call("2206", his.settle_data(psn_no, mdtrt_id, Decimal("100"), "11"))
    assert pre["infcode"] == 0 and counts(server) == before  # pre-settlement writes nothing
    body = his.envelope("2207", his.settle_data(psn_no, mdtrt_id, Decimal("100"), "11"))
    first = his.send(body)
    assert first["infcode"] == 0, first["err_msg"]
    for name in ("medfee_sumamt", "hifp_pay", "psn_part_amt"):
        assert first["output"]["setlinfo"][name] == pre["output"]["setlinfo"][name]
    assert his.send(body) == first  # the same request again: the stored answer, word for word
    other = dict(body, input=his.settle_data(psn_no, mdtrt_id, Decimal("99"), "11"))
    clash = his.send(other)
    assert clash["infcode"] == -1 and "已被另一笔交易使用" in clash["err_msg"]
    with server.session() as session:
        assert session.scalar(select(func.count()).select_from(Settlement)) == 1
        assert read_accumulators(session, psn_no, 2022).outpatient == Decimal("100.00")
        assert unbalanced_entries(session) == []
        assert sum(ledger_balances(session).values(), Decimal(0)) == 0


def test_a_sign_in_known_only_to_the_database_is_honoured(server: Server) -> None:
    with server.session() as session:
        psn_no = insured(session).psn_no
    his = HIS(client_for(server), CLINIC)
    signins.SIGN_INS.clear()  # as in another worker process, or after a restart
    answer: dict[str, Any] = his.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "x"}})
    assert "没有身份证号" in answer["err_msg"]  # got past the sign-in check to the person lookup
    his.sign_no = "20220101000000ffffffffffffffff"
    stale = his.call("2201", {"data": {"psn_no": psn_no, "insutype": "390", "begntime": f"{D} 08:00:00",
                                       "mdtrt_cert_type": "02", "mdtrt_cert_no": "x"}})
    assert stale["infcode"] == -1 and "sign_no" in stale["err_msg"]


def test_a_driver_unit_has_no_orm_to_offer(tmp_path: Path) -> None:
    import sqlite3

    from sqlalchemy.dialects import sqlite

    unit = DriverUnit(sqlite3.connect(tmp_path / "x.sqlite3", isolation_level=None), sqlite.dialect(),
                      write=False, writer=None)
    with pytest.raises(AttributeError, match="scalar"):
        unit.scalar(select(Visit))  # type: ignore[attr-defined]
    unit.close()


def test_the_e_credential_flow_runs_on_the_loops_own_units(server: Server) -> None:
    """1101, 2201 and 2207 by ecToken without a Session (DriverUnit): the token is read, bound to the visit and
    checked at settlement through the repository statements; a token of someone else writes nothing."""
    from tests.credential.helpers import activation, channel
    from yibao.credential.codes import issue_code
    from yibao.credential.service import credential_of

    with server.session() as session:
        holder = insured(session, year=TODAY.year)
        other = insured(session, year=TODAY.year).psn_no
        key = channel(session)
    client = client_for(server)
    assert client.post("/ec/api/activate", json=activation(key, holder)).json()["code"] == 0
    his = HIS(client, CLINIC)
    with server.session() as session:
        credential = credential_of(session, holder.psn_no)
    assert credential is not None
    code = issue_code(server.app.state.ec_keys, credential.ec_index_no, now(), server.app.state.ec_params)
    decoded = client.post("/ec/api/query", headers={"fixmedins_code": CLINIC, "sign_no": his.sign_no or ""},
                          json={"data": {"orgId": CLINIC, "businessType": "01101", "operatorId": "T1",
                                         "operatorName": "甲", "qrCode": code.text}}).json()
    token = decoded["data"]["ecToken"]
    assert his.ok("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": token}})["baseinfo"]["psn_no"] == (
        holder.psn_no)
    before = counts(server)
    data = {"psn_no": other, "insutype": "390", "begntime": f"{TODAY} 08:00:00", "mdtrt_cert_type": "01",
            "mdtrt_cert_no": token}
    assert error_code(his.call("2201", {"data": data})) == "ec_token_other_person"
    assert counts(server) == before
    mdtrt_id = his.ok("2201", {"data": data | {"psn_no": holder.psn_no}})["data"]["mdtrt_id"]
    his.fees("2204", holder.psn_no, mdtrt_id, str(TODAY), [("XJ01CAA040A001010101445", "1", "20")])
    settle = his.settle_data(holder.psn_no, mdtrt_id, Decimal("20"), "11")
    settle["data"] |= {"mdtrt_cert_type": "01", "mdtrt_cert_no": token}
    assert his.ok("2207", settle)["setlinfo"]["mdtrt_cert_type"] == "01"
