"""3101 明细审核事前分析服务 and 3102 明细审核事中分析服务: the HIS sends a patient's encounters with their orders
(patient_dtos → fsi_encounter_dtos → fsi_diagnose_dtos, fsi_order_dtos) and yibao answers with the audit rules'
violations in the national result shape (jr_id, rule_id, rule_name, vola_cont, patn_id, mdtrt_id,
judge_result_detail_dtos, vola_amt, vola_amt_stas, sev_deg, vola_evid, vola_bhvr_type, task_id). Field names as
public HIS clients send and read them (ZeroMarker/intersystems `easyui/index.js`; the 3101 result models of
several HIS projects). 3101 runs the rules of the 事前 scene, 3102 those of 事前 and 事中; the line judges are the
batch scan's (audit/detect.py). Read-only: nothing is recorded (the settlement's own check records its warnings).

ASSUMPTIONS: vola_amt_stas "1" (computed); vola_item_type "1" (an order line); sev_deg 1 明确违规 / 2 高度可疑;
vola_bhvr_type the rule book's national code of the violation type (rules.yaml `types`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from yibao.adapters.gateway.envelope import Fields, GatewayInputError, money_out
from yibao.adapters.gateway.transactions import Context, transaction
from yibao.audit.realtime import Order, facts_of, judge_orders
from yibao.audit.rules import Rule, RuleBook, Scene, rule_book
from yibao.kit.clock import now
from yibao.kit.ids import new_id
from yibao.kit.money import ZERO, round_money

SCENES = {"3101": (Scene.BEFORE,), "3102": (Scene.BEFORE, Scene.DURING)}


def _rules(book: RuleBook, infno: str, wanted: Sequence[str]) -> list[Rule]:
    return [rule for rule in book.rules if rule.scene in SCENES[infno] and (not wanted or rule.id in wanted)]


def _orders(encounter: Fields) -> list[Order]:
    if not encounter.raw("fsi_order_dtos"):
        return []
    orders = []
    for order in encounter.items("fsi_order_dtos"):
        cnt = order.req_number("cnt", places=4)
        pric = order.req_number("pric", places=6)
        amount = order.money("sumamt", required=False)
        orders.append(Order(order.text("rx_id", required=False, max_len=50) or order.req("rxno", max_len=50),
                            order.req("hilist_code", max_len=50), cnt, pric,
                            amount if amount is not None else round_money(cnt * pric),  # as 2204 checks a line
                            amount if amount is not None else ZERO,
                            order.time("drord_begn_date", required=False) or now(),
                            order.text("drord_dr_codg", required=False, max_len=30)))
    return orders


def _main_diagnosis(encounter: Fields) -> str | None:
    main = encounter.text("dscg_main_dise_codg", required=False, max_len=30)
    if encounter.raw("fsi_diagnose_dtos"):
        for diagnosis in encounter.items("fsi_diagnose_dtos"):
            if str(diagnosis.raw("maindise_flag")) == "1":
                return diagnosis.text("dise_codg", required=False, max_len=30) or main
    return main


def _result(rule: Rule, book: RuleBook, patn_id: str, mdtrt_id: str, found: list[Any]) -> dict[str, Any]:
    amount = sum((line.amount for line, _ in found), ZERO)
    sources = "；".join(p.source for p in rule.params.values())
    return {
        "jr_id": new_id(), "rule_id": rule.id, "rule_name": rule.name,
        "vola_cont": "；".join(dict.fromkeys(reason for _, reason in found))[:500],
        "patn_id": patn_id, "mdtrt_id": mdtrt_id,
        "judge_result_detail_dtos": [
            {"jrd_id": new_id(), "patn_id": patn_id, "mdtrt_id": mdtrt_id, "rx_id": line.feedetl_sn,
             "vola_item_type": "1", "vola_amt": money_out(line.amount)} for line, _ in found],
        "vola_amt": money_out(amount), "vola_amt_stas": "1", "sev_deg": rule.severity,
        "vola_evid": f"{book.legal_basis}；{book.source}" + (f"；{sources}" if sources else ""),
        "vola_bhvr_type": book.types[rule.type].national, "task_id": "",
    }


def review(ctx: Context) -> tuple[Any, None]:
    data = ctx.input.child("data")
    book = rule_book()
    wanted = [str(rule) for rule in data.raw("rule_ids") or [] if rule]
    rules = _rules(book, ctx.infno, wanted)
    results = []
    for patient in data.items("patient_dtos"):
        patn_id = patient.req("patn_id", max_len=50)
        sex = patient.req("gend", choices=("1", "2", "0", "9"))
        birth = patient.req_time("brdy").date()
        for encounter in patient.items("fsi_encounter_dtos"):
            mdtrt_id = encounter.req("mdtrt_id", max_len=50)
            orders = _orders(encounter)
            facts = facts_of(ctx.session, orders, institution=ctx.institution, sex=sex, birth_date=birth,
                             dise_codg=_main_diagnosis(encounter), day=orders[0].when.date() if orders else None)
            for rule, found in judge_orders(facts, rules):
                results.append(_result(rule, book, patn_id, mdtrt_id, found))
    if wanted and not rules:
        raise GatewayInputError(f"rule_ids 中没有本场景可用的规则（{'、'.join(wanted)}）", field="input.data.rule_ids")
    return {"result": results}, None


transaction("3101", "明细审核事前分析服务", writes=False)(review)
transaction("3102", "明细审核事中分析服务", writes=False)(review)
