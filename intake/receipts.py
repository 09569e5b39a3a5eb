"""Receipts a reporter can keep: proof that a report of a given kind was made on a given day.

A receipt names no case and no person: only the organisation, the kind of report, the day, and
a random receipt number, signed by the server (HMAC-SHA256 under a key derived from
``SECRET_KEY``), so the organisation can later confirm it issued it.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from django.utils.crypto import salted_hmac

from cases.models import CaseType
from intake.models import Branding, branding

_SIGNATURE = "Signature: "


def _sign(body: str) -> str:
    return salted_hmac("speakup.receipt", body, algorithm="sha256").hexdigest()


def receipt_make(*, case_type: CaseType, day: dt.date, brand: Branding | None = None) -> str:
    """A signed receipt for a report of ``case_type`` made on ``day``, naming the organisation
    of ``brand`` (read here when the caller has not read it already)."""
    body = "\n".join(
        [
            "Speak Up receipt",
            f"Organisation: {(brand or branding()).organisation_name}",
            f"Kind of report: {case_type.name}",
            f"Made on: {day.isoformat()}",
            f"Receipt number: {secrets.token_hex(8).upper()}",
        ]
    )
    return f"{body}\n{_SIGNATURE}{_sign(body)}\n"


def receipt_verify(text: str) -> str | None:
    """The receipt if its signature is ours, else ``None``."""
    text = text.replace("\r\n", "\n").strip() + "\n"
    body, _, signature = text.rstrip("\n").rpartition(f"\n{_SIGNATURE}")
    if not body or not hmac.compare_digest(signature.strip().encode(), _sign(body).encode()):
        return None
    return text
