"""Authentication of private requests: the ``ACCESS-*`` headers and the HMAC signature.

``ACCESS-SIGN = base64(HMAC_SHA256(secret, timestamp + METHOD + path + ("?" + query) + body))``

* header names are accepted with hyphens or underscores (``ACCESS-KEY``, ``ACCESS_KEY``);
* the timestamp is Unix milliseconds and must be within 30 s of the server clock;
* the body is the exact raw bytes received, never re-serialised;
* the query part may be signed raw (as received) or URL-decoded; both are accepted;
* signatures are compared in constant time; secrets never appear in logs or errors.

Checks run in this order, each with its WEEX code: missing key 40001, missing sign 40002,
missing timestamp 40003, missing passphrase 40011, non-numeric timestamp 40005, unknown key
40006, stale timestamp 40008, bad signature 40009, wrong passphrase 40012, IP not whitelisted
40018, frozen user 40013, missing permission 40014.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import unquote_to_bytes

from openweex.domain import errors
from openweex.domain.errors import Reject
from openweex.engine.ledger import ApiKeyRecord

TIMESTAMP_WINDOW_MS = 30_000
Headers = Mapping[str, str]

_REQUIRED = (
    ("access-key", errors.MISSING_ACCESS_KEY),
    ("access-sign", errors.MISSING_ACCESS_SIGN),
    ("access-timestamp", errors.MISSING_ACCESS_TIMESTAMP),
    ("access-passphrase", errors.MISSING_PASSPHRASE),
)


def access_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """The ``ACCESS-*`` headers of an ASGI header list, names lower-case with hyphens.

    ``ACCESS_KEY`` and ``access-key`` are the same header; when a request carries both
    spellings the first one wins. (ASGI servers give header names in lower case.)
    """
    out: dict[str, str] = {}
    for name, value in raw:
        if name[:6] == b"access" or name[:6].lower() == b"access":
            key = _NAMES.get(name) or name.decode("latin-1").lower().replace("_", "-")
            if key not in out:
                out[key] = value.decode("latin-1").strip()
    return out


_NAMES = {
    f"access{sep}{n}".encode(): f"access-{n}"
    for sep in "-_"
    for n in ("key", "sign", "timestamp", "passphrase")
}


def sign(secret: str, message: str | bytes) -> str:
    raw = message.encode() if isinstance(message, str) else message
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _queries(raw_query: bytes) -> list[bytes]:
    """The query as received, URL-decoded, and URL-decoded with ``+`` as a space."""
    queries = [raw_query]
    if raw_query and (b"%" in raw_query or b"+" in raw_query):
        for q in (unquote_to_bytes(raw_query), unquote_to_bytes(raw_query.replace(b"+", b" "))):
            if q not in queries:
                queries.append(q)
    return queries


def signature_ok(
    secret: str, ts: str, method: str, path: str, raw_query: bytes, body: bytes, given: str
) -> bool:
    """True when ``given`` signs the request with its query raw or URL-decoded."""
    given_b = given.encode()
    key = secret.encode()
    prefix = (ts + method.upper() + path).encode()
    ok = False
    for q in _queries(raw_query):
        msg = prefix + (b"?" + q if q else b"") + body
        want = base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest())
        ok |= hmac.compare_digest(want, given_b)
    return ok


def _missing(headers: Headers) -> Reject | None:
    for name, code in _REQUIRED:
        if not headers.get(name):
            return errors.reject(code)
    return None


def authenticate(
    headers: Headers,
    method: str,
    path: str,
    raw_query: bytes,
    body: bytes,
    client_ip: str,
    now: int,
    lookup: Callable[[str], ApiKeyRecord | None],
    is_frozen: Callable[[int], bool],
    permission: str | None,
) -> ApiKeyRecord | Reject:
    """Verify a private request; returns the API key record or a rejection.

    ``headers`` are the :func:`access_headers` of the request.
    """
    missing = _missing(headers)
    if missing is not None:
        return missing
    ts = headers["access-timestamp"]
    if not ts.isascii() or not ts.isdigit() or len(ts) > 16:
        return errors.reject(errors.INVALID_TIMESTAMP)
    rec = lookup(headers["access-key"])
    if rec is None:
        return errors.reject(errors.INVALID_ACCESS_KEY)
    if abs(now - int(ts)) > TIMESTAMP_WINDOW_MS:
        return errors.reject(errors.TIMESTAMP_EXPIRED)
    if not signature_ok(rec.secret, ts, method, path, raw_query, body, headers["access-sign"]):
        return errors.reject(errors.SIGNATURE_FAILED)
    if not hmac.compare_digest(rec.passphrase.encode(), headers["access-passphrase"].encode()):
        return errors.reject(errors.WRONG_PASSPHRASE)
    if rec.ip_whitelist and client_ip not in rec.ip_whitelist:
        return errors.reject(errors.ILLEGAL_IP)
    if is_frozen(rec.uid):
        return errors.reject(errors.USER_FROZEN)
    if permission is not None and permission not in rec.permissions:
        return errors.reject(errors.NO_PERMISSION)
    return rec
