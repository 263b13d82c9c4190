"""目录对照: each institution matches its own items (fixmedins_hilist_id, the HIS's code) to the catalogue's codes
(3301 upload, 3302 withdrawal, 1317 query), and 1316 says how the medical list's codes match the insurance
list's.

The platform's rules, as HIS vendors meet them (public HIS client code: `Input_3301` {fixmedins_hilist_id,
fixmedins_hilist_name, list_type, med_list_codg, begndate, enddate, aprvno, dosform, exct_cont, item_cont,
prcunt, spec, pacspec, memo}; `Input_3302` {fixmedins_code, fixmedins_hilist_id, list_type, med_list_codg}; a
change of a match is "先 3302 后 3301"):
- a match names a code of the list its `list_type` names (glossary.LIST_TYPE_LABELS): 101/102 a drug of the
  catalogue, 201 a service, 301 a material, 103/104 a row of the 医疗机构制剂 / 民族药 list;
- an item has at most one live match per list type; uploading the same match again updates its details, a
  different code is refused until the old match is withdrawn; a withdrawn match is kept (vali_flag 0);
- at fee upload (2204/2301), a line whose `medins_list_codg` is a matched item of the institution must carry
  the code it is matched to (串换 caught at the counter, POLICY.md §12). ASSUMPTION: a line of an item the
  institution has not matched is taken as before — the documents do not require every item matched, and the
  institutions that connected before matching existed would otherwise be refused at once.

1316: yibao's catalogue holds the national medical-list codes themselves (医疗目录编码 = 医保目录编码), so each
item's match is itself, in force from its catalogue date (ASSUMPTION: no separate local insurance coding).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, bindparam, false, func, select
from sqlalchemy.orm import Session

from yibao.glossary import LIST_TYPE_LABELS, LIST_TYPES
from yibao.institutions import national_lists
from yibao.institutions.errors import (
    AlreadyMatched,
    MatchCodeUnknown,
    MatchMismatch,
    MatchNotFound,
    UnknownListType,
)
from yibao.institutions.models import CatalogueItem, ItemMatch, ItemMatchRecord
from yibao.kit.clock import now
from yibao.statements import Db, Read, fixed

DETAILS = ("aprvno", "dosform", "exct_cont", "item_cont", "prcunt", "spec", "pacspec", "memo")
_CATEGORY_OF_LIST_TYPE = {"101": "drug", "102": "drug", "201": "service", "301": "material"}
_NATIONAL_LIST_OF_TYPE = {"103": "selfprep", "104": "ethdrug"}


@dataclass(frozen=True, slots=True)
class MatchIn:
    medins_list_codg: str  # fixmedins_hilist_id
    medins_list_name: str
    list_type: str
    med_list_codg: str
    begndate: dt.date
    enddate: dt.date | None = None
    details: dict[str, str] = field(default_factory=dict)


def check_list_type(list_type: str) -> str:
    if list_type not in LIST_TYPE_LABELS:
        raise UnknownListType(list_type=list_type,
                              choices="、".join(f"{k} {v}" for k, v in LIST_TYPE_LABELS.items()))
    return list_type


def _check_code(session: Session, list_type: str, code: str) -> None:
    title = LIST_TYPE_LABELS[list_type]
    if list_type in _NATIONAL_LIST_OF_TYPE:
        entry = national_lists.find_entry(session, _NATIONAL_LIST_OF_TYPE[list_type], code)
        if entry is None or entry.vali_flag != "1":
            raise MatchCodeUnknown(code=code, title=f"{title}目录")
        return
    item = session.get(CatalogueItem, code)
    if item is None or item.category != _CATEGORY_OF_LIST_TYPE[list_type]:
        raise MatchCodeUnknown(code=code, title=f"{title}目录")


def _live(session: Session, fixmedins_code: str, item: str, list_type: str) -> ItemMatch | None:
    return session.scalars(select(ItemMatch).where(
        ItemMatch.fixmedins_code == fixmedins_code, ItemMatch.medins_list_codg == item,
        ItemMatch.list_type == list_type, ItemMatch.vali_flag == "1")).first()


def upload_matches(session: Session, fixmedins_code: str, matches: Sequence[MatchIn], *,
                   opter: str) -> list[ItemMatch]:
    """3301: match the institution's items (all or none: the first refusal names its item)."""
    moment = now()
    done = []
    for m in matches:
        check_list_type(m.list_type)
        _check_code(session, m.list_type, m.med_list_codg)
        details = json.dumps({k: v for k, v in m.details.items() if k in DETAILS and v}, ensure_ascii=False) or None
        row = _live(session, fixmedins_code, m.medins_list_codg, m.list_type)
        if row is not None and row.med_list_codg != m.med_list_codg:
            raise AlreadyMatched(item=m.medins_list_codg, list_type=m.list_type, code=row.med_list_codg)
        if row is None:
            row = ItemMatch(fixmedins_code=fixmedins_code, medins_list_codg=m.medins_list_codg,
                            list_type=m.list_type, med_list_codg=m.med_list_codg, created_at=moment)
            session.add(row)
        row.medins_list_name, row.begndate, row.enddate = m.medins_list_name, m.begndate, m.enddate
        row.details, row.vali_flag, row.updated_at, row.opter = details, "1", moment, opter
        session.flush()  # the live-match index holds the next line of the same upload to this one
        done.append(row)
    return done


def withdraw_match(session: Session, fixmedins_code: str, item: str, list_type: str, med_list_codg: str, *,
                   opter: str) -> ItemMatch:
    """3302: withdraw a live match (kept, vali_flag 0)."""
    check_list_type(list_type)
    row = _live(session, fixmedins_code, item, list_type)
    if row is None or row.med_list_codg != med_list_codg:
        raise MatchNotFound(item=item, list_type=list_type, code=med_list_codg)
    row.vali_flag, row.updated_at, row.opter, row.enddate = "0", now(), opter, row.enddate or now().date()
    session.flush()
    return row


@dataclass(frozen=True, slots=True)
class MatchFilter:
    medins_list_codg: str | None = None
    medins_list_name: str | None = None
    list_type: str | None = None
    med_list_codg: str | None = None
    vali_flag: str | None = None


def matches_page(session: Session, fixmedins_code: str, wanted: MatchFilter, *, since: dt.datetime, page: int,
                 size: int) -> tuple[Sequence[ItemMatch], int]:
    """1317: one page of an institution's matches by update time, with the total."""
    query = select(ItemMatch).where(ItemMatch.fixmedins_code == fixmedins_code, ItemMatch.updated_at >= since)
    for column, value in ((ItemMatch.medins_list_codg, wanted.medins_list_codg),
                          (ItemMatch.list_type, wanted.list_type), (ItemMatch.med_list_codg, wanted.med_list_codg),
                          (ItemMatch.vali_flag, wanted.vali_flag)):
        if value:
            query = query.where(column == value)
    if wanted.medins_list_name:
        query = query.where(ItemMatch.medins_list_name.contains(wanted.medins_list_name, autoescape=True))
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.scalars(query.order_by(ItemMatch.updated_at, ItemMatch.rid)
                           .offset((page - 1) * size).limit(size)).all()
    return rows, total


def details_of(row: ItemMatch) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(row.details) if row.details else {}
    return {key: found.get(key) for key in DETAILS}


def list_type_of(item: CatalogueItem) -> str:
    """The list type of a catalogue item: 中药饮片 (codes starting with T) 102, the rest by its category."""
    return "102" if item.category == "drug" and item.code.startswith("T") else LIST_TYPES[item.category]


def of_list_type(list_type: str) -> ColumnElement[bool]:
    """The catalogue items of a list type (the inverse of `list_type_of`; 103/104 are national lists, none)."""
    category = _CATEGORY_OF_LIST_TYPE.get(list_type)
    if category is None:
        return false()
    condition = CatalogueItem.category == category
    if list_type == "101":
        condition &= ~CatalogueItem.code.startswith("T")
    elif list_type == "102":
        condition &= CatalogueItem.code.startswith("T")
    return condition


# ---------------------------------------------------------------------------------------------------
# At fee upload


_LIVE_MATCHES = Read(ItemMatchRecord, ItemMatch, ItemMatch.fixmedins_code == bindparam("code"),
                     ItemMatch.vali_flag == fixed("1"), among=ItemMatch.medins_list_codg)


def check_matched_codes(session: Db, fixmedins_code: str, lines: Iterable[tuple[str, str | None, str]]) -> None:
    """Each fee line (feedetl_sn, medins_list_codg, med_list_codg) of a matched item carries the code it is matched
    to (any of its list types' live matches)."""
    named = [(sn, own, code) for sn, own, code in lines if own]
    if not named:
        return
    matched: dict[str, set[str]] = {}
    for row in _LIVE_MATCHES.all(session, values=sorted({own for _, own, _ in named}), code=fixmedins_code):
        matched.setdefault(row.medins_list_codg, set()).add(row.med_list_codg)
    for _sn, own, code in named:
        codes = matched.get(own or "")
        if codes is not None and code not in codes:
            raise MatchMismatch(item=own, matched="、".join(sorted(codes)), code=code)
