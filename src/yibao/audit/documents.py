"""Evidence files of a case (证据材料, issue 15 item 3): the auditor uploads a scanned prescription, a photo or the
institution's written statement while the case is worked; each upload is an evidence event of the case and the
file is kept sealed at rest (db.SealedText: the data keys of kit/sealing.py, resealed when they rotate) with its
SHA-256, so anyone can show later that the file is the one uploaded."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from pathlib import PurePosixPath, PureWindowsPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.audit import service
from yibao.audit.errors import DocumentNotFound, DocumentRefused
from yibao.audit.models import CaseDocument
from yibao.kit.clock import now
from yibao.kit.ids import new_id

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024  # ASSUMPTION: a scanned set of pages; larger evidence stays on paper
MEDIA_TYPES = ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))
TYPE_WORDS = "PDF、JPG 或 PNG"


def media_type_of(content: bytes) -> str | None:
    """The file's type by its first bytes (never by its name, which the uploader chose)."""
    return next((media for magic, media in MEDIA_TYPES if content.startswith(magic)), None)


def _clean_name(filename: str) -> str:
    name = PureWindowsPath(PurePosixPath(filename or "").name).name.strip()  # no folders, from either system
    return "".join(ch for ch in name if ch.isprintable())[:200] or "证据文件"


def add_document(session: Session, case_id: str, *, filename: str, content: bytes, text: str,
                 actor: str) -> CaseDocument:
    """Upload a file of evidence: refused if empty, too large or not a PDF or image; recorded as an evidence
    event (with `text`, or the file's name) while the case is open or under appeal."""
    if not content:
        raise DocumentRefused(problem="请选择要上传的证据文件")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise DocumentRefused(problem=f"文件 {len(content) / 1024 / 1024:.1f} MB，超过 "
                                      f"{MAX_DOCUMENT_BYTES // 1024 // 1024} MB：请分成几个文件上传，或压缩扫描件")
    media_type = media_type_of(content)
    if media_type is None:
        raise DocumentRefused(problem=f"只能上传 {TYPE_WORDS} 文件（按文件内容判断）：请转换后再上传")
    name, digest = _clean_name(filename), hashlib.sha256(content).hexdigest()
    said = f"上传证据文件 {name}（{len(content) / 1024:.0f} KB，SHA-256 {digest[:16]}…）"
    event = service.add_event(session, case_id, kind="evidence", actor=actor, document=name,
                              text=text.strip() or said)
    document = CaseDocument(id=new_id(), case_id=case_id, event_number=event.number, filename=name,
                            media_type=media_type, size=len(content), sha256=digest,
                            content=base64.b64encode(content).decode(), uploaded_by=actor, uploaded_at=now())
    session.add(document)
    session.flush()
    return document


def documents(session: Session, case_id: str) -> Sequence[CaseDocument]:
    return session.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id)
                           .order_by(CaseDocument.event_number)).all()


def document_content(session: Session, case_id: str, document_id: str) -> tuple[CaseDocument, bytes]:
    """A case's file and its bytes (checked against the SHA-256 taken at upload)."""
    document = session.get(CaseDocument, document_id)
    if document is None or document.case_id != case_id:
        raise DocumentNotFound(document_id=document_id)
    content = base64.b64decode(document.content)
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise DocumentRefused(problem=f"证据文件 {document.filename} 与上传时的 SHA-256 不符：请联系系统管理员",
                              field="document_id")
    return document, content
