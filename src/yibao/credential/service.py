"""The e-credential's operations (POLICY.md §10), for every door: activation through a channel, staff's
suspension and revocation, family binding (亲情账户), the dynamic code, its decoding at the counter and the
ecToken that the settlement transactions accept as `mdtrt_cert_type` 01.

yibao plays the platform's part for Fenghua: it issues and verifies; the real-person (face) check belongs to the
channel, which signs what it checked (credential/channels.py)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yibao.credential.channels import Activation, verify_activation
from yibao.credential.codes import IssuedCode, issue_code, read_code
from yibao.credential.errors import (
    ActivationReused,
    AlreadyBound,
    BindingNotFound,
    BindLimit,
    BindSelf,
    BindStranger,
    CodeAlreadyDecoded,
    CredentialRevoked,
    CredentialStateUnchanged,
    CredentialSuspended,
    NameMismatch,
    NoCredential,
    NotBound,
    NotInsuredToday,
    NotMinorOrElder,
    OrgMismatch,
    PersonNotRegistered,
    ReasonRequired,
    RelationshipUnfit,
    TokenExpired,
    TokenOfAnotherInstitution,
    TokenOfAnotherPerson,
    TokenOfAnotherVisit,
    TokenUnknown,
    UnknownBusinessType,
    UnknownRelationship,
)
from yibao.credential.keys import KeyRing
from yibao.credential.models import (
    Binding,
    BindingRecord,
    BindingStatus,
    Channel,
    ChannelRecord,
    Credential,
    CredentialRecord,
    CredentialStatus,
    DecodedCode,
    EcToken,
    EcTokenRecord,
)
from yibao.credential.rules import (
    BUSINESS_TYPES,
    CREDENTIAL_STATUS_LABELS,
    RELATIONSHIPS,
    CredentialParameters,
    Kin,
    kin_on,
)
from yibao.enrollment.service import coverage_on
from yibao.errors import InvalidInput, NotFound
from yibao.kit.clock import now
from yibao.kit.dates import age_on
from yibao.kit.gm import check_public_key, sm3_hex
from yibao.kit.ids import new_id
from yibao.people.models import PersonRecord
from yibao.people.service import person_record, person_with_certno
from yibao.statements import Db, Read, Update, fixed

LIVE = (CredentialStatus.ACTIVE.value, CredentialStatus.SUSPENDED.value)
LIVE_BINDINGS = (BindingStatus.PENDING.value, BindingStatus.ACTIVE.value)

_LIVE_CREDENTIAL = Read(CredentialRecord, Credential, Credential.psn_no == bindparam("psn_no"),
                        or_(*(Credential.status == fixed(status) for status in LIVE)))
_CREDENTIAL_BY_INDEX = Read(CredentialRecord, Credential, Credential.ec_index_no == bindparam("ec_index_no"))
_TOKEN = Read(EcTokenRecord, EcToken, EcToken.token_hash == bindparam("token_hash"))
_TOKEN_TO_VISIT = Update(EcToken, ["mdtrt_id"], ["token_hash"], EcToken.mdtrt_id.is_(None))


# ---------------------------------------------------------------------------------------------------
# Channels


def register_channel(session: Session, *, code: str, name: str, public_key: str, demo: bool = False) -> Channel:
    code = code.strip().lower()
    if not code or len(code) > 20 or not code.replace("_", "").isalnum():
        raise InvalidInput("渠道代码应为 1–20 位字母、数字或下划线", field="code")
    try:
        check_public_key(public_key)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="public_key") from exc
    channel = session.get(Channel, code)
    if channel is None:
        channel = Channel(code=code, name=name, public_key=public_key.lower(), status="active", demo=demo,
                          created_at=now())
        session.add(channel)
    else:  # a new key for a known channel (the partner rotated it)
        channel.name, channel.public_key, channel.status, channel.demo = name, public_key.lower(), "active", demo
    session.flush()
    return channel


def set_channel_status(session: Session, code: str, *, active: bool) -> Channel:
    channel = session.get(Channel, code)
    if channel is None:
        raise NotFound(f"没有代码为 {code} 的激活渠道", field="code")
    channel.status = "active" if active else "disabled"
    session.flush()
    return channel


def channels(session: Session) -> list[ChannelRecord]:
    rows = session.scalars(select(Channel).order_by(Channel.code))
    return [ChannelRecord(r.code, r.name, r.public_key, r.status, r.demo, r.created_at) for r in rows]


# ---------------------------------------------------------------------------------------------------
# Activation and the credential's state


def new_ec_index_no() -> str:
    """The credential's identifier: random, never derived from the ID number."""
    return secrets.token_hex(16).upper()


def activate(session: Session, params: CredentialParameters, message: dict[str, Any], *,
             moment: dt.datetime | None = None, activated_by: str | None = None) -> CredentialRecord:
    """Activate (or re-activate on a new phone) from a channel's signed real-name message."""
    moment = moment or now()
    activation = verify_activation(session, message, moment, params)
    return _issue_credential(session, activation, moment, activated_by)


def _issue_credential(session: Session, activation: Activation, moment: dt.datetime,
                      activated_by: str | None) -> CredentialRecord:
    person = person_with_certno(session, activation.certno)
    if person is None:
        raise PersonNotRegistered()
    if activation.name != person.name:
        raise NameMismatch()
    earlier = session.scalars(select(Credential).where(Credential.channel == activation.channel,
                                                      Credential.activation_id == activation.request_id)).first()
    if earlier is not None:  # the channel sent the same activation again: the same answer
        if earlier.psn_no != person.psn_no:
            raise ActivationReused(request_id=activation.request_id)
        return record_of(earlier)
    live = session.scalars(select(Credential).where(Credential.psn_no == person.psn_no,
                                                   Credential.status.in_(LIVE)).with_for_update()).first()
    if live is not None:
        if live.status == CredentialStatus.SUSPENDED:
            raise CredentialSuspended(field="certno")
        live.status, live.changed_at, live.changed_by = CredentialStatus.REPLACED.value, moment, activation.channel
        live.change_reason = "在新设备上重新激活"
        session.flush()
    credential = Credential(psn_no=person.psn_no, ec_index_no=new_ec_index_no(), channel=activation.channel,
                            activation_id=activation.request_id, device_id=activation.device_id,
                            status=CredentialStatus.ACTIVE.value, activated_by=activated_by, activated_at=moment,
                            changed_at=None, changed_by=None, change_reason=None)
    session.add(credential)
    session.flush()
    return record_of(credential)


def record_of(row: Credential) -> CredentialRecord:
    return CredentialRecord(*(getattr(row, name) for name in CredentialRecord._fields))


def credential_of(session: Db, psn_no: str) -> CredentialRecord | None:
    """The person's live credential (active or suspended), if any."""
    return _LIVE_CREDENTIAL.first(session, psn_no=psn_no)


def credentials_history(session: Session, psn_no: str) -> list[CredentialRecord]:
    rows = session.scalars(select(Credential).where(Credential.psn_no == psn_no)
                           .order_by(Credential.activated_at.desc()))
    return [record_of(r) for r in rows]


_TRANSITIONS = {  # action → (allowed from, to, label)
    "suspend": ({CredentialStatus.ACTIVE}, CredentialStatus.SUSPENDED, "暂停"),
    "reinstate": ({CredentialStatus.SUSPENDED}, CredentialStatus.ACTIVE, "恢复"),
    "revoke": ({CredentialStatus.ACTIVE, CredentialStatus.SUSPENDED}, CredentialStatus.REVOKED, "注销"),
}


def change_credential(session: Session, psn_no: str, action: str, *, reason: str, actor: str) -> CredentialRecord:
    """Staff suspend, reinstate or revoke a person's credential, with the reason recorded."""
    allowed, target, label = _TRANSITIONS[action]
    if not reason.strip():
        raise ReasonRequired(action=label)
    row = session.scalars(select(Credential).where(Credential.psn_no == psn_no, Credential.status.in_(LIVE))
                          .with_for_update()).first()
    if row is None:
        raise NoCredential(name=person_record(session, psn_no).name)
    if CredentialStatus(row.status) not in allowed:
        raise CredentialStateUnchanged(status=CREDENTIAL_STATUS_LABELS[row.status], action=label)
    row.status, row.changed_at, row.changed_by, row.change_reason = target.value, now(), actor, reason.strip()[:200]
    session.flush()
    return record_of(row)


def usable_credential(session: Db, psn_no: str) -> CredentialRecord:
    """The person's active credential; refused if there is none or it is suspended."""
    credential = credential_of(session, psn_no)
    if credential is None:
        raise NoCredential(name=person_record(session, psn_no).name)
    if credential.status == CredentialStatus.SUSPENDED:
        raise CredentialSuspended()
    return credential


# ---------------------------------------------------------------------------------------------------
# Family binding (亲情账户)


def _binding_record(row: Binding) -> BindingRecord:
    return BindingRecord(*(getattr(row, name) for name in BindingRecord._fields))


def bind_relative(session: Session, params: CredentialParameters, *, holder: str, certno: str, name: str,
                  relationship: str, actor: str, proof_no: str | None = None,
                  at_window: bool = False) -> BindingRecord:
    """Bind a relative to `holder`: a minor of the same household at once (or, at the window, on a birth
    certificate); an elderly relative once they confirm (or, at the window, in person)."""
    if relationship not in RELATIONSHIPS:
        raise UnknownRelationship(relationship=relationship,
                                  choices="、".join(f"{c} {label}" for c, (label, _) in RELATIONSHIPS.items()))
    me = person_record(session, holder)
    relative = person_with_certno(session, certno)
    if relative is None:
        raise PersonNotRegistered()
    if relative.psn_no == holder:
        raise BindSelf()
    if relative.name != name.strip():
        raise NameMismatch()
    today = now().date()
    kin = kin_on(relative.birth_date, today, params)
    if kin is None:
        raise NotMinorOrElder(adult_age=params.adult_age, elder_age=params.elder_age, name=relative.name,
                              age=age_on(relative.birth_date, today))
    label, fits = RELATIONSHIPS[relationship]
    if kin not in fits:
        raise RelationshipUnfit(relationship=label, name=relative.name)
    live = list(session.scalars(select(Binding).where(Binding.psn_no == holder,
                                                     Binding.status.in_(LIVE_BINDINGS)).with_for_update()))
    if any(b.relative_psn_no == relative.psn_no for b in live):
        raise AlreadyBound(name=relative.name)
    if len(live) >= params.max_bindings:
        raise BindLimit(limit=params.max_bindings)
    proof, status = _proof(me, relative, kin, proof_no=proof_no, at_window=at_window)
    moment = now()
    row = Binding(psn_no=holder, id=new_id(), relative_psn_no=relative.psn_no, relationship=relationship,
                  proof=proof, proof_no=(proof_no or "").strip()[:50] or None, status=status.value,
                  created_at=moment, created_by=actor,
                  confirmed_at=moment if status == BindingStatus.ACTIVE else None, ended_at=None, ended_by=None)
    session.add(row)
    session.flush()
    return _binding_record(row)


def _proof(me: PersonRecord, relative: PersonRecord, kin: Kin, *, proof_no: str | None,
           at_window: bool) -> tuple[str, BindingStatus]:
    if kin == Kin.MINOR:
        if me.household_no and me.household_no == relative.household_no:
            return "household", BindingStatus.ACTIVE
        if at_window and proof_no and proof_no.strip():
            return "birth", BindingStatus.ACTIVE
        raise BindStranger(name=relative.name)
    if at_window:
        return "window", BindingStatus.ACTIVE
    return "consent", BindingStatus.PENDING


def confirm_binding(session: Session, *, relative: str, binding_id: str, actor: str) -> BindingRecord:
    """The elderly relative accepts a binding someone asked for."""
    row = session.scalars(select(Binding).where(Binding.id == binding_id, Binding.relative_psn_no == relative,
                                                Binding.status == BindingStatus.PENDING.value)
                          .with_for_update()).first()
    if row is None:
        raise BindingNotFound()
    row.status, row.confirmed_at = BindingStatus.ACTIVE.value, now()
    session.flush()
    return _binding_record(row)


def end_binding(session: Session, *, binding_id: str, by_psn_no: str | None, actor: str) -> BindingRecord:
    """Unbind: by the holder, by the relative (declining or leaving), or by staff (by_psn_no None)."""
    query = select(Binding).where(Binding.id == binding_id, Binding.status.in_(LIVE_BINDINGS))
    row = session.scalars(query.with_for_update()).first()
    if row is None or (by_psn_no is not None and by_psn_no not in (row.psn_no, row.relative_psn_no)):
        raise BindingNotFound()
    row.status, row.ended_at, row.ended_by = BindingStatus.REMOVED.value, now(), actor
    session.flush()
    return _binding_record(row)


class BoundPerson(NamedTuple):
    binding: BindingRecord
    person: PersonRecord
    credential: CredentialRecord | None


def bindings_of(session: Session, holder: str, *, include_removed: bool = False) -> list[BoundPerson]:
    """The relatives `holder` bound (or asked to bind), with their credentials."""
    return _bindings(session, Binding.psn_no == holder, "relative_psn_no", include_removed)


def bound_by(session: Session, relative: str, *, include_removed: bool = False) -> list[BoundPerson]:
    """Who bound `relative` (their requests, for the relative to confirm or decline)."""
    return _bindings(session, Binding.relative_psn_no == relative, "psn_no", include_removed)


def _bindings(session: Session, side: Any, other: str, include_removed: bool) -> list[BoundPerson]:
    """Bindings on one side, each with the person on the `other` side and that person's credential."""
    query = select(Binding).where(side)
    if not include_removed:
        query = query.where(Binding.status.in_(LIVE_BINDINGS))
    rows = session.scalars(query.order_by(Binding.created_at))
    return [BoundPerson(_binding_record(r), person_record(session, getattr(r, other)),
                        credential_of(session, getattr(r, other))) for r in rows]


def check_bound(session: Session, holder: str, relative: str) -> None:
    """Refused unless `holder` has an active binding of `relative` (the holder themself always passes)."""
    if holder == relative:
        return
    found = session.scalars(select(Binding.id).where(Binding.psn_no == holder, Binding.relative_psn_no == relative,
                                                     Binding.status == BindingStatus.ACTIVE.value)).first()
    if found is None:
        raise NotBound()


# ---------------------------------------------------------------------------------------------------
# The dynamic code


def show_code(session: Session, ring: KeyRing, params: CredentialParameters, *, viewer: str,
              for_psn_no: str | None = None, moment: dt.datetime | None = None) -> IssuedCode:
    """A fresh dynamic code of the viewer's own credential or of a relative the viewer has bound."""
    subject = for_psn_no or viewer
    check_bound(session, viewer, subject)
    credential = usable_credential(session, subject)
    return issue_code(ring, credential.ec_index_no, moment or now(), params)


class DecodeRequest(NamedTuple):
    org_id: str
    business_type: str
    operator_id: str
    operator_name: str
    office_id: str | None
    office_name: str | None
    qr_code: str


class Decoded(NamedTuple):
    person: PersonRecord
    credential: CredentialRecord
    ec_token: str
    expires_at: dt.datetime


def decode_code(session: Session, ring: KeyRing, params: CredentialParameters, *, fixmedins_code: str,
                request: DecodeRequest, moment: dt.datetime | None = None) -> Decoded:
    """ec.query: an institution decodes a scanned code into the person and a short-lived ecToken."""
    moment = moment or now()
    if request.org_id != fixmedins_code:
        raise OrgMismatch(org_id=request.org_id, fixmedins_code=fixmedins_code)
    if request.business_type not in BUSINESS_TYPES:
        raise UnknownBusinessType(business_type=request.business_type,
                                  choices="、".join(f"{c} {n}" for c, n in BUSINESS_TYPES.items()))
    claims = read_code(ring, request.qr_code, moment, params)
    credential = _CREDENTIAL_BY_INDEX.first(session, ec_index_no=claims.ec_index_no)
    if credential is None or credential.status in (CredentialStatus.REVOKED, CredentialStatus.REPLACED):
        raise CredentialRevoked()
    if credential.status == CredentialStatus.SUSPENDED:
        raise CredentialSuspended()
    if session.get(DecodedCode, claims.nonce) is not None:
        raise CodeAlreadyDecoded()
    person = person_record(session, credential.psn_no)
    if coverage_on(session, person.psn_no, moment.date()) is None:
        raise NotInsuredToday(day=moment.date().isoformat())
    token = secrets.token_urlsafe(24)
    expires = moment + params.token_validity
    try:
        with session.begin_nested():  # two counters decoding one code at once: one of them wins
            session.add(DecodedCode(nonce=claims.nonce, ec_index_no=claims.ec_index_no,
                                    fixmedins_code=fixmedins_code, decoded_at=moment, expires_at=claims.expires_at))
            session.flush()
    except IntegrityError as exc:
        raise CodeAlreadyDecoded() from exc
    session.add(EcToken(token_hash=sm3_hex(token.encode()), psn_no=person.psn_no, ec_index_no=credential.ec_index_no,
                        fixmedins_code=fixmedins_code, business_type=request.business_type,
                        operator_id=request.operator_id, operator_name=request.operator_name,
                        office_id=request.office_id, office_name=request.office_name, issued_at=moment,
                        expires_at=expires, mdtrt_id=None))
    session.flush()
    return Decoded(person, credential, token, expires)


# ---------------------------------------------------------------------------------------------------
# The ecToken at settlement (mdtrt_cert_type 01)


def token_holder(session: Db, token: str, *, fixmedins_code: str, moment: dt.datetime | None = None,
                 params: CredentialParameters) -> EcTokenRecord:
    """The token's record if this institution may use it now: its own, unexpired, the credential still active."""
    record = _TOKEN.first(session, token_hash=sm3_hex(token.strip().encode())) if token and len(token) <= 64 else None
    if record is None:
        raise TokenUnknown()
    if record.fixmedins_code != fixmedins_code:
        raise TokenOfAnotherInstitution()
    if (moment or now()) >= record.expires_at:
        raise TokenExpired(hours=params.token_hours)
    credential = credential_of(session, record.psn_no)
    if credential is None or credential.ec_index_no != record.ec_index_no:
        raise CredentialRevoked(field="mdtrt_cert_no")
    if credential.status == CredentialStatus.SUSPENDED:
        raise CredentialSuspended(field="mdtrt_cert_no")
    return record


def token_for_visit(session: Db, token: str, *, fixmedins_code: str, psn_no: str, mdtrt_id: str | None,
                    params: CredentialParameters, bind: bool) -> EcTokenRecord:
    """The token presented for a visit of `psn_no`: the person's, and not used for another visit; with `bind`,
    the visit it serves is recorded the first time."""
    record = token_holder(session, token, fixmedins_code=fixmedins_code, params=params)
    if record.psn_no != psn_no:
        raise TokenOfAnotherPerson(psn_no=psn_no)
    if record.mdtrt_id is not None and mdtrt_id is not None and record.mdtrt_id != mdtrt_id:
        raise TokenOfAnotherVisit(mdtrt_id=record.mdtrt_id)
    if bind and mdtrt_id is not None and record.mdtrt_id is None:
        _TOKEN_TO_VISIT.run(session, key_token_hash=record.token_hash, mdtrt_id=mdtrt_id)
    return record


def purge_decoded(session: Session, moment: dt.datetime | None = None) -> int:
    """Forget decoded codes and tokens past their expiry (a code past expiry cannot be decoded anyway)."""
    moment = moment or now()
    codes = session.execute(delete(DecodedCode).where(DecodedCode.expires_at < moment - dt.timedelta(minutes=5)))
    tokens = session.execute(delete(EcToken).where(EcToken.expires_at < moment - dt.timedelta(days=1)))
    return int(codes.rowcount or 0) + int(tokens.rowcount or 0)  # type: ignore[attr-defined]

