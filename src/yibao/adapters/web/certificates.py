"""参保证明 at every door (enrollment/certificate.py): a clerk issues one from the person page, a resident from
我的医保, and anyone holding the paper checks it on the public verification page with its serial and code."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from yibao.access.trail import Action
from yibao.adapters.downloads import PDF, download
from yibao.adapters.rest.deps import DbSession, EditionsDep
from yibao.adapters.trailing import saw
from yibao.adapters.web.common import Form, attempt, page, redirect
from yibao.adapters.web.console import FORM_PREFIXES, ConsoleUser, need, person_page
from yibao.adapters.web.resident import Resident
from yibao.enrollment import certificate as certificates
from yibao.enrollment.models import InsuranceCertificate
from yibao.errors import NotFound
from yibao.kit.errors import DomainError
from yibao.staff.service import Permission

router = APIRouter(include_in_schema=False)
VERIFY_PATH = "/verify"


def _issue(request: Request, session: Session, editions: Any, form: Form, psn_no: str, actor: str,
           door: str) -> certificates.Certificate | None:
    found: certificates.Certificate | None = attempt(session, form, lambda: certificates.issue_certificate(
        session, editions, psn_no=psn_no, purpose=form.get("purpose"), actor=actor, door=door), "purpose")
    return found


def _own(session: Session, serial: str, psn_no: str | None) -> certificates.Certificate:
    row = session.get(InsuranceCertificate, serial)
    if row is None or (psn_no is not None and row.psn_no != psn_no):
        raise NotFound(f"没有编号为 {serial} 的参保证明", field="serial")
    return certificates.certificate_of(row)


def _shown(request: Request, session: Session, found: certificates.Certificate, *, pdf: bool, back: str,
           layout: str, **context: Any) -> Response:
    saw(request, session, Action.EXPORT if pdf else Action.VIEW, [found.psn_no], f"参保证明 {found.serial}")
    verify = str(request.base_url).rstrip("/") + VERIFY_PATH
    if pdf:
        return download(certificates.certificate_pdf(found, verify_url=verify), f"参保证明-{found.serial}.pdf", PDF)
    return page(request, "certificate.html", c=found, layout=layout, back=back, verify=verify,
                pdf_url=request.url.path + ".pdf", issuer=certificates.ISSUER, **context)


# --- the console (each `.pdf` route before its page's: `{serial}` would match "….pdf" too)


@router.post("/console/people/{psn_no}/proofs", response_class=HTMLResponse)
async def console_issue(request: Request, psn_no: str, session: DbSession, editions: EditionsDep,
                        user: ConsoleUser) -> Response:
    need(user, Permission.ENROLLMENT_WRITE)
    form = await Form.read(request)
    form.prefix = FORM_PREFIXES["proof"]
    found = _issue(request, session, editions, form, psn_no, user.username, "console")
    if found is None:
        return person_page(request, session, editions, user, psn_no, form=form, status=400)
    return redirect(f"/console/proofs/{found.serial}")


@router.get("/console/proofs/{serial}.pdf")
def console_pdf(request: Request, serial: str, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.PERSON_READ)
    return _shown(request, session, _own(session, serial, None), pdf=True, back="", layout="")


@router.get("/console/proofs/{serial}", response_class=HTMLResponse)
def console_view(request: Request, serial: str, session: DbSession, user: ConsoleUser) -> Response:
    need(user, Permission.PERSON_READ)
    found = _own(session, serial, None)
    return _shown(request, session, found, pdf=False, back=f"/console/people/{found.psn_no}",
                  layout="console/layout.html", user=user)


# --- the resident


@router.post("/me/proofs", response_class=HTMLResponse)
async def resident_issue(request: Request, session: DbSession, editions: EditionsDep, person: Resident) -> Response:
    form = await Form.read(request)
    found = _issue(request, session, editions, form, person.psn_no, person.psn_no, "resident")
    if found is None:
        return page(request, "me/certificate_refused.html", status=400, person=person, form=form)
    return redirect(f"/me/proofs/{found.serial}")


@router.get("/me/proofs/{serial}.pdf")
def resident_pdf(request: Request, serial: str, session: DbSession, person: Resident) -> Response:
    return _shown(request, session, _own(session, serial, person.psn_no), pdf=True, back="", layout="")


@router.get("/me/proofs/{serial}", response_class=HTMLResponse)
def resident_view(request: Request, serial: str, session: DbSession, person: Resident) -> Response:
    return _shown(request, session, _own(session, serial, person.psn_no), pdf=False, back="/me",
                  layout="me/layout.html", person=person)


# --- anyone holding the paper


@router.get(VERIFY_PATH, response_class=HTMLResponse)
def verify(request: Request, session: DbSession, serial: str = "", code: str = "") -> Response:
    """The public check of a certificate: what it certified when issued, the name and ID number masked."""
    form = Form({"serial": serial, "code": code}, {})
    found = None
    if serial or code:
        try:
            found = certificates.find_certificate(session, serial=serial, code=code)
        except DomainError as exc:
            form.fail(exc, "serial")
    return page(request, "public/verify.html", status=400 if form.errors else 200, form=form, c=found,
                masked_name=certificates.masked_name(found.name) if found else "", issuer=certificates.ISSUER)
