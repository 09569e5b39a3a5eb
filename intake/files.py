"""Checks and cleans a reporter's evidence file before ``evidence_attach`` stores it.

The rule this module keeps: a file is accepted only for what its *content* is (magic bytes
and structure, never its name or the type the browser declared), hostile shapes (bombs,
encrypted or damaged containers, macros) are refused before anything large is unpacked, and
what is stored is a rewritten copy without anything that could name the reporter, a colleague
or a device. What was removed is listed, from the actual file, for the reporter to see. A file
that cannot be cleaned with confidence is refused with a message saying why and what to do.
All work happens on bytes in memory: plaintext never touches the disk, so nothing here (or in
``intake/cleaning/``, one module per format) may use a temporary file.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from django.utils.translation import gettext as _

from intake.cleaning.common import (
    ALLOWED,
    ALLOWED_SUMMARY,
    JPEG,
    PDF,
    PNG,
    TEXT,
    UNCHECKED,
    FileRejected,
    Kind,
)
from intake.cleaning.images import JPEG_MAGIC, PNG_MAGIC, clean_picture
from intake.cleaning.office import OLE_MAGIC, clean_office
from intake.cleaning.pdf import clean_pdf

__all__ = ["ALLOWED", "ALLOWED_SUMMARY", "CleanedFile", "FileRejected", "Kind", "clean_evidence"]

MAX_NAME_CHARS: Final = 100
logger = logging.getLogger("speakup.intake")


@dataclass(frozen=True)
class CleanedFile:
    """A file fit to store. ``safe_name`` is for display only, never for a storage path."""

    content: bytes
    content_type: str
    extension: str
    removed: list[str]
    safe_name: str


def clean_evidence(data: bytes, *, declared_name: str) -> CleanedFile:
    """Identify ``data`` by its content, refuse it or return a copy without metadata.

    ``removed`` lists, in plain words and without values, what was found and taken out.
    Raises ``FileRejected`` with a message safe to show the reporter for an empty, unknown,
    damaged, password-protected, oversized or uncheckable file, and for image and zip bombs;
    never anything else, whatever the bytes.
    """
    if not data:
        raise FileRejected(_("The file is empty."))
    kind = _kind_of(data, declared_name)
    try:
        if kind is JPEG or kind is PNG:
            content, removed = clean_picture(data, kind)
        elif kind is PDF:
            content, removed = clean_pdf(data)
        elif kind is TEXT:
            content, removed = data, []
        else:
            kind, content, removed = clean_office(data)
    except FileRejected:
        raise
    except Exception as error:  # a parser's own failure on hostile bytes: refuse, never crash
        logger.warning("a file could not be checked (%s)", type(error).__name__)
        raise FileRejected(UNCHECKED.format(label=kind.label)) from None
    return CleanedFile(
        content=content,
        content_type=kind.content_type,
        extension=kind.extension,
        removed=list(dict.fromkeys(removed)),  # each finding once, in the order found
        safe_name=_safe_name(declared_name, kind.extension),
    )


_OFFICE: Final = Kind("document", "", "")


def _kind_of(data: bytes, declared_name: str) -> Kind:
    """What the bytes are (an Office file's own kind is read from inside it later)."""
    if data.startswith(JPEG_MAGIC):
        return JPEG
    if data.startswith(PNG_MAGIC):
        return PNG
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return _OFFICE
    if data.startswith(OLE_MAGIC):
        raise FileRejected(
            _(
                "Older Office files (.doc, .xls, .ppt) and password-protected Office files "
                "can't be accepted. Please save it as .docx, .xlsx or .pptx without a "
                "password, or as PDF."
            )
        )
    if _is_text(data):
        return TEXT
    raise FileRejected(_unknown_message(declared_name))


# --- Messages ------------------------------------------------------------------------------

_NAME_HINTS: Final = {kind.extension: kind for kind in ALLOWED} | {"jpeg": JPEG}


def _unknown_message(declared_name: str) -> str:
    suffix = declared_name.rpartition(".")[2].lower() if "." in declared_name else ""
    named_as = _NAME_HINTS.get(suffix)
    lead = (
        _("This file is named like a %(kind)s, but its contents are not one. ")
        % {"kind": named_as.label}
        if named_as is not None
        else _("This type of file can't be accepted. ")
    )
    return lead + _("We accept %(kinds)s.") % {"kinds": ALLOWED_SUMMARY}


# --- Names ---------------------------------------------------------------------------------

# Characters that are not allowed in Windows file names, so a download keeps the name.
_NAME_UNSAFE = re.compile(r'[<>:"|?*]')
# A trailing ".abc" that reads as a file extension ("report.pdf"), not ".5" in "version 3.5".
_NAME_SUFFIX = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}$")


def _safe_name(declared_name: str, extension: str) -> str:
    """The declared name's last path part, printable, at most 100 characters, our extension."""
    name = unicodedata.normalize("NFC", declared_name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # "../../x" and "C:\\Users\\x" → "x"
    # isprintable() is False for NUL, control characters and invisible format characters
    # (right-to-left overrides that would make "gpj.exe" read as "exe.jpg").
    name = "".join(ch if ch.isprintable() else "" for ch in name)
    name = _NAME_UNSAFE.sub("_", name)
    name = re.sub(r"\.{2,}", ".", name)  # no ".." anywhere
    name = _NAME_SUFFIX.sub("", name.strip(" .")).strip(" .") or "evidence"
    return f"{name[: MAX_NAME_CHARS - len(extension) - 1].rstrip(' .')}.{extension}"


# --- Plain text ----------------------------------------------------------------------------

# What a browser would sniff as a web page or XML (WHATWG MIME sniffing): refused even though
# it is valid text, so no stored file can ever be rendered as active content.
_MARKUP = re.compile(
    rb"<(?:!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p"
    rb"|svg)[\s>]|<!--|<\?xml",
    re.IGNORECASE,
)


def _is_text(data: bytes) -> bool:
    """Whether ``data`` is UTF-8 text without NUL bytes; raises if it is web-page markup."""
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")  # a UTF-8 byte-order mark is valid too
    except UnicodeDecodeError:
        return False
    if _MARKUP.match(data.removeprefix(b"\xef\xbb\xbf").lstrip()[:64]):
        raise FileRejected(
            _(
                "Web pages and other markup files (HTML, XML, SVG) can't be accepted. "
                "Please save the page as PDF or take a screenshot instead."
            )
        )
    return True
