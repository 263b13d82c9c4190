"""The CJK font the printed documents (receipts, notices, certificates) embed: a TrueType font from the system
(fonts-wqy-microhei, or YIBAO_CJK_FONT), else ReportLab's STSong-Light CID font, which only viewers with the
Adobe Asian font pack show — and the log says so."""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

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


def table_pdf(title: str, subtitle: str, header: Sequence[str], rows: Iterable[Sequence[object]], *,
              note: str = "") -> bytes:
    """A printable report: its title, a line saying what it covers, the table (the same rows as its Excel file),
    landscape A4 when the table is wide; the header repeats on every page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = cjk_font()
    wide = len(header) > 6
    size = landscape(A4) if wide else A4
    base = ParagraphStyle("zh", fontName=font, fontSize=8 if wide else 9, leading=11 if wide else 12,
                          wordWrap="CJK")
    head = ParagraphStyle("h", parent=base, fontSize=15, leading=22, alignment=1)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=size, leftMargin=12 * mm, rightMargin=12 * mm,
                                 topMargin=12 * mm, bottomMargin=12 * mm, title=title)

    def cell(value: object) -> object:
        if isinstance(value, Decimal):
            return f"{value:,.2f}"
        return Paragraph(str(value), base) if isinstance(value, str) and len(value) > 8 else str(value)

    body: list[list[Any]] = [[Paragraph(str(h), base) for h in header], *([cell(v) for v in row] for row in rows)]
    width = (size[0] - 24 * mm) / len(header)
    grid = Table(body, colWidths=[width] * len(header), repeatRows=1)
    grid.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), font, 8 if wide else 9),
                              ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                              ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                              ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (1, 1), (-1, -1), "RIGHT")]))
    story: list[Any] = [Paragraph(title, head), Paragraph(subtitle, base), Spacer(1, 4 * mm), grid]
    if note:
        story += [Spacer(1, 3 * mm), Paragraph(note, base)]
    document.build(story)
    return buffer.getvalue()
