"""The e-credential's tables (POLICY.md §10): partner channels, credentials, family bindings (亲情账户), the
decoded dynamic codes (each decodes once) and the ecTokens the counters hold (kept as hashes only).

Per-person rows carry psn_no in their key (ARCHITECTURE.md convention 9)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from yibao.access.trail import trailed
from yibao.db import Base, Sealed


class CredentialStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # by staff; the code does not decode until reinstated
    REVOKED = "revoked"  # by staff, for good; the person may activate a new one
    REPLACED = "replaced"  # re-activated on a new phone


class BindingStatus(StrEnum):
    PENDING = "pending"  # an adult relative has not yet confirmed
    ACTIVE = "active"
    REMOVED = "removed"


LIVE_CREDENTIAL = "status in ('active', 'suspended')"
LIVE_BINDING = "status in ('pending', 'active')"


class Channel(Base):
    """A registered activation partner (国家医保服务平台 app, 浙里办, Alipay, WeChat, bank apps) with its SM2
    public key: the activations it sends are signed with the matching private key."""

    __tablename__ = "ec_channels"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    public_key: Mapped[str] = mapped_column(String(130))  # "04" ‖ x ‖ y (kit/gm.py)
    status: Mapped[str] = mapped_column(String(10))  # active / disabled
    demo: Mapped[bool] = mapped_column(default=False)  # the demo channel: its "face check" is a confirmation step
    created_at: Mapped[dt.datetime]


@trailed("医保电子凭证")
class Credential(Base):
    """A person's e-credential: its index number (ecIndexNo, never the ID number), where and on which device
    it was activated, and its state."""

    __tablename__ = "ec_credentials"

    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), primary_key=True)
    ec_index_no: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    activation_id: Mapped[str] = mapped_column(String(64))  # the channel's request id: one activation each
    device_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))
    activated_by: Mapped[str | None] = mapped_column(String(20))  # psn_no of the family member who activated it
    activated_at: Mapped[dt.datetime]
    changed_at: Mapped[dt.datetime | None]
    changed_by: Mapped[str | None] = mapped_column(String(50))
    change_reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("uq_ec_credentials_index", "ec_index_no", unique=True),
        Index("uq_ec_credentials_activation", "channel", "activation_id", unique=True),
        Index("uq_ec_credentials_live", "psn_no", unique=True,
              sqlite_where=text(LIVE_CREDENTIAL), postgresql_where=text(LIVE_CREDENTIAL)),
    )


@trailed("亲情账户绑定")
class Binding(Base):
    """A family binding (亲情账户): the holder shows and uses the relative's credential."""

    __tablename__ = "ec_bindings"

    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), primary_key=True)  # the holder
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    relative_psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), index=True)
    relationship: Mapped[str] = mapped_column(String(2))  # credential/rules.py RELATIONSHIPS
    proof: Mapped[str] = mapped_column(String(10))  # household / birth / consent / window
    proof_no: Mapped[str | None] = mapped_column(Sealed("proof_no", 50))  # e.g. the birth certificate's number
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(50))
    confirmed_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(50))

    __table_args__ = (
        Index("uq_ec_bindings_live", "psn_no", "relative_psn_no", unique=True,
              sqlite_where=text(LIVE_BINDING), postgresql_where=text(LIVE_BINDING)),
    )


class DecodedCode(Base):
    """A dynamic code that has been decoded: its nonce can never be decoded again."""

    __tablename__ = "ec_decoded_codes"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    ec_index_no: Mapped[str] = mapped_column(String(32))
    fixmedins_code: Mapped[str] = mapped_column(String(20))
    decoded_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)  # rows past this may be purged


class EcToken(Base):
    """The ecToken a decode gave an institution, by its SM3 hash: for this visit at that institution only."""

    __tablename__ = "ec_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), index=True)
    ec_index_no: Mapped[str] = mapped_column(String(32))
    fixmedins_code: Mapped[str] = mapped_column(String(20))
    business_type: Mapped[str] = mapped_column(String(5))
    operator_id: Mapped[str] = mapped_column(String(30))
    operator_name: Mapped[str] = mapped_column(String(50))
    office_id: Mapped[str | None] = mapped_column(String(30))
    office_name: Mapped[str | None] = mapped_column(String(50))
    issued_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    mdtrt_id: Mapped[str | None] = mapped_column(String(30))  # the visit it was first used for


class ChannelRecord(NamedTuple):
    """Fields: the columns of `ec_channels`."""
    code: str
    name: str
    public_key: str
    status: str
    demo: bool
    created_at: dt.datetime


class CredentialRecord(NamedTuple):
    """Fields: the columns of `ec_credentials`."""
    psn_no: str
    ec_index_no: str
    channel: str
    activation_id: str
    device_id: str | None
    status: str
    activated_by: str | None
    activated_at: dt.datetime
    changed_at: dt.datetime | None
    changed_by: str | None
    change_reason: str | None


class BindingRecord(NamedTuple):
    """Fields: the columns of `ec_bindings`."""
    psn_no: str
    id: str
    relative_psn_no: str
    relationship: str
    proof: str
    proof_no: str | None
    status: str
    created_at: dt.datetime
    created_by: str
    confirmed_at: dt.datetime | None
    ended_at: dt.datetime | None
    ended_by: str | None


class EcTokenRecord(NamedTuple):
    """Fields: the columns of `ec_tokens`."""
    token_hash: str
    psn_no: str
    ec_index_no: str
    fixmedins_code: str
    business_type: str
    operator_id: str
    operator_name: str
    office_id: str | None
    office_name: str | None
    issued_at: dt.datetime
    expires_at: dt.datetime
    mdtrt_id: str | None
