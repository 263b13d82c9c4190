"""The social-security card register over the API: a person's cards, issuing one, reporting one lost. Card
numbers are masked for roles without `person:identity`, as ID numbers are."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import Field

from yibao.adapters.rest.deps import DbSession, PersonRead, PersonWrite, shown
from yibao.kit.schema import CardNumber, In, Out
from yibao.people import cards
from yibao.people.models import SocialSecurityCard
from yibao.staff.models import StaffUser

router = APIRouter(tags=["社会保障卡 cards"])


class CardIn(In):
    card_no: str = Field(min_length=1, max_length=20, description="社会保障卡卡号")
    card_sn: str = Field(min_length=1, max_length=32, description="卡识别码（芯片）")
    issued_on: dt.date


class CardRead(Out):
    card_no: CardNumber
    issued_on: dt.date
    status: str
    status_name: str
    changed_at: dt.datetime | None


def card_out(card: SocialSecurityCard, user: StaffUser) -> CardRead:
    return shown(user, CardRead, {"card_no": card.card_no, "issued_on": card.issued_on, "status": card.status,
                                  "status_name": cards.CARD_STATUS_LABELS[card.status],
                                  "changed_at": card.changed_at})


@router.get("/api/persons/{psn_no}/cards", summary="参保人的社会保障卡")
def list_cards(psn_no: str, session: DbSession, user: PersonRead) -> list[CardRead]:
    return [card_out(c, user) for c in cards.cards_of(session, psn_no)]


@router.post("/api/persons/{psn_no}/cards", status_code=201, summary="登记发放的社会保障卡（原卡视为补换）")
def issue(psn_no: str, body: CardIn, session: DbSession, user: PersonWrite) -> CardRead:
    card = cards.issue_card(session, psn_no=psn_no, card_no=body.card_no, card_sn=body.card_sn,
                            issued_on=body.issued_on, actor=user.username)
    return card_out(card, user)


@router.post("/api/cards/{card_no}/lost", summary="社会保障卡挂失")
def lost(card_no: str, session: DbSession, user: PersonWrite) -> CardRead:
    return card_out(cards.report_lost(session, card_no=card_no, actor=user.username), user)
