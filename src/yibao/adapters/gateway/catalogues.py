"""The national lists' paged query (1304 民族药品目录查询) and the matching of an institution's items to the
catalogue (3301 目录对照上传, 3302 目录对照撤销, 1316 医疗目录与医保目录匹配信息查询, 1317 医药机构目录匹配信息查询).
The rules are in institutions/matching.py and institutions/national_lists.py; field names as the spec's tables
(public HIS client code: binzhe12123/Medical `JBXX/YP1304.cs` In1304/Out1304 and `JBXX/ML1316.cs`
In1316/Out1316; `Input_3301` {data: fixmedins_hilist_id, fixmedins_hilist_name, list_type, med_list_codg,
begndate, enddate, aprvno, dosform, exct_cont, item_cont, prcunt, spec, pacspec, memo} and `Input_3302` {data:
fixmedins_code, fixmedins_hilist_id, list_type, med_list_codg}; 1317's fields as `InsureUnifiedMatchMedicinsDO`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from yibao.adapters.gateway.envelope import Fields, GatewayInputError
from yibao.adapters.gateway.lookups import page_answer, paging, stamp
from yibao.adapters.gateway.transactions import Context, transaction
from yibao.glossary import LIST_TYPE_LABELS
from yibao.institutions import matching, national_lists
from yibao.institutions.models import CatalogueItem, ItemMatch

CATALOGUE_BEGINS = "2018-01-01"  # 1316's begndate: the catalogue as yibao holds it dates from the 2018 edition
FLAGS = ("0", "1")


# ---------------------------------------------------------------------------------------------------
# 1304 民族药品目录查询


@transaction("1304", "民族药品目录查询", writes=False)
def ethnic_drugs(ctx: Context) -> tuple[Any, None]:
    data = ctx.input.child("data")
    since, number, size = paging(data)
    lst = national_lists.LISTS["ethdrug"]
    equal = {key: value for key in ("genname_codg", "drug_prodname", "ver")
             if (value := data.text(key, required=False, max_len=100))}
    rows, total = national_lists.entries_page(
        ctx.orm, lst.key, since=since, page=number, size=size,
        code=data.text("med_list_codg", required=False, max_len=50),
        name=data.text("drug_genname", required=False, max_len=100),
        vali_flag=data.text("vali_flag", required=False, choices=FLAGS), equal=equal)
    return page_answer([national_lists.row_of(lst, row) for row in rows], total, number, size), None


# ---------------------------------------------------------------------------------------------------
# 3301 / 3302 目录对照


def _match_in(item: Fields) -> matching.MatchIn:
    return matching.MatchIn(
        medins_list_codg=item.req("fixmedins_hilist_id", max_len=30),
        medins_list_name=item.req("fixmedins_hilist_name", max_len=200),
        list_type=matching.check_list_type(item.req("list_type", max_len=3)),
        med_list_codg=item.req("med_list_codg", max_len=50),
        begndate=item.req_date("begndate"), enddate=item.date("enddate", required=False),
        details={key: value for key in matching.DETAILS
                 if (value := item.text(key, required=False, max_len=500 if key == "memo" else 200))})


@transaction("3301", "目录对照上传", writes=True)
def upload_matches(ctx: Context) -> tuple[Any, None]:
    items = [_match_in(item) for item in ctx.input.items("data")]
    for m in items:
        if m.enddate is not None and m.enddate < m.begndate:
            raise GatewayInputError(f"对照 {m.medins_list_codg} 的结束日期早于开始日期", field="input.data.enddate")
    matching.upload_matches(ctx.orm, ctx.institution.fixmedins_code, items, opter=ctx.actor)
    return None, None


def _own_institution(ctx: Context, data: Fields) -> None:
    named = data.text("fixmedins_code", required=False, max_len=20)
    if named and named != ctx.institution.fixmedins_code:
        raise GatewayInputError(f"fixmedins_code {named} 不是签到的机构：只能查询、撤销本机构的对照",
                                field=f"{data.path}.fixmedins_code")


@transaction("3302", "目录对照撤销", writes=True)
def withdraw_match(ctx: Context) -> tuple[Any, None]:
    data = ctx.input.child("data")
    _own_institution(ctx, data)
    matching.withdraw_match(ctx.orm, ctx.institution.fixmedins_code, data.req("fixmedins_hilist_id", max_len=30),
                            data.req("list_type", max_len=3), data.req("med_list_codg", max_len=50),
                            opter=ctx.actor)
    return None, None


# ---------------------------------------------------------------------------------------------------
# 1316 / 1317 matching queries


def _audit_fields(ctx: Context, created: str, updated: str) -> dict[str, Any]:
    return {"updt_time": updated, "crte_time": created, "crter_id": None, "crter_name": None,
            "crte_optins_no": None, "opter_id": None, "opter_name": None, "opt_time": updated, "optins_no": None,
            "poolarea_no": ctx.admdvs}


@transaction("1316", "医疗目录与医保目录匹配信息查询", writes=False)
def medical_list_matches(ctx: Context) -> tuple[Any, None]:
    data = ctx.input.child("data")
    since, number, size = paging(data)
    query = select(CatalogueItem).where(CatalogueItem.updated_at >= since)
    code = data.text("med_list_codg", required=False, max_len=50) or data.text("medins_list_codg", required=False,
                                                                               max_len=50)
    hilist = data.text("hilist_code", required=False, max_len=50)
    for value in (code, hilist):
        if value:
            query = query.where(CatalogueItem.code == value)
    wanted_type = data.text("list_type", required=False, choices=tuple(LIST_TYPE_LABELS))
    if wanted_type is not None:
        query = query.where(matching.of_list_type(wanted_type))
    if data.text("vali_flag", required=False, choices=FLAGS) == "0":
        return page_answer([], 0, number, size), None  # the catalogue holds only items in force
    total = int(ctx.orm.scalar(select(func.count()).select_from(query.subquery())) or 0)
    items = ctx.orm.scalars(query.order_by(CatalogueItem.updated_at, CatalogueItem.code)
                            .offset((number - 1) * size).limit(size))
    out = [{"med_list_codg": i.code, "hilist_code": i.code, "list_type": matching.list_type_of(i),
            "insu_admdvs": ctx.admdvs, "begndate": CATALOGUE_BEGINS, "enddate": None, "memo": None,
            "vali_flag": "1", "rid": i.code, **_audit_fields(ctx, stamp(i.updated_at), stamp(i.updated_at))}
           for i in items]
    return page_answer(out, total, number, size), None


@transaction("1317", "医药机构目录匹配信息查询", writes=False)
def institution_matches(ctx: Context) -> tuple[Any, None]:
    data = ctx.input.child("data")
    _own_institution(ctx, data)
    since, number, size = paging(data)
    wanted = matching.MatchFilter(
        medins_list_codg=data.text("medins_list_codg", required=False, max_len=30)
        or data.text("fixmedins_hilist_id", required=False, max_len=30),
        medins_list_name=data.text("medins_list_name", required=False, max_len=200),
        list_type=data.text("list_type", required=False, choices=tuple(LIST_TYPE_LABELS)),
        med_list_codg=data.text("med_list_codg", required=False, max_len=50),
        vali_flag=data.text("vali_flag", required=False, choices=FLAGS))
    rows, total = matching.matches_page(ctx.orm, ctx.institution.fixmedins_code, wanted, since=since,
                                        page=number, size=size)
    return page_answer([_match_out(ctx, row) for row in rows], total, number, size), None


def _match_out(ctx: Context, row: ItemMatch) -> dict[str, Any]:
    return {"fixmedins_code": row.fixmedins_code, "medins_list_codg": row.medins_list_codg,
            "medins_list_name": row.medins_list_name, "insu_admdvs": ctx.admdvs, "list_type": row.list_type,
            "med_list_codg": row.med_list_codg, "begndate": row.begndate.isoformat(),
            "enddate": row.enddate.isoformat() if row.enddate else None, **matching.details_of(row),
            "vali_flag": row.vali_flag, "rid": row.rid,
            **_audit_fields(ctx, stamp(row.created_at), stamp(row.updated_at)), "opter_name": row.opter}
