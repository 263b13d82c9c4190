"""The clearing statement as the institution downloads it (清算单, Excel): the summary by fund and benefit with
the deductions and the payable, then every settlement and cancellation it took."""

from __future__ import annotations

import io
import json
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from yibao.clearing.models import Clearing
from yibao.clearing.service import DEDUCTION_KINDS, STATUS_LABELS, ClearingStatus, deductions_of, statement_lines
from yibao.glossary import AMOUNT_LABELS, FUNDS, MED_TYPE_LABELS
from yibao.institutions.service import institution_record
from yibao.policy.editions import BENEFIT_LABELS, Benefit

MONEY = "#,##0.00"
LINE_FIELDS = ("medfee_sumamt", "hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "acct_pay", "acct_mulaid_pay",
               "psn_cash_pay")


def _money(cell: object) -> None:
    cell.number_format = MONEY  # type: ignore[attr-defined]


def statement_filename(clearing: Clearing) -> str:
    return f"clearing-{clearing.fixmedins_code}-{clearing.month}.xlsx"


def statement_xlsx(session: Session, clearing: Clearing) -> bytes:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "清算汇总"
    place = institution_record(session, clearing.fixmedins_code)
    summary.append([f"奉化区城乡居民医保定点医药机构清算单 {clearing.month}"])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(["机构", f"{clearing.fixmedins_code} {place.name if place else ''}"])
    summary.append(["状态", STATUS_LABELS[ClearingStatus(clearing.status)]])
    summary.append(["清算单号", clearing.id])
    summary.append(["结算笔数（含撤销）", clearing.settlements])
    summary.append([])
    summary.append(["项目", "金额（元）"])
    rows: list[tuple[str, Decimal]] = [(AMOUNT_LABELS["medfee_sumamt"], clearing.medfee_sumamt)]
    rows += [(f"{fund.label}（{fund.code}）", getattr(clearing, fund.amount_field)) for fund in FUNDS]
    rows += [(AMOUNT_LABELS["fund_pay_sumamt"], clearing.fund_pay_sumamt),
             ("个人账户及共济账户支付", clearing.acct_pay), ("个人现金支付（机构已收）", clearing.psn_cash_pay),
             ("稽查扣减（不予支付、追回）", -clearing.deductions), ("应付机构金额", clearing.payable)]
    for label, amount in rows:
        summary.append([label, amount])
        _money(summary.cell(summary.max_row, 2))
    summary.append([])
    summary.append(["待遇类别", "笔数", "医疗费总额", "基金支付"])
    for benefit, figures in json.loads(clearing.by_benefit).items():
        summary.append([BENEFIT_LABELS[Benefit(benefit)], int(figures["count"]), Decimal(figures["medfee_sumamt"]),
                        Decimal(figures["fund_pay_sumamt"])])
        _money(summary.cell(summary.max_row, 3))
        _money(summary.cell(summary.max_row, 4))
    deductions = deductions_of(session, clearing.id)
    if deductions:
        summary.append([])
        summary.append(["扣减类型", "基金", "金额", "结算编号", "稽查案件", "原因"])
        for d in deductions:
            summary.append([DEDUCTION_KINDS[d.kind], d.fund, d.amount, d.setl_id or "", d.case_ref or "", d.reason])
            _money(summary.cell(summary.max_row, 3))
    summary.column_dimensions["A"].width = 28
    summary.column_dimensions["B"].width = 22
    lines = book.create_sheet("结算明细")
    lines.append(["结算编号", "结算时间", "就诊编号", "人员编号", "医疗类别", "类型",
                  *(AMOUNT_LABELS[name] for name in LINE_FIELDS)])
    for row in statement_lines(session, clearing.id):
        lines.append([row.setl_id, row.setl_time, row.mdtrt_id, row.psn_no,
                      MED_TYPE_LABELS.get(row.med_type, row.med_type), "撤销" if row.kind == "cancel" else "结算",
                      *(getattr(row, name) for name in LINE_FIELDS)])
        for column in range(7, 7 + len(LINE_FIELDS)):
            _money(lines.cell(lines.max_row, column))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
