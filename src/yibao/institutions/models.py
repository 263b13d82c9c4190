"""Institutions, doctors, catalogue items and their dated first self-pay ratios."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import ForeignKey, Numeric, String, func
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
    points: Mapped[int] = mapped_column(default=12)  # 医保医师积分 (deducted by audit sanctions)


class CatalogueItem(Base):
    __tablename__ = "catalogue_items"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)  # med_list_codg
    name: Mapped[str] = mapped_column(String(100))
    item_class: Mapped[str] = mapped_column(String(1))  # A 甲 / B 乙 / C 丙
    category: Mapped[str] = mapped_column(String(20))  # drug / service / material
    price_ceiling: Mapped[Decimal | None] = mapped_column(Numeric(16, 6))
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


class CatalogueItemRecord(NamedTuple):
    """A catalogue item.

    Fields: the columns of `catalogue_items`."""
    code: str
    name: str
    item_class: str
    category: str
    price_ceiling: Decimal | None
    updated_at: dt.datetime


class SelfpayRecord(NamedTuple):
    """A 乙 item's first self-pay ratio over a period.

    Fields: the columns of `catalogue_selfpay`."""
    code: str
    id: str
    selfpay_prop: Decimal
    valid_from: dt.date
    valid_to: dt.date | None
