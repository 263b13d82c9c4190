"""Every table, imported in one place so that Alembic and the tests see the whole schema."""

from __future__ import annotations

from yibao.access.models import LoginSession, SignInFailure
from yibao.accounts.models import (
    FamilyAccount,
    FamilyMember,
    FamilyNetwork,
    HistoricalFile,
    HistoricalMovement,
    JournalEntry,
    Posting,
)
from yibao.audit.models import AuditCase, AuditFinding, AuditScan, CaseEvent, Sanction, SwapListEntry
from yibao.clearing.models import Clearing, ClearingDeduction
from yibao.contributions.models import (
    BankAgreement,
    Bill,
    CollectionFile,
    Payment,
    Refund,
    WithholdingLine,
    WithholdingRun,
)
from yibao.credential.models import Binding, Channel, Credential, DecodedCode, EcToken
from yibao.db import Base
from yibao.enrollment.models import Enrollment, InsuranceCertificate
from yibao.filings.models import CrossRegionFiling, SpecialDiseaseFiling
from yibao.institutions.models import (
    CatalogueItem,
    CatalogueSelfpay,
    Doctor,
    DoctorPoints,
    Institution,
    ItemMatch,
    NationalListEntry,
)
from yibao.parameters.models import PolicyAmendment
from yibao.people.models import (
    Certificate,
    Person,
    PersonChange,
    ResidentAccount,
    Sequence,
    SocialSecurityCard,
    TemporaryAssistance,
)
from yibao.settlement.models import (
    Accumulator,
    FeeDetail,
    GatewayCall,
    GatewayFile,
    GatewayMessage,
    GatewaySignIn,
    MaternityClaim,
    Settlement,
    Visit,
)
from yibao.staff.models import StaffUser

metadata = Base.metadata

__all__ = [
    "Accumulator",
    "AuditCase",
    "AuditFinding",
    "AuditScan",
    "BankAgreement",
    "Bill",
    "Binding",
    "CaseEvent",
    "CatalogueItem",
    "CatalogueSelfpay",
    "Certificate",
    "Channel",
    "Clearing",
    "ClearingDeduction",
    "CollectionFile",
    "Credential",
    "CrossRegionFiling",
    "DecodedCode",
    "Doctor",
    "DoctorPoints",
    "EcToken",
    "Enrollment",
    "FamilyAccount",
    "FamilyMember",
    "FamilyNetwork",
    "FeeDetail",
    "GatewayCall",
    "GatewayFile",
    "GatewayMessage",
    "GatewaySignIn",
    "HistoricalFile",
    "HistoricalMovement",
    "Institution",
    "InsuranceCertificate",
    "ItemMatch",
    "JournalEntry",
    "LoginSession",
    "MaternityClaim",
    "NationalListEntry",
    "Payment",
    "Person",
    "PersonChange",
    "PolicyAmendment",
    "Posting",
    "Refund",
    "ResidentAccount",
    "Sanction",
    "Sequence",
    "Settlement",
    "SignInFailure",
    "SocialSecurityCard",
    "SpecialDiseaseFiling",
    "StaffUser",
    "SwapListEntry",
    "TemporaryAssistance",
    "Visit",
    "WithholdingLine",
    "WithholdingRun",
    "metadata",
]
