"""Private files in the data directory (keys, secrets): readable by their owner only, written whole or not at all."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def private_dir(path: Path) -> Path:
    """The directory, made with mode 0700 if it did not exist (the data directory: keys, the database)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def private_file(path: Path) -> Path:
    """The file, made empty with mode 0600 if it did not exist (a SQLite database before SQLite opens it:
    its -wal and -shm files then take the same mode)."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return path


def write_private(path: Path, text: str, *, replace: bool = False) -> None:
    """Write `text` to `path` with mode 0600, atomically. Without `replace`, a file already there stands (another
    process made it first); with it, the file is replaced."""
    private_dir(path.parent)
    draft = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        out.write(text)
    try:
        if replace:
            os.replace(draft, path)
        else:
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            draft.unlink()


def private_text(path: Path, make: str) -> str:
    """The file's text, after writing `make` into it if it did not exist yet."""
    if not path.exists():
        write_private(path, make)
    return path.read_text()
