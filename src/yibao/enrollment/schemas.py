from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from yibao.kit.schema import In, MoneyOut, Out


class NonlocalChildIn(In):
    insured_outside_ningbo: bool
    parent_employee_months: int = Field(ge=0)
    parent_benefit_normal: bool
    has_residence_permit: bool
    has_household_book_or_birth_certificate: bool


class EnrollmentCreate(In):
    psn_no: str
    year: int = Field(ge=2018, le=2100)
    registration_date: dt.date
    channel: str = Field(description="zlb_app / alipay / window / self_service / school")
    student: bool = False
    adult_tier: str | None = Field(None, description="2018 年度成年居民档次：adult_a / adult_b")
    proxy_name: str | None = None
    proxy_certno: str | None = None
    late_exception: Literal["resident_interruption", "employee_transfer", "demobilised", "newborn"] | None = None
    event_date: dt.date | None = None
    full_subsidy_class: str | None = None
    nonlocal_child: NonlocalChildIn | None = None
    school_name: str | None = None
    school_class: str | None = None


class EnrollmentRead(Out):
    id: str
    psn_no: str
    year: int
    edition: str
    category: str
    student: bool
    channel: str
    proxy_name: str | None
    registration_date: dt.date
    timing: str
    late_exception: str | None
    benefit_start: dt.date
    benefit_end: dt.date
    benefit_basis: str
    full_subsidy_class: str | None
    personal_amount: MoneyOut
    government_amount: MoneyOut
    status: str
    school_name: str | None
    school_class: str | None


class EnrollmentCancel(In):
    reason: str = Field(min_length=1, max_length=200)
    on: dt.date


class RenewalCreate(In):
    year: int = Field(ge=2018, le=2100)
    registration_date: dt.date


class RenewalRead(Out):
    year: int
    renewed: int
    skipped: dict[str, int]


class ImportErrorRead(Out):
    line: int
    name: str = ""  # the pupil's name and class as the file gives them
    message: str


class ImportReport(Out):
    total: int
    valid: int
    imported: int
    errors: list[ImportErrorRead]
