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
from collections.abc import Callable, Mapping
from urllib.parse import unquote, unquote_plus

from openweex.domain import errors
from openweex.domain.errors import Reject
from openweex.engine.ledger import ApiKeyRecord

TIMESTAMP_WINDOW_MS = 30_000


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name) or headers.get(name.replace("-", "_")) or ""
    return value.strip()


def sign(secret: str, message: str | bytes) -> str:
    raw = message.encode() if isinstance(message, str) else message
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _candidates(prefix: str, path: str, raw_query: str, body: bytes) -> list[bytes]:
    queries = [raw_query]
    if raw_query:
        for q in (unquote(raw_query), unquote_plus(raw_query)):
            if q not in queries:
                queries.append(q)
    return [(prefix + path + (f"?{q}" if q else "")).encode() + body for q in queries]


def signature_ok(
    secret: str, ts: str, method: str, path: str, raw_query: str, body: bytes, given: str
) -> bool:
    given_b = given.encode()
    ok = False
    key = secret.encode()
    for msg in _candidates(ts + method.upper(), path, raw_query, body):
        want = base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest())
        ok |= hmac.compare_digest(want, given_b)
    return ok


def authenticate(
    headers: Mapping[str, str],
    method: str,
    path: str,
    raw_query: str,
    body: bytes,
    client_ip: str,
    now: int,
    lookup: Callable[[str], ApiKeyRecord | None],
    is_frozen: Callable[[int], bool],
    permission: str | None,
) -> ApiKeyRecord | Reject:
    """Verify a private request; returns the API key record or a rejection."""
    key = _header(headers, "access-key")
    sig = _header(headers, "access-sign")
    ts = _header(headers, "access-timestamp")
    passphrase = _header(headers, "access-passphrase")
    for value, code in (
        (key, errors.MISSING_ACCESS_KEY),
        (sig, errors.MISSING_ACCESS_SIGN),
        (ts, errors.MISSING_ACCESS_TIMESTAMP),
        (passphrase, errors.MISSING_PASSPHRASE),
    ):
        if not value:
            return errors.reject(code)
    if not ts.isdigit() or len(ts) > 16:
        return errors.reject(errors.INVALID_TIMESTAMP)
    rec = lookup(key)
    if rec is None:
        return errors.reject(errors.INVALID_ACCESS_KEY)
    if abs(now - int(ts)) > TIMESTAMP_WINDOW_MS:
        return errors.reject(errors.TIMESTAMP_EXPIRED)
    if not signature_ok(rec.secret, ts, method, path, raw_query, body, sig):
        return errors.reject(errors.SIGNATURE_FAILED)
    if not hmac.compare_digest(rec.passphrase.encode(), passphrase.encode()):
        return errors.reject(errors.WRONG_PASSPHRASE)
    if rec.ip_whitelist and client_ip not in rec.ip_whitelist:
        return errors.reject(errors.ILLEGAL_IP)
    if is_frozen(rec.uid):
        return errors.reject(errors.USER_FROZEN)
    if permission is not None and permission not in rec.permissions:
        return errors.reject(errors.NO_PERMISSION)
    return rec
