"""A file a door hands out (a CSV for a bank, an Excel statement): one response shape for every door."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import Response

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"


def download(content: bytes, filename: str, media_type: str) -> Response:
    """An attachment named `filename` (RFC 6266: the UTF-8 name, so Chinese names arrive as they are)."""
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})
