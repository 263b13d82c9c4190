"""参保证明 (issue 20): the centre's certificate that a person is insured — each policy year whose enrollment is in
force (paid, or fully subsidised), with its category, benefit period and how it was paid.

Each certificate issued is kept (`insurance_certificates`): its serial, who asked for it through which door, and
its content as issued, so that whoever is shown the paper (an employer, a school, a hospital elsewhere) can check
it on the public verification page with the serial and the verification code printed on it — and sees what was
certified then, with the name and ID number masked.

ASSUMPTION: the documents describe no certificate; this follows what such certificates usually hold (the
insured's identity, the years of coverage with their periods, the issuer, the date, a way to verify). A year
registered but not yet paid is not certified: coverage starts with the contribution (POLICY.md §4).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.contributions.models import Bill, Payment
from yibao.contributions.service import PAYMENT_CHANNELS
from yibao.enrollment.models import Enrollment, InsuranceCertificate
from yibao.errors import Named, NotFound, Refused
from yibao.kit.clock import now
from yibao.kit.gm import sm3_hex
from yibao.kit.masks import mask_id
from yibao.kit.pdf import cjk_font
from yibao.people.models import Person
from yibao.people.service import reserve_numbers
from yibao.people.towns import DISTRICT_CENTRE_HOTLINE
from yibao.policy.editions import Editions

ISSUER = "奉化区医疗保障中心"
PURPOSE_MAX = 60


@dataclass(frozen=True, slots=True)
class CoveredYear:
    year: int
    category: str  # the category's name
    benefit_start: dt.date
    benefit_end: dt.date
    paid: str  # how the year was paid, in words


@dataclass(frozen=True, slots=True)
class Certificate:
    serial: str
    code: str  # the verification code printed on it
    name: str
    certno_masked: str
    psn_no: str
    years: tuple[CoveredYear, ...]
    purpose: str
    issued_at: dt.datetime
    issued_by: str
    digest: str  # SM3 of the content as issued

    @property
    def title(self) -> str:
        return "奉化区城乡居民基本医疗保险参保证明"

    @property
    def statement(self) -> str:
        spans = "、".join(str(y.year) for y in self.years)
        return (f"兹证明 {self.name}（身份证号 {self.certno_masked}，人员编号 {self.psn_no}）参加奉化区城乡居民基本"
                f"医疗保险，{spans} 年度已缴费参保，参保情况如下。")


class NothingToCertify(Named, Refused):
    code = "nothing_to_certify"
    default_field = "purpose"  # the request's one field: where the page shows the refusal
    template = "该参保人没有已缴费（或全额资助）生效的参保年度，不能开具参保证明；请先缴费"


class CertificateNotFound(Named, NotFound):
    code = "certificate_not_found"
    default_field = "serial"
    template = "没有编号为 {serial}、验证码相符的参保证明；请核对证明上的编号和验证码"


def _paid_words(enrollment: Enrollment, payment: tuple[dt.date, str, object] | None, editions: Editions) -> str:
    if enrollment.personal_amount == 0:
        edition = editions.get(enrollment.edition)
        kind = edition.full_subsidy_classes.get(enrollment.full_subsidy_class or "")
        return f"个人缴费由政府全额资助（{kind.label}）" if kind else "个人缴费由政府全额资助"
    if payment is None:
        return "已缴费"
    paid_on, channel, amount = payment
    return f"个人缴费 {amount} 元，{paid_on} 经{PAYMENT_CHANNELS.get(channel, channel)}缴纳"


def covered_years(session: Session, editions: Editions, psn_no: str) -> list[CoveredYear]:
    """The person's enrollments in force (active), oldest first, with how each was paid."""
    enrollments = session.scalars(select(Enrollment).where(Enrollment.psn_no == psn_no,
                                                           Enrollment.status == "active")
                                  .order_by(Enrollment.year)).all()
    paid = {enrollment_id: (paid_on, channel, amount) for enrollment_id, paid_on, channel, amount in session.execute(
        select(Bill.enrollment_id, Payment.paid_on, Payment.channel, Payment.amount)
        .join(Payment, (Payment.psn_no == Bill.psn_no) & (Payment.bill_id == Bill.id))
        .where(Bill.psn_no == psn_no))}
    return [CoveredYear(e.year, editions.get(e.edition).categories[e.category].label, e.benefit_start, e.benefit_end,
                        _paid_words(e, paid.get(e.id), editions)) for e in enrollments]


def _content(person: Person, years: list[CoveredYear], purpose: str) -> dict[str, object]:
    return {"name": person.name, "certno_masked": mask_id(person.certno), "psn_no": person.psn_no,
            "purpose": purpose,
            "years": [{"year": y.year, "category": y.category, "benefit_start": y.benefit_start.isoformat(),
                       "benefit_end": y.benefit_end.isoformat(), "paid": y.paid} for y in years]}


def issue_certificate(session: Session, editions: Editions, *, psn_no: str, purpose: str, actor: str,
                      door: str) -> Certificate:
    """Issue (and keep) a certificate of the person's years in force; none in force → NothingToCertify."""
    person = session.get(Person, psn_no)
    if person is None:
        raise NotFound(f"没有人员编号为 {psn_no} 的参保人", field="psn_no")
    years = covered_years(session, editions, psn_no)
    if not years:
        raise NothingToCertify()
    content = _content(person, years, purpose.strip()[:PURPOSE_MAX])
    text = json.dumps(content, ensure_ascii=False, sort_keys=True)
    moment = now()
    serial = f"FH{moment:%Y%m%d}{reserve_numbers(session, 'insurance_certificate', 1):06d}"
    row = InsuranceCertificate(serial=serial, code=secrets.token_hex(4).upper(), psn_no=psn_no, content=text,
                               digest=sm3_hex(text.encode()), issued_at=moment, issued_by=actor, door=door)
    session.add(row)
    session.flush()
    return certificate_of(row)


def certificate_of(row: InsuranceCertificate) -> Certificate:
    content = json.loads(row.content)
    years = tuple(CoveredYear(y["year"], y["category"], dt.date.fromisoformat(y["benefit_start"]),
                              dt.date.fromisoformat(y["benefit_end"]), y["paid"]) for y in content["years"])
    return Certificate(row.serial, row.code, content["name"], content["certno_masked"], content["psn_no"], years,
                       content["purpose"], row.issued_at, row.issued_by, row.digest)


def find_certificate(session: Session, *, serial: str, code: str) -> Certificate:
    """A certificate by its serial and verification code (both as printed; case and spaces forgiven)."""
    row = session.get(InsuranceCertificate, serial.strip().upper())
    if row is None or not secrets.compare_digest(row.code, code.strip().upper()):
        raise CertificateNotFound(serial=serial.strip()[:30])
    return certificate_of(row)


def masked_name(name: str) -> str:
    """邬*明: what the public verification page shows of a name."""
    return name[0] + "*" * (len(name) - 2) + name[-1] if len(name) > 2 else name[0] + "*"


def certificate_pdf(certificate: Certificate, *, verify_url: str) -> bytes:
    """The certificate as an A4 PDF: the statement, the years, the issuer and date, and how to verify it."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = cjk_font()
    body = ParagraphStyle("zh", fontName=font, fontSize=11, leading=19, wordWrap="CJK", firstLineIndent=22)
    head = ParagraphStyle("h", parent=body, fontSize=17, leading=28, alignment=1, firstLineIndent=0)
    right = ParagraphStyle("r", parent=body, alignment=2, firstLineIndent=0)
    small = ParagraphStyle("s", parent=body, fontSize=8.5, leading=13, firstLineIndent=0,
                           textColor=colors.HexColor("#444444"))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=22 * mm, rightMargin=22 * mm, topMargin=22 * mm,
                                 bottomMargin=18 * mm, title=certificate.title)
    years = Table([["参保年度", "参保类别", "待遇享受期", "缴费情况"],
                   *[[str(y.year), y.category, f"{y.benefit_start} 至 {y.benefit_end}", Paragraph(y.paid, small)]
                     for y in certificate.years]],
                  colWidths=[20 * mm, 26 * mm, 48 * mm, 72 * mm], repeatRows=1)
    years.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), font, 9.5), ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story: list[Any] = [Paragraph(certificate.title, head), Spacer(1, 2 * mm),
                        Paragraph(f"编号：{certificate.serial}", right), Spacer(1, 6 * mm),
                        Paragraph(certificate.statement, body), Spacer(1, 4 * mm), years, Spacer(1, 6 * mm)]
    if certificate.purpose:
        story.append(Paragraph(f"用途：{certificate.purpose}", body))
    story += [Paragraph("特此证明。", body), Spacer(1, 14 * mm),
              Paragraph(f"{ISSUER}（盖章）", right), Paragraph(f"{certificate.issued_at:%Y年%m月%d日}", right),
              Spacer(1, 14 * mm),
              Paragraph(f"验证：在 {verify_url} 输入编号 {certificate.serial} 和验证码 {certificate.code}，可查看本证明"
                        f"开具时的内容。如有疑问，请咨询{ISSUER}（0574-{DISTRICT_CENTRE_HOTLINE}）。", small)]
    document.build(story)
    return buffer.getvalue()
