"""What every format's cleaner shares: the kinds we accept, limits, refusals and messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from django.utils.translation import gettext_lazy as _lazy

from cases.exceptions import SpeakUpError

MAX_PIXELS: Final = 50_000_000
MAX_ZIP_ENTRIES: Final = 1_000
MAX_UNZIPPED_BYTES: Final = 100_000_000
MAX_ZIP_RATIO: Final = 100
# Only entries bigger than this are held to MAX_ZIP_RATIO: tiny parts such as printer settings
# or a blank EMF picture legitimately compress 200:1, and cannot make a bomb on their own since
# the total is capped at MAX_UNZIPPED_BYTES anyway.
ZIP_RATIO_FLOOR: Final = 1_000_000


class FileRejected(SpeakUpError):
    message = "This file can't be accepted."

    def __init__(self, message: object = None) -> None:
        # Messages may be lazy translations: render them in the reporter's language now.
        super().__init__(str(message) if message is not None else None)


class Malformed(Exception):
    """The bytes break the format's structure: reported to the reporter as damaged."""


@dataclass(frozen=True)
class Kind:
    """One kind of file we accept: how to name it to a reporter, and how to store it."""

    label: str
    content_type: str
    extension: str


JPEG: Final = Kind("JPEG picture", "image/jpeg", "jpg")
PNG: Final = Kind("PNG picture", "image/png", "png")
PDF: Final = Kind("PDF document", "application/pdf", "pdf")
DOCX: Final = Kind(
    "Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "docx",
)
XLSX: Final = Kind(
    "Excel workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
)
PPTX: Final = Kind(
    "PowerPoint presentation",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pptx",
)
TEXT: Final = Kind("plain text file", "text/plain", "txt")
ALLOWED: Final = (JPEG, PNG, PDF, DOCX, XLSX, PPTX, TEXT)
ALLOWED_SUMMARY: Final = (
    "photos (JPEG or PNG), PDF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx) "
    "and plain text files"
)

DAMAGED = _lazy(
    "This {label} seems to be damaged and can't be opened. Please check it and try again."
)
TOO_MANY_PIXELS = _lazy(
    "This picture is too large (over 50 megapixels). Please upload a smaller version."
)
ZIP_TOO_BIG = _lazy(
    "This document is too large once unpacked (over 100 MB). Please split it or save it as PDF."
)
ZIP_BOMB = _lazy(
    "This document unpacks to far more data than its size suggests, so it can't be accepted."
)
ZIP_ENTRIES = _lazy("This document has too many parts (over 1,000). Please save it as PDF instead.")
LOCKED = _lazy("Password-protected files can't be accepted. Please remove the password first.")
MACROS = _lazy(
    "Office files with macros or other active content can't be accepted. "
    "Please save it as .docx, .xlsx or .pptx (or as PDF) and try again."
)
EMBEDDED_OBJECT = _lazy(
    "This {label} has another file embedded in it (an embedded object), and we can't check "
    "that file for hidden details such as its author. Please save the document as PDF, or "
    "remove the embedded object, and try again."
)
UNCHECKABLE_PICTURE = _lazy(
    "This {label} contains a picture in a format we can't check for hidden details (for "
    "example a Windows metafile). Please save the document as PDF and try again."
)
UNCHECKABLE_PART = _lazy(
    "This {label} contains data we don't recognise, so we can't be sure we have removed every "
    "hidden detail from it. Please save it as PDF and try again."
)
AUDIO_VIDEO = _lazy(
    "This {label} contains a video or sound recording, and we can't check it for hidden "
    "details such as when and where it was recorded. Please remove it, or save the document "
    "as PDF, and try again."
)
CONNECTED = _lazy(
    "This workbook is connected to other data sources, and the connection details can name "
    "you or your computer. Please copy the values into a new workbook, or save it as PDF, and "
    "try again."
)
PORTFOLIO = _lazy(
    "This PDF is a portfolio of other files. Please upload the files inside it one by one."
)
DYNAMIC_FORM = _lazy(
    "This PDF is a dynamic form that only some programs can show, so we can't check it for "
    "hidden details. Please print it to PDF (or save it as a flat PDF) and try again."
)
UNCHECKED = _lazy(
    "We couldn't check this {label} for hidden details, so it can't be accepted. "
    "Please save it as PDF and try again."
)
