"""The settlement receipt (结算单): the split and the trace in plain Chinese, as HTML and as PDF.

The PDF embeds (a subset of) a TrueType CJK font so that it shows Chinese in any viewer: the one named by
YIBAO_CJK_FONT, else WenQuanYi Micro Hei from Debian's fonts-wqy-microhei (scripts/ensure-fonts installs it),
else Noto/Droid fallbacks. With none of them the PDF falls back to Adobe's STSong-Light CID font, which
viewers with the Adobe Asian font pack show, and says so in the log.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.glossary import (
    AMOUNT_LABELS,
    CERT_TYPE_LABELS,
    ITEM_CLASS_LABELS,
    MED_TYPE_LABELS,
    SETTLEMENT_KIND_LABELS,
    source_words,
)
from yibao.institutions.models import Institution
from yibao.kit.masks import mask_id
from yibao.kit.money import capital, fmt
from yibao.kit.pdf import cjk_font
from yibao.people.models import Person
from yibao.people.service import person_record
from yibao.people.towns import DISTRICT_CENTRE_HOTLINE
from yibao.policy.editions import (
    BENEFIT_LABELS,
    LEVEL_LABELS,
    Benefit,
    Edition,
    Level,
    packaged_editions,
)
from yibao.policy.errors import UnknownEdition
from yibao.settlement import repository
from yibao.settlement.models import (
    FeeDetail,
    MaternityClaim,
    Settlement,
    SettlementKind,
    SettlementRecord,
    SettlementStatus,
)
from yibao.settlement.settle import get_settlement

ROWS = tuple((key, AMOUNT_LABELS[key]) for key in (
    "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "act_pay_dedc",
    "hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt", "psn_cash_pay"))


@dataclass(frozen=True, slots=True)
class Receipt:
    settlement: SettlementRecord
    person_name: str
    certno_masked: str
    institution: str
    rows: list[tuple[str, str]]
    steps: list[dict[str, Any]]
    title: str
    subtitle: str
    credential: str  # what the person showed: 医保电子凭证, 居民身份证, 社会保障卡 (— for a manual claim)
    cancelled: str | None = None  # the notice on a cancelled settlement's receipt (it is void)
    items: tuple[tuple[str, str, str, str, str], ...] = ()  # the fee lines: item, class, count, price, amount
    clerk: str = ""  # who settled it: the cashier at the institution, or the centre's clerk
    capitals: tuple[tuple[str, str], ...] = ()  # the totals in capital numerals (大写)


def build_receipt(session: Session, setl_id: str, *, institution: str | None = None) -> Receipt:
    row = get_settlement(session, setl_id, institution=institution)
    person = session.get(Person, row.psn_no)
    assert person is not None
    place = session.get(Institution, row.fixmedins_code) if row.fixmedins_code else None
    title = f"奉化区城乡居民基本医疗保险{SETTLEMENT_KIND_LABELS.get(row.kind, '结算')}单"
    subtitle = (f"{MED_TYPE_LABELS.get(row.med_type, row.med_type)} · {BENEFIT_LABELS[Benefit(row.benefit)]} · "
                f"{LEVEL_LABELS[Level(row.level)]} · {row.edition} 年度政策")
    visit = repository.visit(session, row.mdtrt_id) if row.mdtrt_id else None
    shown = CERT_TYPE_LABELS.get(visit.mdtrt_cert_type, "—") if visit else "—"
    steps = json.loads(row.trace)
    edition = _edition(row.edition)
    for step in steps:
        step["plain"] = [line for c in step["citations"] if (line := plain_citation(c, edition)) is not None]
    where = place.name if place else f"{row.place}（零星报销）" if row.place else "（零星报销）"
    return Receipt(row, person.name, mask_id(person.certno), where,
                   _rows(session, row), steps,
                   title + ("（已撤销）" if row.status == SettlementStatus.CANCELLED else ""), subtitle, shown,
                   _cancellation(session, row), _items(session, row), _clerk(row, place),
                   (("基金支付合计（大写）", capital(row.fund_pay_sumamt)),
                    ("个人负担合计（大写）", capital(row.psn_part_amt))))


def _rows(session: Session, row: SettlementRecord) -> list[tuple[str, str]]:
    """The split's rows; what the family's accounts paid, and whose account it was, before the cash."""
    rows = []
    for key, label in ROWS:
        if key == "psn_cash_pay":
            rows += _account_rows(session, row)
        rows.append((label, fmt(getattr(row, key))))
    return rows


def _account_rows(session: Session, row: SettlementRecord) -> list[tuple[str, str]]:
    """POLICY.md §11: the person's own historical account, one mutual-aid account (whose it is)."""
    rows = []
    if row.acct_pay:
        rows.append((f"其中{AMOUNT_LABELS['acct_pay']}（本人历年个账）", fmt(row.acct_pay)))
    if row.acct_mulaid_pay and row.mulaid_psn_no:
        owner = "本人" if row.mulaid_psn_no == row.psn_no else person_record(session, row.mulaid_psn_no).name
        rows.append((f"其中{AMOUNT_LABELS['acct_mulaid_pay']}（{owner}的共济健康账户）", fmt(row.acct_mulaid_pay)))
    return rows


def _items(session: Session, row: SettlementRecord) -> tuple[tuple[str, str, str, str, str], ...]:
    lines = session.scalars(select(FeeDetail).where(FeeDetail.psn_no == row.psn_no, FeeDetail.setl_id == row.setl_id)
                            .order_by(FeeDetail.fee_ocur_time, FeeDetail.feedetl_sn)).all()
    return tuple((line.item_name, ITEM_CLASS_LABELS.get(line.item_class, line.item_class), f"{line.cnt.normalize():f}",
                  fmt(line.pric), fmt(line.det_item_fee_sumamt)) for line in lines)


def _clerk(row: SettlementRecord, place: Institution | None) -> str:
    """"R1（锦屏街道社区卫生服务中心）" for a cashier (the gateway's actor is code:operator), else the clerk."""
    code, _, opter = row.created_by.partition(":")
    return f"{opter}（{place.name if place else code}）" if opter else row.created_by


@cache
def _edition(code: str) -> Edition | None:
    try:
        return packaged_editions().get(code)
    except UnknownEdition:  # a settlement of an edition no longer packaged: its citations keep their codes
        return None


LEVEL_CODES = frozenset(level.value for level in Level)
PARAMETER_WORDS = {"first_selfpay_default": "乙类项目先行自付比例", "serious_illness": "大病保险分段补助比例"}
_SPAN = re.compile(r"^\[([\d,.]+), ([\d,.]+)\] (.+)$")
_SOURCE = re.compile(r"^(S\d\d[^(;]*?)(?: table)? \((.+?)\)")


def plain_citation(citation: dict[str, str], edition: Edition | None) -> str | None:
    """A citation in words a resident reads: "依据：奉化区2022年度政策 成年居民住院报销比例：1,200.00 至 40,000.00 元
    部分 70%（《…政策问答》第4问：起付线至4万元（含））". None for what the receipt says elsewhere (the edition)."""
    key, value, source = citation["key"], citation["value"], citation["source"]
    head, _, rest = key.partition(".")
    if head == "edition":
        return None
    if head == "columns" and edition is not None:
        category, _, benefit = rest.partition(".")
        label = edition.categories[category].label if category in edition.categories else "参保人"
        words = f"{label}{'住院' if benefit == 'inpatient' else '门诊'}报销比例"
    elif head == "inpatient_deductible":
        words = f"{LEVEL_LABELS[Level(rest)] if rest in LEVEL_CODES else ''}住院起付线"
        value = f"{value} 元"
    else:
        words = PARAMETER_WORDS.get(head, "政策参数")
    span = _SPAN.match(value)
    if span:
        value = f"{span.group(1)} 至 {span.group(2)} 元部分 {span.group(3)}"
    found = _SOURCE.match(source)
    if found:
        where = f"{source_words(found.group(1).strip())}：{found.group(2)}"
        if "ASSUMPTION" in source:
            where += "；文件未另行规定的，沿用此口径"
    else:
        where = "文件未载明，按区医保中心口径" if source.startswith("ASSUMPTION") else source
    year = f"{edition.code}年度" if edition is not None else ""
    return f"依据：奉化区{year}政策 {words}：{value}（{where}）"


def _cancellation(session: Session, row: SettlementRecord) -> str | None:
    """What a cancelled settlement's receipt says of its cancellation (None: it stands)."""
    if row.status != SettlementStatus.CANCELLED:
        return None
    cancel = session.scalars(select(Settlement).where(Settlement.original_setl_id == row.setl_id,
                                                      Settlement.kind == SettlementKind.CANCEL)
                             .order_by(Settlement.setl_time.desc())).first()
    when = f"于 {cancel.setl_time:%Y-%m-%d %H:%M} " if cancel else ""
    number = f"（撤销结算编号 {cancel.setl_id}）" if cancel else ""
    why = f"，原因：{cancel.reason}" if cancel and cancel.reason else ""
    return f"已撤销：本结算已{when}撤销{number}{why}，基金支付已冲回，本结算单作废。"


@cache
def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                       autoescape=select_autoescape(["html"]))


def receipt_html(receipt: Receipt, *, pdf_url: str | None = None, back: str | None = None,
                 technical: bool = False) -> str:
    """The printable page; `pdf_url` and `back` are the door's links to the PDF and back to where it was opened;
    `technical`: the staff's view, with each citation's parameter key and source one click away."""
    return _templates().get_template("receipt.html").render(r=receipt, s=receipt.settlement, pdf_url=pdf_url,
                                                            back=back, technical=technical,
                                                            hotline=DISTRICT_CENTRE_HOTLINE)


def receipt_pdf(receipt: Receipt) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = cjk_font()
    base = ParagraphStyle("zh", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    head = ParagraphStyle("h", parent=base, fontSize=15, leading=22, alignment=1)
    small = ParagraphStyle("s", parent=base, fontSize=8.5, leading=12, textColor=colors.HexColor("#444444"))
    s = receipt.settlement
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=15 * mm,
                                 bottomMargin=15 * mm, title=receipt.title)
    facts = [["结算编号", s.setl_id, "就诊编号", s.mdtrt_id or "—"],
             ["姓名", receipt.person_name, "人员编号", s.psn_no],
             ["身份证号", receipt.certno_masked, "结算时间", s.setl_time.strftime("%Y-%m-%d %H:%M")],
             ["医疗机构", receipt.institution, "医疗日期", s.service_date.isoformat()],
             ["就诊凭证", receipt.credential, "经办", receipt.clerk]]
    grid = TableStyle([("FONT", (0, 0), (-1, -1), font, 9.5), ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                       ("VALIGN", (0, 0), (-1, -1), "MIDDLE")])
    amounts = Table([["项目", "金额（元）"], *receipt.rows, *receipt.capitals], colWidths=[60 * mm, 94 * mm])
    amounts.setStyle(TableStyle([*grid.getCommands(), ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                                 ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee"))]))
    info = Table(facts, colWidths=[22 * mm, 55 * mm, 22 * mm, 55 * mm])
    info.setStyle(grid)
    story: list[Any] = [Paragraph(receipt.title, head), Paragraph(receipt.subtitle, small)]
    if receipt.cancelled:
        story.append(Paragraph(receipt.cancelled, ParagraphStyle("void", parent=base, fontSize=12, leading=18,
                                                                 textColor=colors.HexColor("#b00020"),
                                                                 borderColor=colors.HexColor("#b00020"),
                                                                 borderWidth=1, borderPadding=4, spaceBefore=6)))
    story += [Spacer(1, 4 * mm), info, Spacer(1, 4 * mm)]
    if receipt.items:
        items = Table([["项目", "类别", "数量", "单价（元）", "金额（元）"], *receipt.items],
                      colWidths=[70 * mm, 16 * mm, 18 * mm, 25 * mm, 25 * mm], repeatRows=1)
        items.setStyle(TableStyle([*grid.getCommands(), ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
                                   ("FONT", (0, 0), (-1, -1), font, 8.5)]))
        story += [Paragraph("费用明细", base), items, Spacer(1, 4 * mm)]
    story += [amounts, Spacer(1, 5 * mm), Paragraph("计算过程", base)]
    for number, step in enumerate(receipt.steps, start=1):
        story.append(Paragraph(f"{number}. {step['title']}：{step['amount']} 元。{step['explanation']}", base))
        for line in step.get("plain", ()):
            story.append(Paragraph(line, small))
    sign = Table([["医保经办机构（盖章）", f"经办人：{receipt.clerk}", "参保人（或家属）签字："]],
                 colWidths=[52 * mm, 52 * mm, 50 * mm], rowHeights=[18 * mm])
    sign.setStyle(TableStyle([*grid.getCommands(), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [Spacer(1, 6 * mm), sign, Spacer(1, 3 * mm),
              Paragraph(f"金额单位：元。如有疑问，请咨询奉化区医疗保障中心（0574-{DISTRICT_CENTRE_HOTLINE}）。", small)]
    document.build(story)
    return buffer.getvalue()


__all__ = ["Receipt", "build_receipt", "receipt_html", "receipt_pdf"]


_DOCUMENT = re.compile(r"^(S\d\d(?: §\d+)?)\b[^;；]*")


def plain_source(source: str) -> str:
    """A parameter's source for a printed notice: a seed document by its title ("S18 §6 …" → "《…服务指南》第6部分"),
    anything else (an amendment's document and clause) as written."""
    found = _DOCUMENT.match(source)
    return source_words(found.group(1)) if found else source


def maternity_receipt_html(session: Session, claim: MaternityClaim, *, back: str | None = None) -> str:
    """The printable notice of a maternity subsidy (生育医疗费定额补助) paid: the amount in figures and capitals,
    its basis in words, the clerk, a seal area; a cancelled one marked 已撤销 with the reason."""
    person = person_record(session, claim.psn_no)
    return _templates().get_template("maternity.html").render(
        c=claim, person_name=person.name, certno_masked=mask_id(person.certno), amount=fmt(claim.amount),
        amount_words=capital(claim.amount), basis=plain_source(claim.source), back=back,
        hotline=DISTRICT_CENTRE_HOTLINE)
