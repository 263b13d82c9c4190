"""Paying an enrollment's contribution (POLICY.md §4, S22 §3): the bill is paid through the contributions
domain's one payment check, and the enrollment activates itself once its bill is paid. Every door that takes a
payment (the window, the REST API, the CLI, bank and app files) comes here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.access.trail import UPDATED, trail_changes
from yibao.contributions import service as contributions
from yibao.contributions.models import Payment
from yibao.contributions.service import PaymentRequest
from yibao.enrollment.models import Enrollment
from yibao.statements import among, update_many

# what a payment's rules read of the enrollment a bill belongs to (contributions.BillOwner), as plain rows
OWNER_COLUMNS = (Enrollment.psn_no, Enrollment.id, Enrollment.year, Enrollment.personal_amount,
                 Enrollment.registration_date, Enrollment.channel)


def pay_contribution(session: Session, request: PaymentRequest, *, actor: str) -> Payment:
    """One payment of a bill; its enrollment is then in force (待遇 from its benefit start)."""
    bill = contributions.find_bill(session, request.bill_no)
    enrollment = session.get(Enrollment, (bill.psn_no, bill.enrollment_id)) if bill else None
    payment = contributions.pay_bill(session, request, owner=enrollment, actor=actor)
    assert enrollment is not None  # pay_bill refused a bill without one
    enrollment.status = "active"
    session.flush()
    return payment


def collect_contributions(session: Session, requests: Sequence[PaymentRequest], *, actor: str) -> dict[str, int]:
    """A file of payments (bank withholding, WeChat/Alipay, bank counters): each line checked as a single payment
    is; the enrollments of the bills paid are activated together. Refused lines are counted by reason."""
    return collect_lines(session, requests, actor=actor).counts


def collect_lines(session: Session, requests: Sequence[PaymentRequest], *,
                  actor: str) -> contributions.Collected:
    """As `collect_contributions`, with each refused line's reason by its index (the collection files' reports)."""
    bills = contributions.bills_by_no(session, [r.bill_no for r in requests])
    wanted = {(b.psn_no, b.enrollment_id) for b in bills.values()}
    # by the key's leading column (an IN on `id` alone would scan every enrollment), then the bills' own
    owners = {(e.psn_no, e.id): e for matching in among(session, Enrollment.psn_no, sorted({p for p, _ in wanted}))
              for e in session.execute(select(*OWNER_COLUMNS).where(matching)) if (e.psn_no, e.id) in wanted}
    collected = contributions.collect_bulk(session, requests, bills, owners, actor=actor)
    if collected.paid:
        update_many(session, Enrollment, [{"psn_no": b.psn_no, "id": b.enrollment_id, "status": "active"}
                                          for b in collected.paid])
        trail_changes(session, Enrollment, UPDATED, [b.psn_no for b in collected.paid])
    return collected
