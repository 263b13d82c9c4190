"""A file a door hands out (a CSV for a bank, an Excel statement): one response shape for every door."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from fastapi.responses import Response
from openpyxl import Workbook

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"


def download(content: bytes, filename: str, media_type: str) -> Response:
    """An attachment named `filename` (RFC 6266: the UTF-8 name, so Chinese names arrive as they are)."""
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


Sheet = tuple[str, Sequence[str], Iterable[Sequence[object]]]  # name, header, rows


def xlsx_bytes(sheet: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """One sheet: a header row, then the rows (written as they come: a long list is not held twice)."""
    return xlsx_book([(sheet, header, rows)])


def xlsx_book(sheets: Sequence[Sheet]) -> bytes:
    """Several sheets, each a header row and its rows."""
    book = Workbook(write_only=True)
    for sheet, header, rows in sheets:
        table = book.create_sheet(sheet)
        table.append(list(header))
        for row in rows:
            table.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
