"""The CJK font the printed documents (receipts, notices, certificates) embed: a TrueType font from the system
(fonts-wqy-microhei, or YIBAO_CJK_FONT), else ReportLab's STSong-Light CID font, which only viewers with the
Adobe Asian font pack show — and the log says so."""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path

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
