"""The interface's file transfer and what uses it (issue 18 item 5): 9101 upload, 9102 download, the catalogue
downloads 1301/1302/1305/1306, the other national lists' downloads (1303, 1307–1311, 1313–1315: each row in its
list's layout, institutions/national_lists.py) and 3202 detail reconciliation. Shapes as binzhe12123/Medical's
`Up9101.cs`, `Down9102.cs`, `JBXX/ML1301.cs` (In1301 {ver} → Out1301 {file_qury_no, filename, dld_end_time,
data_cnt}) and `YYJGFW/JGDZ3202.cs`.

A file is a zip holding one UTF-8 text file of tab-separated rows without a header (the platform's layout).
Catalogue rows: code, name, chrgitm_lv, med_chrgitm_type, list_type, price ceiling (999999: none), first
self-pay ratio now (empty: none), version (yyyyMMddHHmmss of the row's update). `ver` asks for rows newer than
it: "0" for all, else yyyyMMddHHmmss (or yyyyMMdd) — the newest version a HIS holds. 3202's upload rows:
setl_id, mdtrt_id, psn_no, medfee_sumamt, fund_pay_sumamt, acct_pay, refd_setl_flag (1 for a cancellation,
named by the setl_id 2208/2305 answered); its answer file lists each difference: setl_id, what differs, the
institution's figure, yibao's figure.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import secrets
import zipfile
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.adapters.gateway.envelope import GatewayInputError
from yibao.adapters.gateway.transactions import NO_CEILING, Context, transaction
from yibao.errors import NotFound
from yibao.glossary import CHRGITM_LV, LIST_TYPES, charge_item_type
from yibao.institutions import national_lists
from yibao.institutions.models import CatalogueItem
from yibao.institutions.service import catalogue_lookup
from yibao.kit.clock import now
from yibao.kit.money import MoneyError, money
from yibao.settlement.models import GatewayFile, Settlement, SettlementKind

FILE_DAYS = 7  # ASSUMPTION: a file can be fetched for 7 days (dld_end_time)
MAX_FILE = 4 * 1024 * 1024
CATALOGUE_DOWNLOADS = {"1301": ("drug", "X"), "1302": ("drug", "T"), "1305": ("service", ""), "1306": ("material", "")}


def _zip(name: str, rows: list[list[str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{name}.txt", "\n".join("\t".join(row) for row in rows))
    return buffer.getvalue()


def _unzip(content: bytes) -> list[list[str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            if len(names) != 1 or archive.getinfo(names[0]).file_size > MAX_FILE * 4:
                raise GatewayInputError("文件应为只含一个 txt 的 zip", field="file_qury_no")
            text = archive.read(names[0]).decode("utf-8-sig")
    except (zipfile.BadZipFile, UnicodeDecodeError, KeyError) as exc:
        raise GatewayInputError("文件不是有效的 zip（UTF-8 文本）", field="file_qury_no") from exc
    return [line.split("\t") for line in text.splitlines() if line.strip()]


def _store(ctx: Context, filename: str, content: bytes) -> GatewayFile:
    moment = now()
    row = GatewayFile(file_qury_no=f"F{moment:%Y%m%d%H%M%S}{secrets.token_hex(8)}",
                      fixmedins_code=ctx.institution.fixmedins_code, filename=filename, content=content,
                      made_by=ctx.infno, created_at=moment, expires_at=moment + dt.timedelta(days=FILE_DAYS))
    ctx.orm.add(row)
    ctx.orm.flush()
    return row


def _file_out(row: GatewayFile, count: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"file_qury_no": row.file_qury_no, "filename": row.filename,
                           "dld_end_time": row.expires_at.strftime("%Y-%m-%d"), "file_size": len(row.content)}
    if count is not None:
        out["data_cnt"] = count
    return out


def own_file(session: Session, fixmedins_code: str, file_qury_no: str) -> GatewayFile:
    row = session.get(GatewayFile, file_qury_no)
    if row is None or row.fixmedins_code != fixmedins_code or row.expires_at < now():
        raise NotFound(f"文件 {file_qury_no} 不存在、已过期或不属于本机构", field="file_qury_no")
    return row


# ---------------------------------------------------------------------------------------------------
# 9101 upload


def _content(value: Any) -> bytes:
    """`in` as clients send byte[]: base64 text (.NET, Java) or a list of byte values."""
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise GatewayInputError("input.fsUploadIn.in 应为 base64 编码的文件内容",
                                    field="input.fsUploadIn.in") from exc
    if isinstance(value, list) and all(isinstance(b, int) and -128 <= b <= 255 for b in value):
        return bytes(b & 0xFF for b in value)
    raise GatewayInputError("input.fsUploadIn.in 应为文件内容（base64 或字节数组）", field="input.fsUploadIn.in")


@transaction("9101", "文件上传", writes=True)
def upload(ctx: Context) -> tuple[Any, None]:
    node = ctx.input.child("fsUploadIn")
    filename = node.req("filename", max_len=100)
    content = _content(node.raw("in"))
    if not content or len(content) > MAX_FILE:
        raise GatewayInputError(f"文件不能为空，且不超过 {MAX_FILE >> 20} MB", field="input.fsUploadIn.in")
    return _file_out(_store(ctx, filename, content)), None


# ---------------------------------------------------------------------------------------------------
# 1301 / 1302 / 1305 / 1306 catalogue downloads


VERSION = "%Y%m%d%H%M%S"


def _since(ctx: Context) -> tuple[str, dt.datetime | None]:
    """A download's `ver`: the newest version the HIS holds ("0": none), as the first moment a row updated after it
    can have (versions are whole seconds: a row of the very second `ver` names is one the HIS holds)."""
    ver = ctx.input.child("data").text("ver", required=False, max_len=20) or "0"
    if ver == "0":
        return ver, None
    if ver.isdigit() and len(ver) in (8, 14):
        try:
            held = dt.datetime.strptime(ver, "%Y%m%d" if len(ver) == 8 else VERSION)
            return ver, held + (dt.timedelta(days=1) if len(ver) == 8 else dt.timedelta(seconds=1))
        except ValueError:
            pass
    raise GatewayInputError("ver 应为本地最大版本号（yyyyMMddHHmmss，首次传 0）", field="input.data.ver")


def _download(ctx: Context, ver: str, rows: list[list[str]]) -> tuple[Any, None]:
    name = f"{ctx.infno}_{now().date():%Y%m%d}_{ver}"
    return _file_out(_store(ctx, f"{name}.zip", _zip(name, rows)), len(rows)), None


def _catalogue_download(ctx: Context) -> tuple[Any, None]:
    ver, since = _since(ctx)
    category, prefix = CATALOGUE_DOWNLOADS[ctx.infno]
    query = select(CatalogueItem).where(CatalogueItem.category == category).order_by(CatalogueItem.updated_at,
                                                                                    CatalogueItem.code)
    if prefix:
        query = query.where(CatalogueItem.code.startswith(prefix))
    elif category == "drug":
        query = query.where(~CatalogueItem.code.startswith("T"))
    if since is not None:
        query = query.where(CatalogueItem.updated_at >= since)
    rows = []
    for item, ratio in catalogue_lookup(ctx.session, [item.code for item in ctx.orm.scalars(query)],
                                        now().date()).values():
        ceiling = item.price_ceiling if item.price_ceiling is not None else NO_CEILING
        rows.append([item.code, item.name, CHRGITM_LV[item.item_class], charge_item_type(item.code),
                     LIST_TYPES[category], f"{ceiling}", f"{ratio}" if ratio is not None else "",
                     f"{item.updated_at:{VERSION}}"])
    return _download(ctx, ver, rows)


for _infno, _name in (("1301", "西药中成药目录下载"), ("1302", "中药饮片目录下载"), ("1305", "医疗服务项目目录下载"),
                      ("1306", "医用耗材目录下载")):
    transaction(_infno, _name, writes=True)(_catalogue_download)


def _national_list_download(ctx: Context) -> tuple[Any, None]:
    """A national list's rows newer than `ver`, each in the list's layout (national_lists.LISTS)."""
    ver, since = _since(ctx)
    lst = national_lists.BY_INFNO[ctx.infno]
    rows = [national_lists.line_of(lst, entry) for entry in national_lists.entries_newer(ctx.orm, lst.key, since)]
    return _download(ctx, ver, rows)


for _list in national_lists.LISTS.values():
    if not _list.paged_query:
        transaction(_list.infno, f"{_list.title}下载", writes=True)(_national_list_download)


# ---------------------------------------------------------------------------------------------------
# 3202 detail reconciliation


def _money(text: str, where: str) -> Decimal:
    try:
        return money(text.strip())
    except MoneyError as exc:
        raise GatewayInputError(f"对账明细{where}：{exc}", field="file_qury_no") from exc


@transaction("3202", "医药机构费用结算对明细账", writes=True)
def reconcile_details(ctx: Context) -> tuple[Any, None]:
    data = ctx.input.child("data")
    uploaded = own_file(ctx.orm, ctx.institution.fixmedins_code, data.req("file_qury_no", max_len=40))
    begin, end = data.req_date("stmt_begndate"), data.req_date("stmt_enddate")
    theirs: dict[str, tuple[str, Decimal, Decimal]] = {}
    for number, row in enumerate(_unzip(uploaded.content), start=1):
        if len(row) < 5:
            raise GatewayInputError(f"对账明细第 {number} 行应有 setl_id、mdtrt_id、psn_no、medfee_sumamt、"
                                    "fund_pay_sumamt 等字段（制表符分隔）", field="file_qury_no")
        theirs[row[0].strip()] = (row[0].strip(), _money(row[3], f"第 {number} 行"), _money(row[4], f"第 {number} 行"))
    ours = {}
    for s in ctx.orm.scalars(select(Settlement).where(
            Settlement.fixmedins_code == ctx.institution.fixmedins_code,
            Settlement.kind.in_((SettlementKind.SETTLE.value, SettlementKind.CANCEL.value)),
            Settlement.setl_time >= dt.datetime.combine(begin, dt.time()),
            Settlement.setl_time < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))):
        ours[s.setl_id] = (s.setl_id, s.medfee_sumamt, s.fund_pay_sumamt)  # a cancellation by its own setl_id
    differences = []
    for key in sorted(set(theirs) | set(ours)):
        mine, other = ours.get(key), theirs.get(key)
        setl_id = (mine or other or ("",))[0]
        if mine is None:
            differences.append([setl_id, "医保无此结算", "", ""])
        elif other is None:
            differences.append([setl_id, "机构缺少此结算", "", f"{mine[1]}"])
        else:
            for label, index in (("医疗费总额", 1), ("基金支付总额", 2)):
                if mine[index] != other[index]:
                    differences.append([setl_id, label, f"{other[index]}", f"{mine[index]}"])
    name = f"3202_{ctx.institution.fixmedins_code}_{begin:%Y%m%d}_{end:%Y%m%d}"
    result = _store(ctx, f"{name}.zip", _zip(name, differences))
    verdict = "明细一致" if not differences else f"{len(differences)} 处不一致，详见结果文件"
    return {"fileinfo": _file_out(result, len(differences)),
            "stmtinfo": {"stmt_rslt": "0" if not differences else "1", "stmt_rslt_dscr": verdict}}, None
