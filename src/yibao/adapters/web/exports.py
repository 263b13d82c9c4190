"""Excel downloads of the console's lists, with the list's filter applied (issue 16 item 3, issue 20): one sheet,
a header row, one row per record; what a role may not see is masked as on the page."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fastapi.responses import Response

from yibao.adapters.downloads import XLSX, Sheet, download, xlsx_book, xlsx_bytes

EXPORT_LIMIT = 50_000  # ASSUMPTION: rows in one download (a list longer than this is narrowed by its filters)


def xlsx_response(filename: str, sheet: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    return download(xlsx_bytes(sheet, header, rows), filename, XLSX)


def xlsx_book_response(filename: str, sheets: Sequence[Sheet]) -> Response:
    return download(xlsx_book(sheets), filename, XLSX)
