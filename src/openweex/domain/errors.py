"""WEEX error codes, their messages and HTTP statuses, as one table.

Rejections travel as :class:`Reject` values; the API layer turns them into the WEEX
error envelope with the status from :data:`HTTP_STATUS`.
"""

from __future__ import annotations

from typing import Final, NamedTuple

SUCCESS = "00000"

# Common error codes (contract table).
MISSING_ACCESS_KEY = "40001"
MISSING_ACCESS_SIGN = "40002"
MISSING_ACCESS_TIMESTAMP = "40003"
INVALID_TIMESTAMP = "40005"
INVALID_ACCESS_KEY = "40006"
INVALID_CONTENT_TYPE = "40007"
TIMESTAMP_EXPIRED = "40008"
SIGNATURE_FAILED = "40009"
TOO_FREQUENT = "429"
MISSING_PASSPHRASE = "40011"
WRONG_PASSPHRASE = "40012"
USER_FROZEN = "40013"
NO_PERMISSION = "40014"
SYSTEM_ERROR = "40015"
NEED_2FA = "40016"
PARAM_INVALID = "40017"
PARAM_REQUIRED = "40019"
ILLEGAL_IP = "40018"

# Spot error codes (contract table).
BATCH_TOO_LARGE = "40912"
ORDER_ID_REQUIRED = "40913"
SYMBOL_NOT_FOUND = "40102"
SERVER_UPGRADE = "40200"
CLIENT_OID_INVALID = "40305"
WRONG_FORMAT = "40409"
HISTORY_TOO_OLD = "40704"
START_AFTER_END = "40707"
PARAM_EMPTY = "40724"
SPOT_SERVICE_ERROR = "40725"

# Business errors the contract does not number (Bitget v1 family codes).
INSUFFICIENT_BALANCE = "43012"
ORDER_NOT_FOUND = "43001"
BELOW_MINIMUM = "45110"
# Chosen by openweex: a post-only order that would take liquidity.
POST_ONLY_WOULD_TAKE = "43115"
# Chosen by openweex: a fill-or-kill order that cannot be filled completely.
FOK_NOT_FILLABLE = "43116"
# Chosen by openweex: a duplicate clientOrderId for the same user.
DUPLICATE_CLIENT_OID = "43118"
# Chosen by openweex: unknown account (admin API).
ACCOUNT_NOT_FOUND = "40040"
# Chosen by openweex: listen key limits and lookups.
LISTEN_KEY_LIMIT = "40041"
LISTEN_KEY_NOT_FOUND = "40042"
# Route problems.
NOT_FOUND = "40404"
METHOD_NOT_ALLOWED = "40405"

MESSAGES: dict[str, str] = {
    MISSING_ACCESS_KEY: 'The request header "ACCESS_KEY" cannot be empty',
    MISSING_ACCESS_SIGN: 'The request header "ACCESS_SIGN" cannot be empty',
    MISSING_ACCESS_TIMESTAMP: 'The request header "ACCESS_TIMESTAMP" cannot be empty',
    INVALID_TIMESTAMP: "Invalid ACCESS_TIMESTAMP",
    INVALID_ACCESS_KEY: "Invalid ACCESS_KEY",
    INVALID_CONTENT_TYPE: 'Invalid Content-Type, please use "application/json" format',
    TIMESTAMP_EXPIRED: "The requested timestamp expired",
    SIGNATURE_FAILED: "API verification failed",
    TOO_FREQUENT: "The request is too frequent",
    MISSING_PASSPHRASE: 'The request header "ACCESS_PASSPHRASE" cannot be empty',
    WRONG_PASSPHRASE: "apikey/passphrase is incorrect",
    USER_FROZEN: "The user has been frozen",
    NO_PERMISSION: "Incorrect permissions",
    SYSTEM_ERROR: "System error",
    NEED_2FA: "The user must bind a mobile phone or Google Authenticator",
    PARAM_INVALID: "Parameter verification failed",
    PARAM_REQUIRED: "Required parameter cannot be empty",
    ILLEGAL_IP: "Illegal IP request",
    BATCH_TOO_LARGE: "Batch processing orders can only process up to 50",
    ORDER_ID_REQUIRED: "OrderId or clientId must be passed in one",
    SYMBOL_NOT_FOUND: "The contract configuration does not exist, Please check the parameters",
    SERVER_UPGRADE: "Server upgrade, please try again later",
    CLIENT_OID_INVALID: (
        "Client_oid length is not greater than 40, and cannot be a Martian character"
    ),
    WRONG_FORMAT: "Wrong format",
    HISTORY_TOO_OLD: "Only check the data of the last three months",
    START_AFTER_END: "Start time is greater than end time",
    PARAM_EMPTY: "The parameter is empty",
    SPOT_SERVICE_ERROR: "Spot service returns an error",
    INSUFFICIENT_BALANCE: "Insufficient balance",
    ORDER_NOT_FOUND: "Order does not exist",
    BELOW_MINIMUM: "Quantity is less than the minimum trade amount",
    POST_ONLY_WOULD_TAKE: "Post-only order would take liquidity and was rejected",
    FOK_NOT_FILLABLE: "Fill-or-kill order cannot be filled completely",
    DUPLICATE_CLIENT_OID: "Duplicate clientOrderId",
    ACCOUNT_NOT_FOUND: "Account does not exist",
    LISTEN_KEY_LIMIT: "Too many listen keys: at most 60 per user",
    LISTEN_KEY_NOT_FOUND: "Listen key does not exist or has expired",
    NOT_FOUND: "Request path not found",
    METHOD_NOT_ALLOWED: "Request method not supported",
}

HTTP_STATUS: dict[str, int] = {TOO_FREQUENT: 429, NOT_FOUND: 404, METHOD_NOT_ALLOWED: 405}


def http_status(code: str) -> int:
    """HTTP status for an error code: 400 unless the table says otherwise."""
    return HTTP_STATUS.get(code, 400)


class Reject(NamedTuple):
    """A rejected command or request: a WEEX code and a human message."""

    code: str
    msg: str


def reject(code: str, detail: str = "") -> Reject:
    """Build a :class:`Reject` with the table message, optionally with a detail."""
    if not detail:
        plain = _PLAIN.get(code)
        if plain is not None:
            return plain
    base = MESSAGES.get(code, "Error")
    return Reject(code, f"{base}: {detail}" if detail else base)


# Rejections without a detail are immutable values: one shared instance per code.
_PLAIN: Final[dict[str, Reject]] = {code: Reject(code, msg) for code, msg in MESSAGES.items()}
