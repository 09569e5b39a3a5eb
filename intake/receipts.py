"""Receipts a reporter can keep: proof that a report of a given kind was made on a given day.

A receipt names no case and no person: only the organisation, the kind of report, the day, and
a random receipt number, signed by the server (HMAC-SHA256 under a key derived from
``SECRET_KEY``), so the organisation can later confirm it issued it.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

from django.utils import translation
from django.utils.crypto import salted_hmac

from cases.models import CaseType
from intake.language import WELSH, org_text
from intake.models import Branding, branding

# A receipt's lines, in the language of the page it was made on (English, or Welsh at /cy/).
# Both are read back, whichever page checks it; the signature covers the words as written.
_LINES = {
    "en": ("Speak Up receipt", "Organisation", "Kind of report", "Made on", "Receipt number"),
    "cy": ("Derbynneb Speak Up", "Sefydliad", "Math o adroddiad", "Gwnaed ar", "Rhif y dderbynneb"),
}
_SIGNATURES = ("Signature: ", "Llofnod: ")


def _sign(body: str) -> str:
    return salted_hmac("speakup.receipt", body, algorithm="sha256").hexdigest()


def receipt_make(*, case_type: CaseType, day: dt.date, brand: Branding | None = None) -> str:
    """A signed receipt for a report of ``case_type`` made on ``day``, naming the organisation
    of ``brand`` (read here when the caller has not read it already), in the active language
    (``intake/language.py``: the organisation's Welsh texts where it has them)."""
    welsh = translation.get_language() == WELSH
    title, organisation, kind, made_on, number = _LINES["cy" if welsh else "en"]
    body = "\n".join(
        [
            title,
            f"{organisation}: {org_text(brand or branding(), 'organisation_name')}",
            f"{kind}: {org_text(case_type, 'name')}",
            f"{made_on}: {day.isoformat()}",
            f"{number}: {secrets.token_hex(8).upper()}",
        ]
    )
    return f"{body}\n{_SIGNATURES[1 if welsh else 0]}{_sign(body)}\n"


def receipt_verify(text: str) -> str | None:
    """The receipt if its signature is ours, else ``None``."""
    text = text.replace("\r\n", "\n").strip() + "\n"
    for label in _SIGNATURES:
        body, _, signature = text.rstrip("\n").rpartition(f"\n{label}")
        if body and hmac.compare_digest(signature.strip().encode(), _sign(body).encode()):
            return text
    return None


@dataclass(frozen=True)
class Receipt:
    """What a genuine receipt says, for the page that checks one."""

    organisation: str
    kind: str
    made_on: dt.date
    number: str


_FIELDS = {
    label: field
    for lines in _LINES.values()
    for label, field in zip(lines[1:], ("organisation", "kind", "made_on", "number"), strict=True)
}


def receipt_read(text: str) -> Receipt | None:
    """The receipt's details if it is one we issued, unchanged; else ``None``. Only the
    signature decides: a receipt is read after it is verified, never before."""
    verified = receipt_verify(text)
    if verified is None:
        return None
    found: dict[str, str] = {}
    for line in verified.splitlines()[1:]:
        name, _, value = line.partition(": ")
        if name in _FIELDS:
            found[_FIELDS[name]] = value
    try:
        return Receipt(
            organisation=found["organisation"],
            kind=found["kind"],
            made_on=dt.date.fromisoformat(found["made_on"]),
            number=found["number"],
        )
    except (KeyError, ValueError):  # signed by us, but not a receipt's shape
        return None
