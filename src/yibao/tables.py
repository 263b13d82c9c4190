"""A table a person sends the centre — a school's pupils, civil affairs' grants: CSV (UTF-8 or GBK) or Excel
(.xlsx), a header line naming the columns, one record a line. Rows come back with their line numbers, so that each
bad row can be named."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from yibao.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class TableRow:
    line: int  # the line number in the file (the header is line 1)
    values: dict[str, str]  # by the key its column is mapped to


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else str(value)
    return str(value).strip()


def _rows(table: Iterable[Sequence[object]], columns: Mapping[str, str], required: Sequence[str]) -> list[TableRow]:
    iterator = iter(table)
    header = [_cell(cell) for cell in next(iterator, [])]
    missing = [name for name in required if name not in header]
    if missing:
        raise InvalidInput(f"文件缺少列：{'、'.join(missing)}（第 1 行须为表头：{'、'.join(columns)}）", field="file")
    positions = {columns[name]: index for index, name in enumerate(header) if name in columns}
    rows = []
    for line, raw in enumerate(iterator, start=2):
        cells = [_cell(cell) for cell in raw]
        if not any(cells):
            continue
        rows.append(TableRow(line, {key: cells[i] if i < len(cells) else "" for key, i in positions.items()}))
    if not rows:
        raise InvalidInput("文件没有数据行", field="file")
    return rows


def check_file_id(file_id: str, source: str) -> str:
    """The id a file is imported once by (its sender's batch number), stripped; empty or too long → InvalidInput."""
    file_id = file_id.strip()
    if not file_id or len(file_id) > 60:
        raise InvalidInput(f"请填写文件编号（{source}的批次号，不超过 60 个字符）：同一编号只导入一次", field="file_id")
    return file_id


def read_table(filename: str, content: bytes, columns: Mapping[str, str], required: Sequence[str]) -> list[TableRow]:
    """Rows of a CSV (UTF-8 or GBK) or Excel (.xlsx) file whose header names `columns` (header → key), the
    `required` ones at least; a malformed file → InvalidInput."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a damaged file
            raise InvalidInput("无法读取 Excel 文件，请确认是 .xlsx 格式", field="file") from None
        return _rows(workbook.worksheets[0].iter_rows(values_only=True), columns, required)
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gbk"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise InvalidInput("CSV 文件编码无法识别，请保存为 UTF-8", field="file")
        return _rows(csv.reader(io.StringIO(text)), columns, required)
    raise InvalidInput("只支持 .csv 或 .xlsx 文件", field="file")
