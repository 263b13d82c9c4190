from __future__ import annotations

import datetime as dt

from pydantic import Field

from yibao.kit.schema import CardNumber, IdNumber, In, Out, Phone


class PersonCreate(In):
    certno: str = Field(description="身份证号（GB 11643）")
    name: str = Field(min_length=1, max_length=50)
    local: bool = Field(description="是否本区户籍")
    town: str | None = Field(None, description="户籍所在镇（街道）代码，本区户籍必填")
    birth_date: dt.date | None = Field(None, description="出生日期（填写时与身份证号核对）")
    sex: str | None = Field(None, pattern="^[12]$", description="1 男 2 女（填写时与身份证号核对）")
    household_no: str | None = None
    phone: str | None = Field(None, pattern=r"^[0-9\-]{7,20}$")
    employee_insured: bool = False


class PersonRead(Out):
    psn_no: str
    certno: IdNumber
    name: str
    sex: str
    birth_date: dt.date
    local: bool
    town: str | None
    household_no: str | None
    phone: Phone | None
    employee_insured: bool
    employee_insurance_end: dt.date | None
    death_date: dt.date | None = None


class CertificateCreate(In):
    kind: str
    cert_no: str
    valid_from: dt.date
    valid_to: dt.date | None = None


class CertificateRead(Out):
    id: str
    kind: str
    cert_no: CardNumber
    valid_from: dt.date
    valid_to: dt.date | None


class EmployeeInsuranceUpdate(In):
    insured: bool
    ended_on: dt.date | None = None


class DeathReport(In):
    died_on: dt.date = Field(description="死亡日期")
    source: str = Field(min_length=1, max_length=100, description="信息来源：民政殡葬信息、公安户籍注销、家属申报 …")


class TownRead(Out):
    code: str
    name: str
    hotline: str
