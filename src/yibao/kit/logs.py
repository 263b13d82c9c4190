"""Nothing personal in any log (issue 19 item 6): every log record of every logger — yibao's, uvicorn's,
SQLAlchemy's, a library's — has ID and mobile numbers masked in its message and in its traceback
(kit/masks.mask_text), whatever handler writes it. Installed once at import of the app (`install()`);
SQLAlchemy's engines also keep bound parameters out of their error messages (db.make_engine)."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from yibao.kit.masks import mask_text


class RedactedRecord(logging.LogRecord):
    def getMessage(self) -> str:
        return mask_text(super().getMessage())


def _redacted(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = RedactedRecord(*args, **kwargs)
    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = mask_text("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
    return record


def install() -> None:
    """Every record made from now on is a RedactedRecord (idempotent)."""
    logging.setLogRecordFactory(_redacted)
