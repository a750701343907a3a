"""Uploaded import files: checked by name, kept in the instance folder until their job ends
(the job deletes them)."""

from __future__ import annotations

import re
import unicodedata
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from flask import current_app
from werkzeug.datastructures import FileStorage

from fundpool.errors import InvalidInput

SUFFIXES = (".csv", ".xlsx")


def save_upload(upload: FileStorage, prefix: str = "") -> Path:
    """Save a .csv or .xlsx upload under a fresh name (the client's name is never a path)."""
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput("the file must be .csv or .xlsx", "file")
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{prefix}{uuid.uuid4().hex}{suffix}"
    upload.stream.seek(0)  # from its start, even when a retried request saves it again
    upload.save(path)
    return path


@contextmanager
def removed_on_failure(path: Path) -> Iterator[Path]:
    """Delete a saved upload if what follows its saving fails before its job starts: no job
    would ever delete it, and it holds donors' or residents' names."""
    try:
        yield path
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def display_name(upload: FileStorage) -> str:
    """The client's file name for reports: its last path part, without control or
    direction-changing characters, at most 200 characters. Never used as a path."""
    name = re.split(r"[/\\]", upload.filename or "")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    return name.strip()[:200] or "upload"
