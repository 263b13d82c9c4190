"""Institutions, doctors, catalogue items and their dated first self-pay ratios, the other national lists
(diagnoses, operations, special diseases …) and each institution's matching of its own items to the catalogue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from yibao.db import Base
from yibao.kit.ids import new_id


class Institution(Base):
    __tablename__ = "institutions"

    fixmedins_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # hospital / community / pharmacy
    hosp_lv: Mapped[str] = mapped_column(String(2))  # national code 01 … 11
    level: Mapped[str] = mapped_column(String(20))  # Fenghua tier: tertiary_a … community
    region: Mapped[str] = mapped_column(String(20))  # ningbo / zhejiang / other_province
    admdvs: Mapped[str] = mapped_column(String(6))
    cross_province_designated: Mapped[bool] = mapped_column(default=False)
    agreement_status: Mapped[str] = mapped_column(String(20))  # active / suspended / terminated
    suspended_until: Mapped[dt.date | None]
    agreement_reason: Mapped[str | None] = mapped_column(String(200))  # why it was suspended or terminated
    secret_hash: Mapped[str] = mapped_column(String(200))  # gateway sign-in credential (scrypt)
    created_at: Mapped[dt.datetime]
    # how its system may prove who it is at the gateway (adapters/gateway/auth.py): sm2, tif, apikey, secret
    auth_schemes: Mapped[str] = mapped_column(String(40), server_default="sm2,tif,apikey,secret")
    public_key: Mapped[str | None] = mapped_column(String(130))  # SM2, for the envelope's cainfo signature
    gateway_token: Mapped[str | None] = mapped_column(String(64))  # the x-tif token and the apikey
    paas_id: Mapped[str | None] = mapped_column(String(40))  # x-tif-paasid, when the gateway in front uses its own


class Doctor(Base):
    __tablename__ = "doctors"

    dr_code: Mapped[str] = mapped_column(String(30), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    fixmedins_code: Mapped[str] = mapped_column(ForeignKey("institutions.fixmedins_code"), index=True)


class Device(Base):
    """A settlement terminal (医保结算终端) an institution has registered: the dev_no its gateway messages carry
    (POLICY.md §12: settlements on devices that are not the institution's, rule ND03)."""

    __tablename__ = "institution_devices"

    dev_no: Mapped[str] = mapped_column(String(100), primary_key=True)
    fixmedins_code: Mapped[str] = mapped_column(ForeignKey("institutions.fixmedins_code"), index=True)
    name: Mapped[str] = mapped_column(String(100))  # where it stands: 门诊收费处1号窗口 …
    status: Mapped[str] = mapped_column(String(10))  # active / retired
    registered_at: Mapped[dt.datetime]
    retired_at: Mapped[dt.datetime | None]


class DoctorPoints(Base):
    """医保医师积分 of one year, once audit has docked any (POLICY.md §12): no row means the year's full points;
    at 0 the doctor may not prescribe items the funds pay until the next year (audit/, rules.yaml)."""

    __tablename__ = "doctor_points"

    dr_code: Mapped[str] = mapped_column(ForeignKey("doctors.dr_code"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    points: Mapped[int]  # left this year
    updated_at: Mapped[dt.datetime]


class CatalogueItem(Base):
    __tablename__ = "catalogue_items"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)  # med_list_codg
    name: Mapped[str] = mapped_column(String(100))
    item_class: Mapped[str] = mapped_column(String(1))  # A 甲 / B 乙 / C 丙
    category: Mapped[str] = mapped_column(String(20))  # drug / service / material
    price_ceiling: Mapped[Decimal | None] = mapped_column(Numeric(16, 6))
    # the national catalogue's restrictions (限定支付范围) the audit rules check a billed line against (audit/):
    lmt_sex: Mapped[str | None] = mapped_column(String(1))  # 限性别: 1 male, 2 female
    lmt_age_min: Mapped[int | None]  # 限年龄 (儿童): the youngest (years, inclusive)
    lmt_age_max: Mapped[int | None]  # the oldest (years, inclusive)
    lmt_diagnoses: Mapped[str | None] = mapped_column(String(200))  # 限适应症: ICD-10 code prefixes, comma-separated
    lmt_first_line: Mapped[str | None] = mapped_column(String(400))  # 限二线: the first-line codes tried first
    lmt_scope: Mapped[str | None] = mapped_column(String(10))  # 限工伤 injury / 限生育 maternity
    norm_cnt: Mapped[Decimal | None] = mapped_column(Numeric(16, 4))  # the usual most of one line (数量常规上限)
    # when the item (or its first self-pay ratios) last changed: the catalogue queries (1312/1318/1319) page by it
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now(), index=True)


class CatalogueSelfpay(Base):
    """先行自付比例 of a 乙 item over a period (the national catalogue publishes it per item and date)."""

    __tablename__ = "catalogue_selfpay"

    code: Mapped[str] = mapped_column(ForeignKey("catalogue_items.code"), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    selfpay_prop: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    valid_from: Mapped[dt.date]
    valid_to: Mapped[dt.date | None]


class NationalListEntry(Base):
    """A row of one of the national lists yibao keeps as the platform publishes them (institutions/national_lists.py:
    医疗机构制剂, 民族药, 疾病与诊断, 手术操作, 门慢门特病种, 按病种付费, 日间手术, 肿瘤形态学, 中医疾病, 中医证候).
    The code and name are columns; the list's other fields, in its layout, are kept as JSON."""

    __tablename__ = "national_list_entries"

    list_key: Mapped[str] = mapped_column(String(20), primary_key=True)  # e.g. diagnosis (national_lists.LISTS)
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    fields: Mapped[str] = mapped_column(Text)  # the layout's other fields, as JSON
    vali_flag: Mapped[str] = mapped_column(String(3))  # 1 valid, 0 withdrawn (kept: old visits name it)
    updated_at: Mapped[dt.datetime]  # the row's updt_time; downloads page by it

    __table_args__ = (Index("ix_national_list_entries_list_updated", "list_key", "updated_at"),)


class ItemMatch(Base):
    """目录对照: an institution's own item (fixmedins_hilist_id) matched to a catalogue code, uploaded by 3301 and
    withdrawn by 3302 (kept with vali_flag 0). At most one live match per item and list type."""

    __tablename__ = "item_matches"

    rid: Mapped[str] = mapped_column(String(40), primary_key=True, default=new_id)
    fixmedins_code: Mapped[str] = mapped_column(ForeignKey("institutions.fixmedins_code"))
    medins_list_codg: Mapped[str] = mapped_column(String(30))  # the institution's own code (fixmedins_hilist_id)
    medins_list_name: Mapped[str] = mapped_column(String(200))
    list_type: Mapped[str] = mapped_column(String(3))  # 101 … 301 (glossary.LIST_TYPE_LABELS)
    med_list_codg: Mapped[str] = mapped_column(String(50))  # the catalogue's code it is matched to
    begndate: Mapped[dt.date]
    enddate: Mapped[dt.date | None]
    details: Mapped[str | None] = mapped_column(Text)  # aprvno, dosform, exct_cont, item_cont, prcunt, spec … (JSON)
    vali_flag: Mapped[str] = mapped_column(String(3), default="1")
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime] = mapped_column(index=True)
    opter: Mapped[str] = mapped_column(String(50))  # who uploaded or withdrew it (institution:opter)

    __table_args__ = (
        Index("uq_item_matches_live", "fixmedins_code", "medins_list_codg", "list_type", unique=True,
              sqlite_where=text("vali_flag = '1'"), postgresql_where=text("vali_flag = '1'")),
    )


class InstitutionRecord(NamedTuple):
    """An institution as the gateway reads it on every call.

    Fields: the columns of `institutions`."""
    fixmedins_code: str
    name: str
    kind: str
    hosp_lv: str
    level: str
    region: str
    admdvs: str
    cross_province_designated: bool
    agreement_status: str
    suspended_until: dt.date | None
    agreement_reason: str | None
    secret_hash: str
    created_at: dt.datetime
    auth_schemes: str
    public_key: str | None
    gateway_token: str | None
    paas_id: str | None


class DeviceRecord(NamedTuple):
    """A registered settlement terminal.

    Fields: the columns of `institution_devices`."""
    dev_no: str
    fixmedins_code: str
    name: str
    status: str
    registered_at: dt.datetime
    retired_at: dt.datetime | None


class DoctorRecord(NamedTuple):
    """A registered doctor.

    Fields: the columns of `doctors`."""
    dr_code: str
    name: str
    fixmedins_code: str


class DoctorPointsRecord(NamedTuple):
    """A doctor's points left in a year.

    Fields: the columns of `doctor_points`."""
    dr_code: str
    year: int
    points: int
    updated_at: dt.datetime


class CatalogueItemRecord(NamedTuple):
    """A catalogue item.

    Fields: the columns of `catalogue_items`."""
    code: str
    name: str
    item_class: str
    category: str
    price_ceiling: Decimal | None
    lmt_sex: str | None
    lmt_age_min: int | None
    lmt_age_max: int | None
    lmt_diagnoses: str | None
    lmt_first_line: str | None
    lmt_scope: str | None
    norm_cnt: Decimal | None
    updated_at: dt.datetime


class SelfpayRecord(NamedTuple):
    """A 乙 item's first self-pay ratio over a period.

    Fields: the columns of `catalogue_selfpay`."""
    code: str
    id: str
    selfpay_prop: Decimal
    valid_from: dt.date
    valid_to: dt.date | None


class ItemMatchRecord(NamedTuple):
    """An institution's item matched to a catalogue code (read at fee upload).

    Fields: the columns of `item_matches`."""
    rid: str
    fixmedins_code: str
    medins_list_codg: str
    medins_list_name: str
    list_type: str
    med_list_codg: str
    begndate: dt.date
    enddate: dt.date | None
    details: str | None
    vali_flag: str
    created_at: dt.datetime
    updated_at: dt.datetime
    opter: str
