"""Every table, imported in one place so that Alembic and the tests see the whole schema."""

from __future__ import annotations

from yibao.contributions.models import BankAgreement, Bill, Payment, Refund
from yibao.db import Base
from yibao.enrollment.models import Enrollment
from yibao.people.models import Certificate, Person, Sequence
from yibao.staff.models import StaffSession, StaffUser

metadata = Base.metadata

__all__ = ["BankAgreement", "Bill", "Certificate", "Enrollment", "Payment", "Person", "Refund", "Sequence",
           "StaffSession", "StaffUser", "metadata"]
