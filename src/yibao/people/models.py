"""People tables. Per-person rows carry psn_no in their key (ARCHITECTURE.md convention 9)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar, NamedTuple

from sqlalchemy import ForeignKey, Index, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yibao.access.trail import trailed
from yibao.db import Base, Sealed
from yibao.kit.ids import new_id


@trailed("人员信息")
class Person(Base):
    __tablename__ = "persons"

    psn_no: Mapped[str] = mapped_column(String(20), primary_key=True)
    certno: Mapped[str] = mapped_column(Sealed("certno", 18))  # sealed at rest; found by certno_digest
    certno_digest: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    sex: Mapped[str] = mapped_column(String(1))  # 1 male, 2 female
    birth_date: Mapped[dt.date]
    local: Mapped[bool]  # 本区户籍
    town: Mapped[str | None] = mapped_column(String(20))  # required when local (S22 §8 towns)
    household_no: Mapped[str | None] = mapped_column(String(30))
    phone: Mapped[str | None] = mapped_column(Sealed("phone", 20))
    phone_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    employee_insured: Mapped[bool] = mapped_column(default=False)
    employee_insurance_end: Mapped[dt.date | None]  # when employee insurance stopped, if it did
    created_at: Mapped[dt.datetime]
    death_date: Mapped[dt.date | None]  # 死亡日期, once reported (audit rule MM04: no care after it)
    death_source: Mapped[str | None] = mapped_column(String(100))  # who reported it: 民政殡葬信息, 公安户籍注销 …

    certificates: Mapped[list[Certificate]] = relationship(lazy="raise", order_by="Certificate.valid_from")
    __digests__: ClassVar[dict[str, str]] = {"certno": "certno_digest", "phone": "phone_digest"}


@trailed("资格证件")
class Certificate(Base):
    """A certificate for a subsidy or assistance class with its validity (S18 §1: 有效期内证件)."""

    __tablename__ = "certificates"

    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(30))
    cert_no: Mapped[str] = mapped_column(Sealed("cert_no", 50))
    valid_from: Mapped[dt.date]
    valid_to: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime]


class Sequence(Base):
    """Numbered identifiers (psn_no, bill numbers); a block is reserved with one UPDATE … RETURNING."""

    __tablename__ = "sequences"

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    value: Mapped[int]


@trailed("人员信息变更记录")
class PersonChange(Base):
    """A change of a person's contact or registration data at the window, with its old and new value (sealed:
    a phone number is personal data) and why (people.update_person)."""

    __tablename__ = "person_changes"

    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    field: Mapped[str] = mapped_column(String(20))  # phone / town
    old: Mapped[str | None] = mapped_column(Sealed("person_change", 40))
    new: Mapped[str | None] = mapped_column(Sealed("person_change", 40))
    reason: Mapped[str] = mapped_column(String(200))
    changed_by: Mapped[str] = mapped_column(String(60))
    changed_at: Mapped[dt.datetime]


@trailed("居民自助账号")
class ResidentAccount(Base):
    """A resident's sign-in for the self-service pages: ID number + password (scrypt), opened by a clerk."""

    __tablename__ = "resident_accounts"

    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[dt.datetime]
    last_sign_in: Mapped[dt.datetime | None]


@trailed("社保卡")
class SocialSecurityCard(Base):
    """A social-security card (社会保障卡) issued to a person: its number (mdtrt_cert_no of type 03) and chip
    identifier (card_sn); reported lost or replaced, it no longer identifies anyone."""

    __tablename__ = "ss_cards"

    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), primary_key=True)
    card_digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # the card number's digest
    card_no: Mapped[str] = mapped_column(Sealed("card_no", 20))
    card_sn: Mapped[str] = mapped_column(String(32))
    issued_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(10))  # active / lost / replaced
    changed_at: Mapped[dt.datetime | None]
    changed_by: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[dt.datetime]

    __digests__: ClassVar[dict[str, str]] = {"card_no": "card_digest"}
    __table_args__ = (
        Index("uq_ss_cards_number", "card_digest", unique=True),
        Index("uq_ss_cards_active", "psn_no", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
    )


class CardRecord(NamedTuple):
    """Fields: the columns of `ss_cards`."""
    psn_no: str
    card_digest: str
    card_no: str
    card_sn: str
    issued_on: dt.date
    status: str
    changed_at: dt.datetime | None
    changed_by: str | None
    created_at: dt.datetime


class PersonRecord(NamedTuple):
    """A person as the hot path reads it.

    Fields: the columns of `persons`."""
    psn_no: str
    certno: str
    certno_digest: str
    name: str
    sex: str
    birth_date: dt.date
    local: bool
    town: str | None
    household_no: str | None
    phone: str | None
    phone_digest: str | None
    employee_insured: bool
    employee_insurance_end: dt.date | None
    created_at: dt.datetime
    death_date: dt.date | None = None
    death_source: str | None = None


class CertificateRecord(NamedTuple):
    """A certificate (资助/救助证件) with its validity.

    Fields: the columns of `certificates`."""
    psn_no: str
    id: str
    kind: str
    cert_no: str
    valid_from: dt.date
    valid_to: dt.date | None
    created_at: dt.datetime


@trailed("民政临时救助")
class TemporaryAssistance(Base):
    """民政临时救助 a person received (from civil affairs' file), which the high-cost relief deducts (POLICY.md §7)."""

    __tablename__ = "temporary_assistance"

    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), primary_key=True)  # civil affairs' number of the grant
    granted_on: Mapped[dt.date]
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    file_id: Mapped[str] = mapped_column(String(60), index=True)  # the file it came in (imported once)
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[dt.datetime]


class TemporaryAssistanceRecord(NamedTuple):
    """A grant of civil-affairs temporary assistance.

    Fields: the columns of `temporary_assistance`."""
    psn_no: str
    ref: str
    granted_on: dt.date
    amount: Decimal
    file_id: str
    created_by: str
    created_at: dt.datetime
