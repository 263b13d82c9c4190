"""The social-security card register (社会保障卡): cards issued to persons, reported lost, replaced; the card
identifies its holder at the counter (mdtrt_cert_type 03: the card number with its chip identifier card_sn)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from yibao.db import digest_of
from yibao.errors import Conflict, InvalidInput, Named, NotFound, Refused
from yibao.kit.clock import now
from yibao.people.models import CardRecord, PersonRecord, SocialSecurityCard
from yibao.people.service import get_person, person_record
from yibao.statements import Db, Read

# The messages do not repeat the card number: they reach the interface log (ID and phone numbers are masked
# there; a card number is simply not written). The number stays on the error's facts for its callers.
CARD_STATUS_LABELS = {"active": "正常", "lost": "已挂失", "replaced": "已补换"}


class CardUnknown(Named, NotFound):
    code, default_field = "card_unknown", "mdtrt_cert_no"
    template = "该社会保障卡未在本统筹区登记，请核对卡号或改用身份证、医保电子凭证"


class CardNotActive(Named, Refused):
    code, default_field = "card_not_active", "mdtrt_cert_no"
    template = "该社会保障卡{status}，不能使用；请改用医保电子凭证或身份证，或到社保窗口补卡"


class CardSnMismatch(Named, Refused):
    code, default_field = "card_sn_mismatch", "card_sn"
    template = "卡识别码 card_sn 与社会保障卡不符：请重新读卡"


class CardNumberTaken(Named, Conflict):
    code, default_field = "card_number_taken", "card_no"
    template = "该卡号已登记给其他人或已使用过"


_CARD = Read(CardRecord, SocialSecurityCard, SocialSecurityCard.card_digest == bindparam("digest"))


def _check(card_no: str, card_sn: str) -> tuple[str, str]:
    number, chip = card_no.strip().upper(), card_sn.strip()
    if not (1 <= len(number) <= 20 and number.isalnum()):
        raise InvalidInput("社会保障卡卡号应为 1–20 位字母或数字", field="card_no")
    if not (1 <= len(chip) <= 32 and chip.isalnum()):
        raise InvalidInput("卡识别码 card_sn 应为 1–32 位字母或数字", field="card_sn")
    return number, chip


def issue_card(session: Session, *, psn_no: str, card_no: str, card_sn: str, issued_on: dt.date,
               actor: str) -> SocialSecurityCard:
    """Register a card issued to the person; a card they held before is marked replaced."""
    number, chip = _check(card_no, card_sn)
    get_person(session, psn_no)
    if session.scalars(select(SocialSecurityCard).where(
            SocialSecurityCard.card_digest == digest_of("card_no", number))).first() is not None:
        raise CardNumberTaken(card_no=number)
    moment = now()
    for old in session.scalars(select(SocialSecurityCard).where(SocialSecurityCard.psn_no == psn_no,
                                                                SocialSecurityCard.status == "active")):
        old.status, old.changed_at, old.changed_by = "replaced", moment, actor
    session.flush()
    card = SocialSecurityCard(psn_no=psn_no, card_no=number, card_sn=chip, issued_on=issued_on, status="active",
                              changed_at=None, changed_by=None, created_at=moment)
    session.add(card)
    session.flush()
    return card


def report_lost(session: Session, *, card_no: str, actor: str) -> SocialSecurityCard:
    card = session.scalars(select(SocialSecurityCard).where(
        SocialSecurityCard.card_digest == digest_of("card_no", card_no))).first()
    if card is None:
        raise CardUnknown(card_no=card_no)
    if card.status != "active":
        raise CardNotActive(card_no=card.card_no, status=CARD_STATUS_LABELS[card.status])
    card.status, card.changed_at, card.changed_by = "lost", now(), actor
    session.flush()
    return card


def card_holder(session: Db, *, card_no: str, card_sn: str | None, check_sn: bool = True) -> PersonRecord:
    """Who the card read at the counter belongs to: an active card whose chip identifier matches (1101 reads the
    chip; later transactions carry the card number only, `check_sn=False`)."""
    card = _CARD.first(session, digest=digest_of("card_no", card_no))
    if card is None:
        raise CardUnknown(card_no=card_no)
    if card.status != "active":
        raise CardNotActive(card_no=card.card_no, status=CARD_STATUS_LABELS[card.status])
    if check_sn and (card_sn is None or card_sn.strip() != card.card_sn):
        raise CardSnMismatch(card_no=card.card_no)
    return person_record(session, card.psn_no)


def cards_of(session: Session, psn_no: str) -> list[SocialSecurityCard]:
    return list(session.scalars(select(SocialSecurityCard).where(SocialSecurityCard.psn_no == psn_no)
                                .order_by(SocialSecurityCard.created_at)))
