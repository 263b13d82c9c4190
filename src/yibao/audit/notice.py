"""The notice (通报) of a decided case as a printable PDF (the page shows the same text)."""

from __future__ import annotations

import io
from typing import Any

from yibao.audit.models import AuditCase
from yibao.kit.pdf import cjk_font


def notice_pdf(case: AuditCase) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    font = cjk_font()
    body = ParagraphStyle("zh", fontName=font, fontSize=11, leading=19, wordWrap="CJK", firstLineIndent=22)
    head = ParagraphStyle("h", parent=body, fontSize=16, leading=26, alignment=1, firstLineIndent=0)
    ref = ParagraphStyle("r", parent=body, alignment=1, firstLineIndent=0)
    sign = ParagraphStyle("s", parent=body, alignment=2, firstLineIndent=0)
    lines = (case.notice or "").split("\n")
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=25 * mm,
                                 bottomMargin=20 * mm, title=lines[1] if len(lines) > 1 else case.ref)
    story: list[Any] = [Paragraph(lines[0], ref), Spacer(1, 3 * mm)]
    if len(lines) > 1:
        story += [Paragraph(lines[1], head), Spacer(1, 6 * mm)]
    story += [Paragraph(line, body) for line in lines[2:-1]]
    if len(lines) > 2:
        story += [Spacer(1, 12 * mm), Paragraph(lines[-1], sign)]
    document.build(story)
    return buffer.getvalue()
