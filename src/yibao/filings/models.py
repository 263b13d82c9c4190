from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from yibao.access.trail import trailed
from yibao.db import Base
from yibao.kit.ids import new_id


@trailed("门诊慢特病备案")
class SpecialDiseaseFiling(Base):
    """门诊特殊病种备案 (national 2503)."""

    __tablename__ = "special_disease_filings"

    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    disease_code: Mapped[str] = mapped_column(String(30))
    disease_name: Mapped[str] = mapped_column(String(100))
    fixmedins_code: Mapped[str] = mapped_column(String(20))  # the institution that identified the disease (鉴定)
    diag_dr_code: Mapped[str | None] = mapped_column(String(30))
    begndate: Mapped[dt.date]
    enddate: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(String(20))  # active / revoked
    created_at: Mapped[dt.datetime]
    revoked_reason: Mapped[str | None] = mapped_column(String(200))  # why it was revoked, and by whom, when
    revoked_by: Mapped[str | None] = mapped_column(String(60))
    revoked_at: Mapped[dt.datetime | None]
    # 选定就医机构: where the filing names one, the disease is treated (and settled) there only (POLICY.md §5)
    designated_fixmedins_code: Mapped[str | None] = mapped_column(String(20))


@trailed("异地就医备案")
class CrossRegionFiling(Base):
    """异地就医备案: reason and place (S18 跨省异地就医十问 §4)."""

    __tablename__ = "cross_region_filings"

    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    reason: Mapped[str] = mapped_column(String(30))  # resettled / long_term_residence / stationed_worker / referral
    place: Mapped[str] = mapped_column(String(100))
    admdvs: Mapped[str | None] = mapped_column(String(6))
    begndate: Mapped[dt.date]
    enddate: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime]
    revoked_reason: Mapped[str | None] = mapped_column(String(200))  # why it was revoked, and by whom, when
    revoked_by: Mapped[str | None] = mapped_column(String(60))
    revoked_at: Mapped[dt.datetime | None]


class SpecialDiseaseFilingRecord(NamedTuple):
    """A special-disease filing.

    Fields: the columns of `special_disease_filings`."""
    psn_no: str
    id: str
    disease_code: str
    disease_name: str
    fixmedins_code: str
    diag_dr_code: str | None
    begndate: dt.date
    enddate: dt.date | None
    status: str
    created_at: dt.datetime
    revoked_reason: str | None = None
    revoked_by: str | None = None
    revoked_at: dt.datetime | None = None
    designated_fixmedins_code: str | None = None


class CrossRegionFilingRecord(NamedTuple):
    """A cross-region filing.

    Fields: the columns of `cross_region_filings`."""
    psn_no: str
    id: str
    reason: str
    place: str
    admdvs: str | None
    begndate: dt.date
    enddate: dt.date | None
    status: str
    created_at: dt.datetime
    revoked_reason: str | None = None
    revoked_by: str | None = None
    revoked_at: dt.datetime | None = None
