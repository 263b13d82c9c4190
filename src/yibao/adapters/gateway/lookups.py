"""The information transactions a HIS calls daily (issue 18 item 5): 1201 institution information, 1901 the
dictionary, 1312 / 1318 / 1319 the catalogue with its price ceilings and first self-pay ratios (paged, by update
time), 2001 the treatment check. Read-only; field names as the spec's tables (public HIS client models:
binzhe12123/Medical `JBXX/JG1201.cs`, `JBXX/Dic1901.cs`, `JBXX/ML1312.cs`, `ML1318.cs`, `ML1319.cs`,
`YBJS/RY2001.cs`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from yibao.adapters.gateway.envelope import Fields, GatewayInputError
from yibao.adapters.gateway.transactions import (
    CERT_TYPES,
    CVLSERV_FLAG,
    NO_CEILING,
    Context,
    check_insutype,
    transaction,
)
from yibao.glossary import (
    BENEFIT_OF_MED_TYPE,
    CERT_TYPE_LABELS,
    CHARGE_ITEM_TYPES,
    CHRGITM_LV,
    FUNDS,
    INSUTYPE,
    ITEM_CLASS_LABELS,
    LIST_TYPE_LABELS,
    LIST_TYPES,
    MATERNITY_MED_TYPES,
    MED_TYPE_LABELS,
    charge_item_type,
)
from yibao.institutions.models import CatalogueItem, CatalogueSelfpay, Institution
from yibao.institutions.service import HOSP_LV
from yibao.kit.errors import DomainError
from yibao.settlement.standing import check_benefit, check_direct, check_place, standing_on

MAX_PAGE = 1000  # rows a page may ask for (ASSUMPTION: the spec leaves it to the platform)
EPOCH = dt.datetime(2018, 1, 1)  # rows older than their update stamp (loaded before it existed) date from here
TIME = "%Y-%m-%d %H:%M:%S"


def stamp(moment: dt.datetime) -> str:
    return moment.strftime(TIME)


# ---------------------------------------------------------------------------------------------------
# 1201 医药机构信息获取


@transaction("1201", "医药机构信息获取", writes=False)
def institution_info(ctx: Context) -> tuple[Any, None]:
    node = ctx.input.child("medinsinfo")
    kind = node.text("fixmedins_type", required=False, choices=("1", "2"))
    code = node.text("fixmedins_code", required=False, max_len=20)
    name = node.text("fixmedins_name", required=False, max_len=100)
    query = select(Institution).order_by(Institution.fixmedins_code)
    if kind:
        query = query.where((Institution.kind == "pharmacy") == (kind == "2"))
    if code:
        query = query.where(Institution.fixmedins_code == code)
    if name:
        query = query.where(Institution.name.contains(name))
    rows = ctx.orm.scalars(query.limit(MAX_PAGE))
    return {"medinsinfo": [{"fixmedins_code": i.fixmedins_code, "fixmedins_name": i.name, "uscc": None,
                            "fixmedins_type": "2" if i.kind == "pharmacy" else "1", "hosp_lv": i.hosp_lv}
                           for i in rows]}, None


# ---------------------------------------------------------------------------------------------------
# 1901 字典表查询


def _dictionary() -> dict[str, dict[str, str]]:
    return {
        "MED_TYPE": dict(MED_TYPE_LABELS),
        "MDTRT_CERT_TYPE": dict(CERT_TYPE_LABELS),
        "INSUTYPE": {INSUTYPE: "城乡居民基本医疗保险"},
        "CHRGITM_LV": {code: ITEM_CLASS_LABELS[cls] for cls, code in CHRGITM_LV.items()},
        "MED_CHRGITM_TYPE": dict(CHARGE_ITEM_TYPES),
        "LIST_TYPE": dict(LIST_TYPE_LABELS),
        "FUND_PAY_TYPE": {fund.code: fund.name for fund in FUNDS},
        "HOSP_LV": dict(HOSP_LV),
        "PSN_SETLWAY": {"01": "按项目结算"},
        "GEND": {"1": "男", "2": "女"},
        "CVLSERV_FLAG": {"0": "否", "1": "是"},
    }


@transaction("1901", "字典表查询", writes=False, repository_only=True)
def dictionary(ctx: Context) -> tuple[Any, None]:
    data = ctx.input.child("data")
    wanted = data.req("type", max_len=40).upper()
    tables = _dictionary()
    if wanted not in tables:
        raise GatewayInputError(f"字典类型 type {wanted} 不在本统筹区字典中，可选：{'、'.join(tables)}",
                                field="input.data.type")
    return {"list": [{"type": wanted, "label": label, "value": value, "parent_value": None, "sort": n,
                      "vali_flag": "1", "rid": f"{wanted}-{value}", "createUser": None, "createDate": None,
                      "version": None}
                     for n, (value, label) in enumerate(tables[wanted].items(), start=1)]}, None


# ---------------------------------------------------------------------------------------------------
# 1312 / 1318 / 1319 the catalogue, paged by update time


def paging(data: Fields) -> tuple[dt.datetime, int, int]:
    since = data.time("updt_time", required=False) or EPOCH
    number = data.number("page_num", places=0, required=False)
    size = data.number("page_size", places=0, required=False)
    number, size = Decimal(1) if number is None else number, Decimal(100) if size is None else size  # 0 is no page
    if number < 1 or not 1 <= size <= MAX_PAGE:
        raise GatewayInputError(f"page_num 应从 1 起，page_size 应在 1–{MAX_PAGE} 之间", field="input.data.page_size")
    return since, int(number), int(size)


def page_answer(rows: Sequence[dict[str, Any]], total: int, number: int, size: int) -> dict[str, Any]:
    pages = (total + size - 1) // size
    start = (number - 1) * size
    return {"data": list(rows), "recordCounts": total, "pages": pages, "pageNum": number, "pageSize": size,
            "size": len(rows), "startRow": start + 1 if rows else 0, "endRow": start + len(rows),
            "firstPage": number == 1, "lastPage": number >= pages}


def _items(ctx: Context, data: Fields) -> tuple[list[CatalogueItem], int, int, int]:
    since, number, size = paging(data)
    query = select(CatalogueItem).where(CatalogueItem.updated_at >= since)
    code = data.text("hilist_code", required=False, max_len=50)
    if code:
        query = query.where(CatalogueItem.code == code)
    total = int(ctx.orm.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = list(ctx.orm.scalars(query.order_by(CatalogueItem.updated_at, CatalogueItem.code)
                                .offset((number - 1) * size).limit(size)))
    return rows, total, number, size


def _common(ctx: Context, item: CatalogueItem) -> dict[str, Any]:
    return {"hilist_code": item.code, "insu_admdvs": ctx.admdvs, "begndate": "2018-01-01", "enddate": None,
            "vali_flag": "1", "rid": item.code, "updt_time": stamp(item.updated_at),
            "crte_time": stamp(item.updated_at), "poolarea_no": ctx.admdvs}


@transaction("1312", "医保目录信息查询", writes=False)
def catalogue_query(ctx: Context) -> tuple[Any, None]:
    rows, total, number, size = _items(ctx, ctx.input.child("data"))
    out = [{**_common(ctx, i), "hilist_name": i.name, "med_chrgitm_type": charge_item_type(i.code),
            "chrgitm_lv": CHRGITM_LV[i.item_class], "lmt_used_flag": "0", "list_type": LIST_TYPES[i.category],
            "med_use_flag": "1", "matn_used_flag": "0", "hilist_use_type": "1", "lmt_cpnd_type": "0",
            "wubi": None, "pinyin": None, "memo": None} for i in rows]
    return page_answer(out, total, number, size), None


@transaction("1318", "医保目录限价信息查询", writes=False)
def ceiling_query(ctx: Context) -> tuple[Any, None]:
    rows, total, number, size = _items(ctx, ctx.input.child("data"))
    out = [{**_common(ctx, i), "hilist_lmtpric_type": "1", "overlmt_dspo_way": "1",
            "hilist_pric_uplmt_amt": i.price_ceiling if i.price_ceiling is not None else NO_CEILING}
           for i in rows]
    return page_answer(out, total, number, size), None


@transaction("1319", "医保目录先自付比例信息查询", writes=False)
def selfpay_query(ctx: Context) -> tuple[Any, None]:
    rows, total, number, size = _items(ctx, ctx.input.child("data"))
    codes = [i.code for i in rows]
    ratios: dict[str, list[CatalogueSelfpay]] = {}
    for ratio in ctx.orm.scalars(select(CatalogueSelfpay).where(CatalogueSelfpay.code.in_(codes))
                                 .order_by(CatalogueSelfpay.valid_from)):
        ratios.setdefault(ratio.code, []).append(ratio)
    out = [{**_common(ctx, i), "selfpay_prop_psn_type": "390", "selfpay_prop_type": "1",
            "begndate": r.valid_from.isoformat(), "enddate": r.valid_to.isoformat() if r.valid_to else None,
            "selfpay_prop": r.selfpay_prop, "rid": r.id}
           for i in rows for r in ratios.get(i.code, [])]
    return page_answer(out, total, number, size), None


# ---------------------------------------------------------------------------------------------------
# 2001 人员待遇享受检查


@transaction("2001", "人员待遇享受检查", writes=False, repository_only=True)
def treatment_check(ctx: Context) -> tuple[Any, None]:
    data = ctx.input.child("data")
    psn_no = data.req("psn_no", max_len=20)
    check_insutype(data)
    med_type = data.req("med_type", choices=(*BENEFIT_OF_MED_TYPE, *MATERNITY_MED_TYPES))
    begin = data.req_time("begntime")
    data.text("mdtrt_cert_type", required=False, choices=CERT_TYPES)
    result, enjoys = "符合待遇享受条件", "1"
    try:
        check_direct(med_type, ctx.editions.on(begin.date()))
        standing = standing_on(ctx.session, ctx.editions, psn_no, begin.date())
        check_place(ctx.session, standing, ctx.institution, begin.date())
        check_benefit(standing, BENEFIT_OF_MED_TYPE[med_type])
    except DomainError as exc:
        result, enjoys = f"{exc.message}（错误代码：{exc.code}）", "0"
    year = begin.year
    return {"trtinfo": [{"psn_no": psn_no, "trt_chk_type": "01", "fund_pay_type": fund.code,
                         "trt_enjymnt_flag": enjoys, "begndate": f"{year}-01-01", "enddate": f"{year}-12-31",
                         "trt_chk_rslt": result, "cvlserv_flag": CVLSERV_FLAG}
                        for fund in FUNDS[:1]]}, None
