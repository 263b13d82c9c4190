"""The national lists beside the drug, service and material catalogue (issue 18 item 5): 医疗机构制剂 (1303), 民族药
(1304), 疾病与诊断 (1307), 手术操作 (1308), 门慢门特病种 (1309), 按病种付费病种 (1310), 日间手术治疗病种 (1311),
肿瘤形态学 (1313), 中医疾病 (1314) and 中医证候 (1315).

The national platform publishes them and every district keeps them as published; yibao imports each from the
platform's download file and hands it on to the institutions by the same transaction a HIS would call upstream.
Each list is data: its transaction, its title, its code and name fields and its layout (the fields of the
spec's table, in its order, as public HIS client code stores them, e.g. the Newtouch HIS `G_yb_diag_list_b`
columns DIAG_LIST_ID, CPR, CPR_CODE_SCP …, and the `Out1304` model of binzhe12123/Medical `JBXX/YP1304.cs`).

**The file** (what `import_list` reads and the downloads write): UTF-8 text (a byte-order mark is allowed; GBK is
read too), one row a line, fields separated by tabs in the layout's order (`LISTS[key].columns`), no header —
or a first line that is the layout's field names, which is skipped. A zip holding one such text is read as
that text. Every row ends with the common fields `vali_flag` (1/0), `rid`, `updt_time` (yyyy-MM-dd HH:mm:ss)
and `ver`. A file is taken whole or not at all: the first bad row is named by its line number. A row whose
`updt_time` is not newer than the stored one is left as it is, so importing a file again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.institutions.errors import BadListFile, BadListRow, UnknownNationalList
from yibao.institutions.models import NationalListEntry

COMMON = ("memo", "vali_flag", "rid", "updt_time", "ver", "ver_name")  # every list's last fields
TIME = "%Y-%m-%d %H:%M:%S"
MAX_FILE = 64 * 1024 * 1024  # a national list's text (the diagnosis list is ~30 MB)


@dataclass(frozen=True, slots=True)
class NationalList:
    key: str
    infno: str  # the transaction that hands it on
    title: str
    code_field: str
    name_field: str
    fields: tuple[str, ...]  # the list's own fields, before COMMON
    paged_query: bool = False  # 1304 is a paged query; the others are file downloads

    @property
    def columns(self) -> tuple[str, ...]:
        return self.fields + COMMON


LISTS: dict[str, NationalList] = {lst.key: lst for lst in (
    NationalList("selfprep", "1303", "医疗机构制剂目录", "med_list_codg", "drug_prodname", (
        "med_list_codg", "drug_prodname", "dosform", "drug_spec", "each_dos", "drug_type", "pacmatl", "min_pac_cnt",
        "min_pacunt", "min_prepunt", "efcc_atd", "psdg_mtd", "begntime", "endtime")),
    NationalList("ethdrug", "1304", "民族药品目录", "med_list_codg", "drug_genname", (
        "med_list_codg", "drug_prodname", "genname_codg", "drug_genname", "ethdrug_type", "chemname", "alis",
        "eng_name", "dosform", "each_dos", "used_frqu", "nat_drug_no", "used_mtd", "ing", "chrt", "defs", "tabo",
        "mnan", "stog", "drug_spec", "prcunt_type", "otc_flag", "pacmatl", "pacspec", "min_useunt", "min_salunt",
        "manl", "rute", "begndate", "enddate", "pham_type", "pac_cnt", "min_unt", "min_pac_cnt", "min_pacunt",
        "min_prepunt", "drug_expy", "efcc_atd", "min_prcunt", "wubi", "pinyin"), paged_query=True),
    NationalList("diagnosis", "1307", "疾病与诊断目录", "diag_code", "diag_name", (
        "diag_list_id", "cpr", "cpr_code_scp", "cpr_name", "sec_code_scp", "sec_name", "cgy_code", "cgy_name",
        "sor_code", "sor_name", "diag_code", "diag_name", "used_std", "natstd_diag_code", "natstd_diag_name",
        "clnc_diag_code", "clnc_diag_name")),
    NationalList("operation", "1308", "手术操作目录", "oprn_oprt_code", "oprn_oprt_name", (
        "oprn_std_list_id", "cpr", "cpr_code_scp", "cpr_name", "cgy_code", "cgy_name", "sor_code", "sor_name",
        "dtls_code", "dtls_name", "oprn_oprt_code", "oprn_oprt_name", "used_std")),
    NationalList("special_disease", "1309", "门诊慢特病种目录", "opsp_dise_code", "opsp_dise_name", (
        "opsp_dise_code", "opsp_dise_name", "opsp_dise_majcls_code", "opsp_dise_majcls_name",
        "opsp_dise_subd_clss_name", "admdvs", "dise_cont")),
    NationalList("drg_disease", "1310", "按病种付费病种目录", "bydise_setl_list_code", "bydise_setl_dise_name", (
        "dise_setl_list_id", "bydise_setl_list_code", "bydise_setl_dise_name", "qua_oprn_oprt_code",
        "qua_oprn_oprt_name")),
    NationalList("day_surgery", "1311", "日间手术治疗病种目录", "daysrg_dise_list_code", "daysrg_dise_name", (
        "daysrg_trt_list_id", "daysrg_dise_list_code", "daysrg_dise_name", "qua_oprn_oprt_code",
        "qua_oprn_oprt_name")),
    NationalList("tumour_morphology", "1313", "肿瘤形态学目录", "mpy_type_code", "mpy_type", (
        "tmor_mpy_id", "tmor_cell_type_code", "tmor_cell_type", "mpy_type_code", "mpy_type")),
    NationalList("tcm_disease", "1314", "中医疾病目录", "dise_type_code", "dise_type_name", (
        "tcm_diag_id", "caty_cgy_code", "caty_cgy_name", "spcy_sys_taxa_code", "spcy_sys_taxa_name",
        "dise_type_code", "dise_type_name")),
    NationalList("tcm_syndrome", "1315", "中医证候目录", "sds_type_code", "sds_type_name", (
        "tcmsymp_id", "sds_cgy_code", "sds_cgy_name", "sds_attr_code", "sds_attr", "sds_type_code",
        "sds_type_name")),
)}
BY_INFNO = {lst.infno: lst for lst in LISTS.values()}


def national_list(key: str) -> NationalList:
    found = LISTS.get(key) or BY_INFNO.get(key)
    if found is None:
        raise UnknownNationalList(key=key, choices="、".join(f"{k}（{v.infno} {v.title}）" for k, v in LISTS.items()))
    return found


# ---------------------------------------------------------------------------------------------------
# The file


def file_text(content: bytes) -> str:
    """The text of a list file: a zip holding one text, or the text itself; UTF-8 (with or without BOM) or GBK."""
    if len(content) > MAX_FILE:
        raise BadListFile(problem="文件超过 64 MB")
    if content[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = [n for n in archive.namelist() if not n.endswith("/")]
                if len(names) != 1 or archive.getinfo(names[0]).file_size > MAX_FILE:
                    raise BadListFile(problem="zip 文件应只含一个目录文本（不超过 64 MB）")
                content = archive.read(names[0])
        except zipfile.BadZipFile as exc:
            raise BadListFile(problem="文件不是有效的 zip") from exc
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BadListFile(problem="文件应为 UTF-8 或 GBK 编码的文本")


def _rows(lst: NationalList, text: str) -> Iterable[tuple[int, list[str]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.split("\t")]
        if number == 1 and cells[:len(lst.columns)] == list(lst.columns):
            continue  # a header of the layout's field names
        yield number, cells


def _row_error(number: int, problem: str) -> BadListRow:
    return BadListRow(line=number, problem=problem)


def _parse(lst: NationalList, number: int, cells: list[str]) -> tuple[str, str, dict[str, str], str, dt.datetime]:
    if len(cells) != len(lst.columns):
        raise _row_error(number, f"应有 {len(lst.columns)} 个字段（制表符分隔：{'、'.join(lst.columns)}），"
                                 f"实有 {len(cells)} 个")
    row = dict(zip(lst.columns, cells, strict=True))
    code, name = row[lst.code_field], row[lst.name_field]
    if not code or len(code) > 50:
        raise _row_error(number, f"{lst.code_field} 不能为空，且不超过 50 个字符")
    if not name or len(name) > 300:
        raise _row_error(number, f"{lst.name_field} 不能为空，且不超过 300 个字符")
    if row["vali_flag"] not in ("0", "1"):
        raise _row_error(number, f"vali_flag 应为 1（有效）或 0（无效），不是“{row['vali_flag']}”")
    try:
        updated = dt.datetime.strptime(row["updt_time"].replace("T", " ")[:19], TIME)
    except ValueError as exc:
        raise _row_error(number, f"updt_time 应为 yyyy-MM-dd HH:mm:ss，不是“{row['updt_time']}”") from exc
    rest = {k: v for k, v in row.items() if k not in (lst.code_field, lst.name_field, "vali_flag", "updt_time")}
    return code, name, rest, row["vali_flag"], updated


def _stored(session: Session, key: str, codes: list[str], chunk: int = 1000) -> dict[str, NationalListEntry]:
    stored: dict[str, NationalListEntry] = {}
    for start in range(0, len(codes), chunk):
        stored.update((row.code, row) for row in session.scalars(select(NationalListEntry).where(
            NationalListEntry.list_key == key, NationalListEntry.code.in_(codes[start:start + chunk]))))
    return stored


@dataclass(frozen=True, slots=True)
class ListImport:
    title: str
    rows: int
    added: int
    changed: int
    unchanged: int


def import_list(session: Session, key: str, content: bytes) -> ListImport:
    """Import a national list's file whole (see the module's docstring): new codes added, newer rows replace
    older ones, the rest left as they are."""
    lst = national_list(key)
    parsed: dict[str, tuple[str, dict[str, str], str, dt.datetime]] = {}
    for number, cells in _rows(lst, file_text(content)):
        code, name, rest, flag, updated = _parse(lst, number, cells)
        if code in parsed and parsed[code][3] >= updated:
            continue  # the file names a code twice: its newest row counts
        parsed[code] = (name, rest, flag, updated)
    if not parsed:
        raise BadListFile(problem="文件中没有目录行")
    stored = _stored(session, lst.key, list(parsed))
    added = changed = 0
    for code, (name, rest, flag, updated) in parsed.items():
        fields = json.dumps(rest, ensure_ascii=False)
        row = stored.get(code)
        if row is None:
            session.add(NationalListEntry(list_key=lst.key, code=code, name=name, fields=fields, vali_flag=flag,
                                          updated_at=updated))
            added += 1
        elif updated > row.updated_at:
            row.name, row.fields, row.vali_flag, row.updated_at = name, fields, flag, updated
            changed += 1
    session.flush()
    return ListImport(lst.title, len(parsed), added, changed, len(parsed) - added - changed)


# ---------------------------------------------------------------------------------------------------
# Reading


def row_of(lst: NationalList, entry: NationalListEntry) -> dict[str, Any]:
    """An entry as the layout's fields, in order (what a download line and a query answer hold)."""
    rest = json.loads(entry.fields)
    known = {lst.code_field: entry.code, lst.name_field: entry.name, "vali_flag": entry.vali_flag,
             "updt_time": entry.updated_at.strftime(TIME)}
    return {column: known[column] if column in known else (rest.get(column) or None) for column in lst.columns}


def line_of(lst: NationalList, entry: NationalListEntry) -> list[str]:
    return ["" if value is None else str(value) for value in row_of(lst, entry).values()]


def file_line(lst: NationalList, values: Mapping[str, str]) -> str:
    """A line of a list file from its fields by name (the rest empty): how the demo and tests write a file."""
    unknown = set(values) - set(lst.columns)
    if unknown:
        raise ValueError(f"{lst.key} has no fields {sorted(unknown)}")
    return "\t".join(values.get(column, "") for column in lst.columns)


def entries_newer(session: Session, key: str, since: dt.datetime | None) -> Sequence[NationalListEntry]:
    """A list's rows updated at or after `since` (all when None), oldest change first: what a download hands on."""
    query = select(NationalListEntry).where(NationalListEntry.list_key == national_list(key).key)
    if since is not None:
        query = query.where(NationalListEntry.updated_at >= since)
    return session.scalars(query.order_by(NationalListEntry.updated_at, NationalListEntry.code)).all()


def entries_page(session: Session, key: str, *, since: dt.datetime, page: int, size: int,
                 code: str | None = None, name: str | None = None, vali_flag: str | None = None,
                 equal: Mapping[str, str] | None = None) -> tuple[Sequence[NationalListEntry], int]:
    """One page of a list (1304's query) by update time, with its total: by code, a part of the name, the flag and
    other fields of the layout equal to a value (`equal`, matched in the stored JSON as `"field": "value"`)."""
    query = select(NationalListEntry).where(NationalListEntry.list_key == national_list(key).key,
                                            NationalListEntry.updated_at >= since)
    if code:
        query = query.where(NationalListEntry.code == code)
    if name:
        query = query.where(NationalListEntry.name.contains(name, autoescape=True))
    if vali_flag:
        query = query.where(NationalListEntry.vali_flag == vali_flag)
    for field, value in (equal or {}).items():
        query = query.where(NationalListEntry.fields.contains(json.dumps({field: value}, ensure_ascii=False)[1:-1],
                                                              autoescape=True))
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.scalars(query.order_by(NationalListEntry.updated_at, NationalListEntry.code)
                           .offset((page - 1) * size).limit(size)).all()
    return rows, total


def find_entry(session: Session, key: str, code: str) -> NationalListEntry | None:
    return session.get(NationalListEntry, (national_list(key).key, code))


def list_counts(session: Session) -> dict[str, tuple[int, dt.datetime | None]]:
    """Each list's row count and newest update (the CLI's and the console's overview)."""
    found = {key: (int(count), newest) for key, count, newest in session.execute(
        select(NationalListEntry.list_key, func.count(), func.max(NationalListEntry.updated_at))
        .group_by(NationalListEntry.list_key))}
    return {key: found.get(key, (0, None)) for key in LISTS}
