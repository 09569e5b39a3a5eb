"""Django's database sessions, with the second-factor secrets being set up sealed.

While someone sets up an authenticator (the first sign-in's ``enrol``, or replacing one on the
account page), the new TOTP secret waits in their session until they type a code from it. A
session is a database row, so in clear that secret would be readable by anyone who can read
the table or a backup, for as long as the row lives, and would let them make the person's
codes once the setup completes. Here the values under ``SEALED_KEYS`` are sealed as
``Authenticator.data``'s secrets are (``staff.mfa.secret_seal``: AES-256-GCM under a key from
the master keys in the environment) whenever the session is written, and opened when it is
read. A value that cannot be opened (not sealed, from before this; or sealed under a master key
no longer configured) is dropped: the page then makes a new secret, as for a new session.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db

from cases.exceptions import CryptoError
from staff.mfa import secret_open, secret_seal

# allauth's key for the first sign-in's secret, and the account page's for a replacement.
SEALED_KEYS = ("mfa.totp.secret", "staff.totp.new")


class SessionStore(db.SessionStore):
    def encode(self, session_dict: dict[str, Any]) -> str:
        sealed = {
            key: secret_seal(value) if key in SEALED_KEYS and isinstance(value, str) else value
            for key, value in session_dict.items()
        }
        return str(super().encode(sealed))

    def decode(self, session_data: bytes | str) -> dict[str, Any]:
        data: dict[str, Any] = super().decode(session_data)
        for key in SEALED_KEYS:
            if key in data:
                try:
                    data[key] = secret_open(data[key])
                except (CryptoError, TypeError):
                    del data[key]
        return data
