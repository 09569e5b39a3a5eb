"""A stub OpenID Connect identity provider for tests: a tiny threaded HTTP server on
127.0.0.1 (a free port) that never reaches the internet.

It serves what allauth's ``openid_connect`` provider uses: the discovery document, an
authorization endpoint that answers at once (no login page), a token endpoint that checks the
client's credentials, the one-time code, the redirect URI and the PKCE verifier, the signing
keys (JWKS) and userinfo. ID tokens are signed RS256 with a key made for the test run.

Each test sets the identity the provider asserts and may break one thing on purpose (the ID
token's claims or signing key, the PKCE check) to see that sign-in fails closed.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

KID = "stub-key-1"


@cache
def _signing_key() -> rsa.RSAPrivateKey:
    """The provider's key, made once per test run (key generation is the slow part)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def _foreign_key() -> rsa.RSAPrivateKey:
    """A key the provider does not publish, for forged ID tokens."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Identity:
    """Who the provider says the user is."""

    sub: str
    email: str
    email_verified: bool = True
    name: str = "Stub User"


@dataclass
class Grant:
    """What /authorize remembered for one code."""

    client_id: str
    redirect_uri: str
    state: str | None
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    scope: str
    identity: Identity


@dataclass
class StubIdP:
    """The provider. Use as a context manager: it serves between ``__enter__`` and
    ``__exit__``."""

    client_id: str = "speakup"
    client_secret: str = "s3cret"
    identity: Identity = field(
        default_factory=lambda: Identity(sub="stub-0001", email="handler@example.org")
    )
    # Claims merged into the ID token after the real ones (e.g. a wrong "iss" or "aud").
    id_token_claims: dict[str, Any] = field(default_factory=dict)
    # Sign the ID token with a key that is not in the JWKS (kid unchanged).
    sign_with_foreign_key: bool = False
    # Treat every PKCE verifier as wrong (as if the code had been stolen).
    reject_pkce: bool = False
    # What the provider saw, for assertions.
    grants: list[Grant] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    token_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._codes: dict[str, Grant] = {}
        self._access_tokens: dict[str, Identity] = {}
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stub = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        assert self._server is not None, "the stub is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def issuer(self) -> str:
        return self.url

    # --- the browser's part ------------------------------------------------------------------

    def authorize(self, authorize_url: str) -> str:
        """Plays the browser at the provider: requests ``authorize_url`` and returns the
        Location it redirects to (the relying party's callback with code and state)."""
        parts = urlsplit(authorize_url)
        assert f"{parts.scheme}://{parts.netloc}" == self.url, authorize_url
        conn = http.client.HTTPConnection(parts.netloc, timeout=5)
        try:
            conn.request("GET", f"{parts.path}?{parts.query}")
            response = conn.getresponse()
            response.read()
            assert response.status == 302, response.status
            location = response.getheader("Location")
        finally:
            conn.close()
        assert location
        return location

    # --- endpoints ---------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "email", "email_verified"],
        }

    def jwks(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(_signing_key().public_key(), as_dict=True)
        jwk.update({"kid": KID, "alg": "RS256", "use": "sig"})
        return {"keys": [jwk]}

    def handle_authorize(self, query: dict[str, str]) -> tuple[int, dict[str, Any], str]:
        """Returns (status, JSON body or {}, Location)."""
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not redirect_uri:
            return 400, {"error": "invalid_request"}, ""
        if query.get("response_type") != "code" or "openid" not in query.get("scope", ""):
            return 400, {"error": "invalid_request"}, ""
        grant = Grant(
            client_id=self.client_id,
            redirect_uri=redirect_uri,
            state=query.get("state"),
            nonce=query.get("nonce"),
            code_challenge=query.get("code_challenge"),
            code_challenge_method=query.get("code_challenge_method"),
            scope=query.get("scope", ""),
            identity=Identity(**asdict(self.identity)),
        )
        code = secrets.token_urlsafe(16)
        with self._lock:
            self.grants.append(grant)
            self._codes[code] = grant
        params = {"code": code}
        if grant.state is not None:
            params["state"] = grant.state
        separator = "&" if "?" in redirect_uri else "?"
        return 302, {}, f"{redirect_uri}{separator}{urlencode(params)}"

    def handle_token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(dict(form))
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, client_secret = decoded.partition(":")
        if client_id != self.client_id or client_secret != self.client_secret:
            return self._token_error(401, "invalid_client")
        if form.get("grant_type") != "authorization_code":
            return self._token_error(400, "unsupported_grant_type")
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # codes work once
        if grant is None:
            return self._token_error(400, "invalid_grant")
        if form.get("redirect_uri") != grant.redirect_uri:
            return self._token_error(400, "invalid_grant")
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode("ascii")).digest()
            expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
            if (
                self.reject_pkce
                or grant.code_challenge_method != "S256"
                or not secrets.compare_digest(expected, grant.code_challenge)
            ):
                return self._token_error(400, "invalid_grant")
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens[access_token] = grant.identity
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self.make_id_token(grant),
        }

    def _token_error(self, status: int, error: str) -> tuple[int, dict[str, Any]]:
        self.token_errors.append(error)
        return status, {"error": error}

    def make_id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": grant.identity.sub,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
            "email": grant.identity.email,
            "email_verified": grant.identity.email_verified,
            "name": grant.identity.name,
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        claims.update(self.id_token_claims)
        key = _foreign_key() if self.sign_with_foreign_key else _signing_key()
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})

    def handle_userinfo(self, authorization: str) -> tuple[int, dict[str, Any]]:
        token = authorization[7:] if authorization.startswith("Bearer ") else ""
        with self._lock:
            identity = self._access_tokens.get(token)
        if identity is None:
            return 401, {"error": "invalid_token"}
        return 200, asdict(identity)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stub: StubIdP


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet

    def _send(self, status: int, body: dict[str, Any], location: str = "") -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        stub = self.server.stub
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        authorization = self.headers.get("Authorization", "")
        if parts.path == "/.well-known/openid-configuration":
            self._send(200, stub.discovery())
        elif parts.path == "/jwks":
            self._send(200, stub.jwks())
        elif parts.path == "/authorize":
            status, body, location = stub.handle_authorize(query)
            self._send(status, body, location)
        elif parts.path == "/userinfo":
            self._send(*stub.handle_userinfo(authorization))
        else:
            self._send(404, {"error": "not_found"})

    def do_POST(self) -> None:
        stub = self.server.stub
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        authorization = self.headers.get("Authorization", "")
        if urlsplit(self.path).path == "/token":
            self._send(*stub.handle_token(form, authorization))
        elif urlsplit(self.path).path == "/userinfo":
            self._send(*stub.handle_userinfo(authorization))
        else:
            self._send(404, {"error": "not_found"})
