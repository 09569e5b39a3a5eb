"""Case tokens and staff references: made from ``secrets``, never stored in clear.

A reporter's case token is the only key to their case. It is 28 characters of Crockford's
base32 (no I, L, O or U, so nothing is ambiguous when written down), which is 140 bits of
entropy, shown once in groups of four. It is stored only as HMAC-SHA256 under a pepper that
is neither ``SECRET_KEY`` nor in the database, and typed back forgivingly: case, spaces,
dashes and look-alike characters do not matter. Anything that is not a well-formed token
normalises to ``None``, and callers answer that exactly as they answer a wrong token.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import unicodedata

from django.conf import settings

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TOKEN_LENGTH = 28
GROUP_SIZE = 4
TOKEN_BITS = TOKEN_LENGTH * math.log2(len(ALPHABET))

REFERENCE_LENGTH = 8

# Look-alikes a person may write or type for a character of the alphabet.
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = str.maketrans("", "", " -_.\u00a0\t\r\n")
# Nothing longer can be a token, however it is spaced; longer input is refused unread.
_MAX_TYPED = 120


def token_generate() -> str:
    """A fresh token in canonical form (28 characters, no separators)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(TOKEN_LENGTH))


def token_display(token: str) -> str:
    """The token as shown to the reporter: groups of four joined by dashes."""
    return "-".join(token[i : i + GROUP_SIZE] for i in range(0, len(token), GROUP_SIZE))


def token_normalize(typed: object) -> str | None:
    """Canonical form of what a reporter typed, or ``None`` if it cannot be a token."""
    if not isinstance(typed, str) or len(typed) > _MAX_TYPED:
        return None
    # NFKC folds full-width and other compatibility forms (e.g. from a phone keyboard).
    text = unicodedata.normalize("NFKC", typed).upper().translate(_SEPARATORS)
    text = text.translate(_LOOKALIKES)
    if len(text) != TOKEN_LENGTH or any(ch not in ALPHABET for ch in text):
        return None
    return text


def token_digest(normalized: str) -> bytes:
    """HMAC-SHA256 of a canonical token under the token pepper: the only stored form."""
    return hmac.new(settings.SPEAKUP_TOKEN_PEPPER, normalized.encode(), hashlib.sha256).digest()


def reference_generate() -> str:
    """A staff-facing case reference such as ``7KQM-3XTP``: random, so it tells no count."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(REFERENCE_LENGTH))
    return token_display(raw)
