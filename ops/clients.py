"""A client, for throttling only: a keyed hash of its address, never the address itself.

Used by the staff sign-in throttle and the reporter pages' throttles. The hash is keyed with
``SECRET_KEY`` (so a list of addresses cannot be hashed to match), and every throttle entry
that holds it expires within the hour. Nothing stores it in a table or writes it to a log.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.crypto import salted_hmac


def client_address(request: HttpRequest) -> str:
    """The address the request came from, honouring allauth's trusted-proxy settings."""
    from allauth.core.internal.httpkit import get_client_ip

    return get_client_ip(request) or "unknown"


def client_key(request: HttpRequest) -> str:
    return (
        "c"
        + salted_hmac(
            "speakup.client-key", client_address(request), algorithm="sha256"
        ).hexdigest()[:32]
    )
