"""Fund audit (医保稽查, POLICY.md §12): scans that find, cases that decide.

**Scan** (`run_scan`): the chosen rules (rules.yaml) over a period's settlements and fee lines (detect.py); each
hit becomes a finding (疑点) unless the same rule found the same thing before (its fingerprint).

**Case** (`open_case`): opened from findings or by hand against an institution (or, for an insured person's
violation, the person), with its evidence, notes and the institution's statement (`add_event`). The auditor
proposes a decision (`propose`: sanctions within the report's ranges, sanctions.py); an administrator other than
the case's opener and the proposer decides it (`decide`), which applies the sanctions at once and publishes the
notice (通报); or returns it (`send_back`). An appeal (`appeal`, 申诉) reopens a decided case for a new proposal;
what the first decision did stands until a new decision changes it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.audit import detect
from yibao.audit.errors import (
    CaseNeedsParty,
    CaseNotFound,
    CaseWrongStatus,
    FindingNotFound,
    FindingTaken,
    OwnCase,
    ScanPeriodInvalid,
    SwapCodeUnknown,
    SwapExists,
    TextRequired,
    UnknownRule,
    UnknownViolationType,
)
from yibao.audit.models import AuditCase, AuditFinding, AuditScan, CaseEvent, Sanction, SwapListEntry
from yibao.audit.rules import SCENE_LABELS, SEVERITY_LABELS, RuleBook, Scene, rule_book
from yibao.audit.sanctions import (
    FUND_LABELS,
    SANCTION_LABELS,
    SanctionIn,
    SanctionKind,
    apply_sanctions,
    check_sanctions,
)
from yibao.institutions.errors import InstitutionNotFound
from yibao.institutions.models import CatalogueItem
from yibao.institutions.service import institution_record
from yibao.kit.batches import chunks
from yibao.kit.clock import now
from yibao.kit.ids import new_id
from yibao.kit.money import ZERO
from yibao.people.service import reserve_numbers

MAX_SCAN_DAYS = 366


class FindingStatus(StrEnum):
    OPEN = "open"  # 待核查
    IN_CASE = "in_case"  # 已立案
    DISMISSED = "dismissed"  # 已排除 (with the reason)


class CaseStatus(StrEnum):
    OPEN = "open"  # 调查中
    PROPOSED = "proposed"  # 待审批 (a proposal awaits the decision)
    DECIDED = "decided"  # 已决定 (sanctions applied, notice published)
    APPEALED = "appealed"  # 申诉复查中 (reopened; a new proposal follows)


FINDING_LABELS = {FindingStatus.OPEN: "待核查", FindingStatus.IN_CASE: "已立案", FindingStatus.DISMISSED: "已排除"}
CASE_LABELS = {CaseStatus.OPEN: "调查中", CaseStatus.PROPOSED: "待审批", CaseStatus.DECIDED: "已决定",
               CaseStatus.APPEALED: "申诉复查中"}
EVENT_KINDS = {"opened": "立案", "note": "调查记录", "evidence": "证据", "statement": "机构陈述申辩",
               "proposal": "拟处理意见", "returned": "退回重拟", "decision": "稽查决定", "appeal": "申诉"}
WORK_EVENTS = ("note", "evidence", "statement")  # what the auditor adds while the case is worked


# ---------------------------------------------------------------------------------------------------
# Scans and findings


def _check_rules(book: RuleBook, rules: Sequence[str] | None) -> list[str] | None:
    if not rules:
        return None
    known = [rule.id for rule in book.rules]
    for rule_id in rules:
        if rule_id not in known:
            raise UnknownRule(rule_id=rule_id, choices="、".join(known))
    return list(dict.fromkeys(rules))


def run_scan(session: Session, *, start: dt.date, end: dt.date, actor: str, rules: Sequence[str] | None = None,
             book: RuleBook | None = None) -> AuditScan:
    """The chosen rules (all when none) over settlements with a service date in [start, end]; new findings kept."""
    book = book or rule_book()
    if start > end:
        raise ScanPeriodInvalid(problem=f"起日 {start} 晚于止日 {end}")
    if (end - start).days >= MAX_SCAN_DAYS:
        raise ScanPeriodInvalid(problem=f"一次最多 {MAX_SCAN_DAYS} 天，请分段稽查", field="end")
    chosen = _check_rules(book, rules)
    started = now()
    scope = detect.Scope(start, end)
    hits = detect.detect(session, book, chosen, scope)
    settlements, lines = detect.period_size(session, scope)
    scan = AuditScan(id=new_id(), period_from=start, period_to=end, rules=",".join(chosen or ["*"]),
                     fee_lines=lines, settlements=settlements, findings=0, by_rule="{}", started_by=actor,
                     started_at=started, finished_at=started)
    new = record_hits(session, book, hits, scan_id=scan.id)
    scan.findings = len(new)
    scan.by_rule = json.dumps(dict(sorted(Counter(hit.rule_id for hit in hits).items())))
    scan.finished_at = now()
    session.add(scan)
    session.flush()
    return scan


def scan_counts(scan: AuditScan) -> dict[str, int]:
    """A scan's hits per rule (before those met by an earlier scan were left out)."""
    counts: dict[str, int] = json.loads(scan.by_rule)
    return counts


def record_hits(session: Session, book: RuleBook, hits: Sequence[detect.Hit], *,
                scan_id: str | None) -> list[AuditFinding]:
    """Findings of the hits not found before (by fingerprint)."""
    unique = {hit.fingerprint: hit for hit in hits}
    known: set[str] = set()
    prints = sorted(unique)
    for chunk in chunks(prints):
        known |= set(session.scalars(select(AuditFinding.fingerprint).where(AuditFinding.fingerprint.in_(chunk))))
    moment = now()
    rows = []
    for fingerprint, hit in unique.items():
        if fingerprint in known:
            continue
        rule = book.rule(hit.rule_id)
        rows.append(AuditFinding(
            id=new_id(), rule_id=hit.rule_id, vola_type=rule.type, scene=rule.scene.value, sev_deg=rule.severity,
            fixmedins_code=hit.fixmedins_code, dr_code=hit.dr_code, psn_no=hit.psn_no, mdtrt_id=hit.mdtrt_id,
            setl_id=hit.setl_id, service_date=hit.service_date, vola_amt=hit.vola_amt, fund_amt=hit.fund_amt,
            content=hit.content[:500], evidence=json.dumps(hit.evidence, ensure_ascii=False, default=str),
            fingerprint=fingerprint, status=FindingStatus.OPEN.value, case_id=None, dismissed_by=None,
            dismissed_reason=None, scan_id=scan_id, found_at=moment))
    session.add_all(rows)
    session.flush()
    return rows


def findings(session: Session, *, status: str | None = None, rule_id: str | None = None,
             fixmedins_code: str | None = None, case_id: str | None = None,
             limit: int = 200) -> Sequence[AuditFinding]:
    query = select(AuditFinding).order_by(AuditFinding.service_date.desc(), AuditFinding.rule_id, AuditFinding.id)
    for column, value in ((AuditFinding.status, status), (AuditFinding.rule_id, rule_id),
                          (AuditFinding.fixmedins_code, fixmedins_code), (AuditFinding.case_id, case_id)):
        if value:
            query = query.where(column == value)
    return session.scalars(query.limit(limit)).all()


FINDING_HEADER = ("疑点号", "规则", "规则名称", "违规类型", "发现环节", "严重程度", "服务日期", "定点机构", "医师",
                  "人员编号", "就诊ID", "结算ID", "涉及金额", "其中基金支付", "违规内容", "状态", "案件号")


def finding_row(finding: AuditFinding, book: RuleBook) -> tuple[object, ...]:
    """A finding as a row of FINDING_HEADER (the CLI's list and the Excel downloads)."""
    rule = book.rule(finding.rule_id)
    return (finding.id, finding.rule_id, rule.name, book.type_label(finding.vola_type),
            SCENE_LABELS[Scene(finding.scene)], SEVERITY_LABELS.get(finding.sev_deg, finding.sev_deg),
            finding.service_date, finding.fixmedins_code or "", finding.dr_code or "", finding.psn_no or "",
            finding.mdtrt_id or "", finding.setl_id or "", finding.vola_amt, finding.fund_amt, finding.content,
            FINDING_LABELS[FindingStatus(finding.status)], finding.case_id or "")


def get_finding(session: Session, finding_id: str) -> AuditFinding:
    found = session.get(AuditFinding, finding_id)
    if found is None:
        raise FindingNotFound(finding_id=finding_id)
    return found


def _open_finding(session: Session, finding_id: str, action: str) -> AuditFinding:
    finding = get_finding(session, finding_id)
    if finding.status != FindingStatus.OPEN.value:
        raise FindingTaken(finding_id=finding_id, state=FINDING_LABELS[FindingStatus(finding.status)], action=action)
    return finding


def dismiss_finding(session: Session, finding_id: str, *, reason: str, actor: str) -> AuditFinding:
    """排除: the finding checked and found in order, with the reason."""
    if not reason.strip():
        raise TextRequired(what="排除疑点的理由（核查结论）", field="reason")
    finding = _open_finding(session, finding_id, "排除")
    finding.status, finding.dismissed_by, finding.dismissed_reason = (FindingStatus.DISMISSED.value, actor,
                                                                      reason.strip()[:200])
    session.flush()
    return finding


# ---------------------------------------------------------------------------------------------------
# Cases


def _event(session: Session, case: AuditCase, kind: str, text: str, actor: str, *, setl_id: str | None = None,
           document: str | None = None) -> CaseEvent:
    session.flush()
    number = (session.scalar(select(func.max(CaseEvent.number)).where(CaseEvent.case_id == case.id)) or 0) + 1
    event = CaseEvent(id=new_id(), case_id=case.id, number=number, kind=kind, text=text, setl_id=setl_id,
                      document=document, actor=actor, at=now())
    session.add(event)
    return event


def get_case(session: Session, case_id: str, *, lock: bool = False) -> AuditCase:
    query = select(AuditCase).where(AuditCase.id == case_id)
    case = session.scalar(query.with_for_update() if lock else query)
    if case is None:
        raise CaseNotFound(case_id=case_id)
    return case


def _status(case: AuditCase, wanted: Sequence[CaseStatus], action: str) -> None:
    if case.status not in [s.value for s in wanted]:
        raise CaseWrongStatus(ref=case.ref, status=CASE_LABELS[CaseStatus(case.status)], action=action)


def open_case(session: Session, *, title: str, vola_type: str, actor: str, fixmedins_code: str | None = None,
              psn_no: str | None = None, dr_code: str | None = None, finding_ids: Sequence[str] = (),
              note: str = "", book: RuleBook | None = None) -> AuditCase:
    """立案: from findings (their institution, person and type when not given) or by hand."""
    book = book or rule_book()
    taken = [_open_finding(session, finding_id, "立案") for finding_id in dict.fromkeys(finding_ids)]
    first = taken[0] if taken else None
    fixmedins_code = (fixmedins_code or (first.fixmedins_code if first else None) or "").strip().upper() or None
    psn_no = psn_no or (first.psn_no if first else None)
    dr_code = dr_code or next((f.dr_code for f in taken if f.dr_code), None)
    vola_type = vola_type or (first.vola_type if first else "")
    if vola_type not in book.types:
        raise UnknownViolationType(choices="、".join(f"{k}（{t.label}）" for k, t in book.types.items()))
    if fixmedins_code is None and (vola_type != "insured" or psn_no is None):
        raise CaseNeedsParty()
    if fixmedins_code is not None and institution_record(session, fixmedins_code) is None:
        raise InstitutionNotFound(code=fixmedins_code)
    if not title.strip():
        raise TextRequired(what="案件名称", field="title")
    moment = now()
    number = reserve_numbers(session, f"audit_case_{moment.year}", 1)
    case = AuditCase(id=new_id(), ref=f"奉医保稽〔{moment.year}〕{number}号",
                     title=title.strip()[:200], vola_type=vola_type, fixmedins_code=fixmedins_code, psn_no=psn_no,
                     dr_code=dr_code, status=CaseStatus.OPEN.value, opened_by=actor, opened_at=moment,
                     proposal=None, proposed_by=None, proposed_at=None, decided_by=None, decided_at=None,
                     legal_basis=None, notice=None)
    session.add(case)
    for finding in taken:
        finding.status, finding.case_id = FindingStatus.IN_CASE.value, case.id
    summary = "；".join(f"{f.rule_id} {f.content}" for f in taken)
    _event(session, case, "opened", (note.strip() or "立案") + (f"（疑点：{summary}）" if summary else ""), actor)
    session.flush()
    return case


def add_event(session: Session, case_id: str, *, kind: str, text: str, actor: str, setl_id: str | None = None,
              document: str | None = None) -> CaseEvent:
    """A note, evidence (a settlement or a document) or the institution's statement, while the case is worked."""
    if kind not in WORK_EVENTS:
        raise TextRequired(what=f"记录种类（{'、'.join(EVENT_KINDS[k] for k in WORK_EVENTS)}）", field="kind")
    if not text.strip():
        raise TextRequired(what="记录内容", field="text")
    case = get_case(session, case_id, lock=True)
    _status(case, (CaseStatus.OPEN, CaseStatus.APPEALED), f"添加{EVENT_KINDS[kind]}")
    event = _event(session, case, kind, text.strip()[:4000], actor, setl_id=(setl_id or "").strip() or None,
                   document=(document or "").strip()[:200] or None)
    session.flush()
    return event


def propose(session: Session, case_id: str, *, sanctions: Sequence[SanctionIn], actor: str, reason: str = "",
            book: RuleBook | None = None) -> AuditCase:
    """拟处理意见: the sanctions the auditor proposes (none: no violation found), checked against the report's
    ranges now and again at the decision."""
    book = book or rule_book()
    case = get_case(session, case_id, lock=True)
    _status(case, (CaseStatus.OPEN, CaseStatus.APPEALED), "提出处理意见")
    checked = check_sanctions(session, case, sanctions, book)
    case.proposal = json.dumps({"sanctions": [s.as_dict() for s in checked], "reason": reason.strip()[:1000]},
                               ensure_ascii=False)
    case.status, case.proposed_by, case.proposed_at = CaseStatus.PROPOSED.value, actor, now()
    _event(session, case, "proposal", describe_sanctions(checked) + (f"。理由：{reason.strip()}" if reason.strip()
                                                                     else ""), actor)
    session.flush()
    return case


def proposed_sanctions(case: AuditCase) -> list[SanctionIn]:
    data = json.loads(case.proposal or "{}")
    return [SanctionIn(**item) for item in data.get("sanctions", [])]


def send_back(session: Session, case_id: str, *, reason: str, actor: str) -> AuditCase:
    """退回: the decider returns the proposal for rework."""
    if not reason.strip():
        raise TextRequired(what="退回理由", field="reason")
    case = get_case(session, case_id, lock=True)
    _status(case, (CaseStatus.PROPOSED,), "退回")
    case.status = CaseStatus.OPEN.value
    _event(session, case, "returned", reason.strip()[:1000], actor)
    session.flush()
    return case


def decide(session: Session, case_id: str, *, actor: str, book: RuleBook | None = None) -> AuditCase:
    """稽查决定: a second person approves the proposal; its sanctions take effect at once and the notice is
    published."""
    book = book or rule_book()
    case = get_case(session, case_id, lock=True)
    _status(case, (CaseStatus.PROPOSED,), "作出决定")
    for role, who in (("立案人", case.opened_by), ("拟定人", case.proposed_by)):
        if who == actor:
            raise OwnCase(role=role, who=who)
    sanctions = check_sanctions(session, case, proposed_sanctions(case), book)
    applied = apply_sanctions(session, case, sanctions, actor=actor, book=book)
    case.status, case.decided_by, case.decided_at = CaseStatus.DECIDED.value, actor, now()
    case.legal_basis = book.legal_basis
    case.notice = notice_text(session, case, applied, book)
    _event(session, case, "decision", describe_sanctions(sanctions) or "经查不构成违规，不予处理", actor)
    session.flush()
    return case


def appeal(session: Session, case_id: str, *, text: str, actor: str) -> AuditCase:
    """申诉: the institution (or person) contests a decision; the case is reopened for a new proposal."""
    if not text.strip():
        raise TextRequired(what="申诉理由", field="text")
    case = get_case(session, case_id, lock=True)
    _status(case, (CaseStatus.DECIDED,), "申诉")
    case.status = CaseStatus.APPEALED.value
    case.proposal, case.proposed_by, case.proposed_at = None, None, None
    _event(session, case, "appeal", text.strip()[:4000], actor)
    session.flush()
    return case


def describe_sanctions(sanctions: Sequence[SanctionIn]) -> str:
    parts = []
    for s in sanctions:
        kind = SanctionKind(s.kind)
        label = SANCTION_LABELS[kind]
        if kind in (SanctionKind.RECOVERY, SanctionKind.REFUSAL):
            parts.append(f"{label}（结算 {s.setl_id}，{FUND_LABELS[s.fund]} {Decimal(str(s.amount)):.2f} 元）")
        elif kind is SanctionKind.SUSPENSION:
            parts.append(f"{label} {s.months} 个月")
        elif kind is SanctionKind.POINTS:
            parts.append(f"医师 {s.dr_code} {label} {s.points} 分")
        elif kind is SanctionKind.STRIKE:
            parts.append(f"{label}（结算 {s.setl_id}）")
        else:
            parts.append(label)
    return "；".join(parts)


def notice_text(session: Session, case: AuditCase, applied: Sequence[Sanction], book: RuleBook) -> str:
    """通报: what was found and decided, in plain words, with the legal basis."""
    institution = institution_record(session, case.fixmedins_code) if case.fixmedins_code else None
    party = institution.name if institution is not None else "参保人员"
    found = findings(session, case_id=case.id, limit=50)
    facts = "；".join(f.content for f in found[:10]) or case.title
    decided = describe_sanctions([SanctionIn(s.kind, s.setl_id, s.fund or "390100", s.amount, s.months, s.points,
                                             s.dr_code) for s in applied]) or "不予处理"
    total = sum((s.amount or ZERO for s in applied if s.kind in (SanctionKind.RECOVERY, SanctionKind.REFUSAL)), ZERO)
    money_part = f"，合计追回或不予支付医保基金 {total:.2f} 元" if total else ""
    return (f"{case.ref}\n关于{party}{book.type_label(case.vola_type)}问题的通报\n"
            f"经查，{party}存在{book.type_label(case.vola_type)}问题：{facts}。\n"
            f"依据{book.legal_basis}，决定：{decided}{money_part}。\n"
            f"奉化区医疗保障局　{(case.decided_at or now()):%Y年%m月%d日}")


@dataclass(frozen=True, slots=True)
class CaseView:
    case: AuditCase
    events: Sequence[CaseEvent]
    findings: Sequence[AuditFinding]
    sanctions: Sequence[Sanction]
    proposal: list[SanctionIn]


def case_view(session: Session, case_id: str) -> CaseView:
    case = get_case(session, case_id)
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                             .order_by(CaseEvent.number)).all()
    sanctions = session.scalars(select(Sanction).where(Sanction.case_id == case_id)
                                .order_by(Sanction.decided_at, Sanction.id)).all()
    return CaseView(case, events, findings(session, case_id=case_id, limit=1000), sanctions, proposed_sanctions(case))


def cases(session: Session, *, status: str | None = None, fixmedins_code: str | None = None,
          limit: int = 200) -> Sequence[AuditCase]:
    query = select(AuditCase).order_by(AuditCase.opened_at.desc(), AuditCase.id)
    if status:
        query = query.where(AuditCase.status == status)
    if fixmedins_code:
        query = query.where(AuditCase.fixmedins_code == fixmedins_code)
    return session.scalars(query.limit(limit)).all()


def add_swap(session: Session, *, covered_code: str, goods_name: str, goods_price: Decimal, source: str,
             actor: str) -> SwapListEntry:
    """A row of the swap list (串换对照表): a covered item a self-pay good is known to be billed as, at its price."""
    if session.get(CatalogueItem, covered_code) is None:
        raise SwapCodeUnknown(code=covered_code)
    if goods_price <= 0:
        raise TextRequired(what="自费商品的售价（大于 0）", field="goods_price")
    if session.get(SwapListEntry, (covered_code, goods_name.strip())) is not None:
        raise SwapExists(code=covered_code, goods=goods_name.strip())
    row = SwapListEntry(covered_code=covered_code, goods_name=goods_name.strip(), goods_price=goods_price,
                        source=source.strip(), added_by=actor, added_at=now())
    session.add(row)
    session.flush()
    return row


# ---------------------------------------------------------------------------------------------------
# Statistics (as the report counts them, POLICY.md §12)


def statistics(session: Session, *, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Decisions of [start, end]: notices, institutions sanctioned by type, amounts recovered or refused,
    suspensions, terminations, doctors docked; findings by rule."""
    first, last = dt.datetime.combine(start, dt.time()), dt.datetime.combine(end, dt.time.max)
    decided = session.scalars(select(AuditCase).where(AuditCase.status.in_(
        (CaseStatus.DECIDED.value, CaseStatus.APPEALED.value)), AuditCase.decided_at >= first,
        AuditCase.decided_at <= last)).all()
    ids = [case.id for case in decided]
    sanctions = session.scalars(select(Sanction).where(Sanction.case_id.in_(ids))).all() if ids else []
    institutions = {case.fixmedins_code for case in decided if case.fixmedins_code}
    kinds = {}
    for code in institutions:
        record = institution_record(session, code)
        kinds[code] = "pharmacy" if record is not None and record.kind == "pharmacy" else "hospital"
    by_rule = dict(session.execute(select(AuditFinding.rule_id, func.count()).where(
        AuditFinding.service_date >= start, AuditFinding.service_date <= end).group_by(AuditFinding.rule_id)
        .order_by(AuditFinding.rule_id)).all())
    return {
        "notices": sum(1 for case in decided if case.notice),
        "hospitals": sum(1 for kind in kinds.values() if kind == "hospital"),
        "pharmacies": sum(1 for kind in kinds.values() if kind == "pharmacy"),
        "recovered": sum((s.amount or ZERO for s in sanctions if s.kind in
                          (SanctionKind.RECOVERY.value, SanctionKind.REFUSAL.value)), ZERO),
        "suspensions": sum(1 for s in sanctions if s.kind == SanctionKind.SUSPENSION.value),
        "terminations": sum(1 for s in sanctions if s.kind == SanctionKind.TERMINATION.value),
        "doctors": len({s.dr_code for s in sanctions if s.kind == SanctionKind.POINTS.value}),
        "persons": len({case.psn_no for case in decided if case.vola_type == "insured" and case.psn_no}),
        "findings_by_rule": {rule: int(count) for rule, count in by_rule.items()},
    }
