"""The audit's tables: scans and their findings, cases with their events and sanctions, the swap list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yibao.db import Base, SealedText


class AuditScan(Base):
    """A batch scan (事后) of a period's settlements and fee lines by the chosen rules."""

    __tablename__ = "audit_scans"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    period_from: Mapped[dt.date]
    period_to: Mapped[dt.date]
    rules: Mapped[str] = mapped_column(String(400))  # the rule ids, comma-separated
    fee_lines: Mapped[int]  # fee lines in the period
    settlements: Mapped[int]
    findings: Mapped[int]  # new findings (a finding a rescan meets again is not repeated)
    by_rule: Mapped[str] = mapped_column(Text)  # JSON: rule id → hits
    started_by: Mapped[str] = mapped_column(String(50))
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime]


class AuditFinding(Base):
    """One hit of a rule (疑点): whom and what it is about, the amount at stake (vola_amt) and its evidence."""

    __tablename__ = "audit_findings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(10))
    vola_type: Mapped[str] = mapped_column(String(20))
    scene: Mapped[str] = mapped_column(String(10))  # where it was found: before / during / after
    sev_deg: Mapped[str] = mapped_column(String(3))
    fixmedins_code: Mapped[str | None] = mapped_column(String(20), index=True)
    dr_code: Mapped[str | None] = mapped_column(String(30))
    psn_no: Mapped[str | None] = mapped_column(String(20), index=True)
    mdtrt_id: Mapped[str | None] = mapped_column(String(30))
    setl_id: Mapped[str | None] = mapped_column(String(30))
    service_date: Mapped[dt.date]
    vola_amt: Mapped[Decimal]  # the amount of the lines or settlements it is about
    fund_amt: Mapped[Decimal]  # of which the funds paid (what a recovery could take back)
    content: Mapped[str] = mapped_column(String(500))  # vola_cont: what is wrong, in words
    evidence: Mapped[str] = mapped_column(Text)  # JSON: settlements, fee lines, figures
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)  # the rule and what it is about
    status: Mapped[str] = mapped_column(String(12))  # FindingStatus
    case_id: Mapped[str | None] = mapped_column(String(32), index=True)
    dismissed_by: Mapped[str | None] = mapped_column(String(50))
    dismissed_reason: Mapped[str | None] = mapped_column(String(200))
    scan_id: Mapped[str | None] = mapped_column(String(32))  # None: found in real time
    found_at: Mapped[dt.datetime]

    __table_args__ = (Index("ix_audit_findings_status_rule", "status", "rule_id"),)


class AuditCase(Base):
    """稽查案件: opened from findings or by hand against an institution (or an insured person), worked by the
    auditor, decided by a second person (an administrator) with sanctions in the report's ranges."""

    __tablename__ = "audit_cases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ref: Mapped[str] = mapped_column(String(30), unique=True)  # 奉医保稽〔2026〕1号
    title: Mapped[str] = mapped_column(String(200))
    vola_type: Mapped[str] = mapped_column(String(20))
    fixmedins_code: Mapped[str | None] = mapped_column(String(20), index=True)
    psn_no: Mapped[str | None] = mapped_column(String(20))
    dr_code: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(12))  # CaseStatus
    opened_by: Mapped[str] = mapped_column(String(50))
    opened_at: Mapped[dt.datetime]
    proposal: Mapped[str | None] = mapped_column(Text)  # JSON: the sanctions proposed
    proposed_by: Mapped[str | None] = mapped_column(String(50))
    proposed_at: Mapped[dt.datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(50))
    decided_at: Mapped[dt.datetime | None]
    legal_basis: Mapped[str | None] = mapped_column(String(200))
    notice: Mapped[str | None] = mapped_column(Text)  # 通报: the published text, once decided


class CaseEvent(Base):
    """What happened in a case, in order: opened, a note, evidence, the institution's statement, a proposal, the
    decision, an appeal (申诉), a return for rework."""

    __tablename__ = "audit_case_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(32))
    number: Mapped[int]  # its place in the case (1, 2 …): times are to the second
    kind: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)
    setl_id: Mapped[str | None] = mapped_column(String(30))  # evidence: a settlement
    document: Mapped[str | None] = mapped_column(String(200))  # evidence: a document's name and number
    actor: Mapped[str] = mapped_column(String(50))
    at: Mapped[dt.datetime]

    __table_args__ = (Index("uq_audit_case_events_number", "case_id", "number", unique=True),)


class CaseDocument(Base):
    """A file of evidence uploaded to a case (a scanned prescription, a photo, the institution's written
    statement): sealed at rest like every personal number (kit/sealing.py), its SHA-256 kept to show it unchanged."""

    __tablename__ = "audit_case_documents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(32), index=True)
    event_number: Mapped[int]  # the case event (证据) that records its upload
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(SealedText("audit_document"))  # base64 of the bytes, sealed
    uploaded_by: Mapped[str] = mapped_column(String(50))
    uploaded_at: Mapped[dt.datetime]


class Sanction(Base):
    """One sanction a decision imposed, and what it did: the clearing deduction or ledger entry of a recovery,
    the suspension's dates, the points docked."""

    __tablename__ = "audit_sanctions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # SanctionKind
    fixmedins_code: Mapped[str | None] = mapped_column(String(20), index=True)
    dr_code: Mapped[str | None] = mapped_column(String(30))
    setl_id: Mapped[str | None] = mapped_column(String(30))
    fund: Mapped[str | None] = mapped_column(String(6))
    amount: Mapped[Decimal | None]
    months: Mapped[int | None]
    points: Mapped[int | None]
    effective_from: Mapped[dt.date]
    effective_to: Mapped[dt.date | None]
    deduction_id: Mapped[str | None] = mapped_column(String(32))  # clearing/: the institution's next statement
    entry_id: Mapped[str | None] = mapped_column(String(32))  # a recovery from a person: its journal entry
    decided_at: Mapped[dt.datetime]


class SwapListEntry(Base):
    """串换对照表 (maintained by the auditors): a covered item that a self-pay good is known to be billed as, and
    the good's own price — a line of the covered item at that price is a likely swap."""

    __tablename__ = "audit_swap_list"

    covered_code: Mapped[str] = mapped_column(String(50), primary_key=True)
    goods_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    goods_price: Mapped[Decimal] = mapped_column(Numeric(16, 6))
    source: Mapped[str] = mapped_column(String(200))  # the notice or check it was found in
    added_by: Mapped[str] = mapped_column(String(50))
    added_at: Mapped[dt.datetime]


class SwapListRecord(NamedTuple):
    """A swap-list entry (read at settlement).

    Fields: the columns of `audit_swap_list`."""
    covered_code: str
    goods_name: str
    goods_price: Decimal
    source: str
    added_by: str
    added_at: dt.datetime


class FindingRecord(NamedTuple):
    """A finding as the real-time rules write it.

    Fields: the columns of `audit_findings`."""
    id: str
    rule_id: str
    vola_type: str
    scene: str
    sev_deg: str
    fixmedins_code: str | None
    dr_code: str | None
    psn_no: str | None
    mdtrt_id: str | None
    setl_id: str | None
    service_date: dt.date
    vola_amt: Decimal
    fund_amt: Decimal
    content: str
    evidence: str
    fingerprint: str
    status: str
    case_id: str | None
    dismissed_by: str | None
    dismissed_reason: str | None
    scan_id: str | None
    found_at: dt.datetime
