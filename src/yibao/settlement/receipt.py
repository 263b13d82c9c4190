"""The settlement receipt (结算单): the split and the trace in plain Chinese, as HTML and as PDF.

The PDF embeds (a subset of) a TrueType CJK font so that it shows Chinese in any viewer: the one named by
YIBAO_CJK_FONT, else WenQuanYi Micro Hei from Debian's fonts-wqy-microhei (scripts/ensure-fonts installs it),
else Noto/Droid fallbacks. With none of them the PDF falls back to Adobe's STSong-Light CID font, which
viewers with the Adobe Asian font pack show, and says so in the log.
"""

from __future__ import annotations

import io
import json
import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.glossary import AMOUNT_LABELS, CERT_TYPE_LABELS, MED_TYPE_LABELS, SETTLEMENT_KIND_LABELS
from yibao.institutions.models import Institution
from yibao.kit.masks import mask_id
from yibao.kit.money import fmt
from yibao.people.models import Person
from yibao.policy.editions import BENEFIT_LABELS, LEVEL_LABELS, Benefit, Level
from yibao.settlement import repository
from yibao.settlement.models import Settlement, SettlementKind, SettlementRecord, SettlementStatus
from yibao.settlement.settle import get_settlement

log = logging.getLogger("yibao.receipt")
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
    return Receipt(row, person.name, mask_id(person.certno), place.name if place else "（零星报销）",
                   [(label, fmt(getattr(row, key))) for key, label in ROWS], json.loads(row.trace),
                   title + ("（已撤销）" if row.status == SettlementStatus.CANCELLED else ""), subtitle, shown,
                   _cancellation(session, row))


def _cancellation(session: Session, row: SettlementRecord) -> str | None:
    """What a cancelled settlement's receipt says of its cancellation (None: it stands)."""
    if row.status != SettlementStatus.CANCELLED:
        return None
    cancel = session.scalars(select(Settlement).where(Settlement.original_setl_id == row.setl_id,
                                                      Settlement.kind == SettlementKind.CANCEL)
                             .order_by(Settlement.setl_time.desc())).first()
    when = f"于 {cancel.setl_time:%Y-%m-%d %H:%M} " if cancel else ""
    number = f"（撤销结算编号 {cancel.setl_id}）" if cancel else ""
    return f"已撤销：本结算已{when}撤销{number}，基金支付已冲回，本结算单作废。"


FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


@cache
def cjk_font() -> str:
    """Register and name the CJK font the PDF uses (see the module docstring)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    candidates = [os.environ["YIBAO_CJK_FONT"]] if os.environ.get("YIBAO_CJK_FONT") else []
    for path in [*candidates, *FONT_CANDIDATES]:
        if Path(path).is_file():
            pdfmetrics.registerFont(TTFont("YibaoCJK", path, subfontIndex=0))
            return "YibaoCJK"
    log.warning("no TrueType CJK font found (install fonts-wqy-microhei); receipts use the STSong-Light CID font")
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


@cache
def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                       autoescape=select_autoescape(["html"]))


def receipt_html(receipt: Receipt, *, pdf_url: str | None = None, back: str | None = None) -> str:
    """The printable page; `pdf_url` and `back` are the door's links to the PDF and back to where it was opened."""
    return _templates().get_template("receipt.html").render(r=receipt, s=receipt.settlement, pdf_url=pdf_url,
                                                            back=back)


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
             ["就诊凭证", receipt.credential, "", ""]]
    grid = TableStyle([("FONT", (0, 0), (-1, -1), font, 9.5), ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                       ("VALIGN", (0, 0), (-1, -1), "MIDDLE")])
    amounts = Table([["项目", "金额（元）"], *receipt.rows], colWidths=[80 * mm, 50 * mm])
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
    story += [Spacer(1, 4 * mm), info, Spacer(1, 4 * mm), amounts, Spacer(1, 5 * mm), Paragraph("计算过程", base)]
    for number, step in enumerate(receipt.steps, start=1):
        story.append(Paragraph(f"{number}. {step['title']}：{step['amount']} 元。{step['explanation']}", base))
        for cite in step["citations"]:
            story.append(Paragraph(f"依据：{cite['key']} = {cite['value']}（{cite['source']}）", small))
    story += [Spacer(1, 5 * mm), Paragraph("本结算单由 yibao 生成；金额单位：元。", small)]
    document.build(story)
    return buffer.getvalue()


__all__ = ["Receipt", "build_receipt", "receipt_html", "receipt_pdf"]
