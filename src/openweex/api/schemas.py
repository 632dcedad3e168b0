"""JSON Schemas of the answers: what each endpoint's ``data`` holds on success.

``/openapi.json`` publishes the named objects under ``components/schemas`` and each
operation's schema in its ``200`` response; ``tests/api/test_openapi_responses.py`` drives
every operation and validates each real answer against its schema, so the two cannot part.

As in the contract, most numbers are strings: amounts, prices and rates are plain decimals
without trailing zeros (``Decimal``), ids and millisecond times are strings of digits
(``IntString``), flags of currencies are ``"true"``/``"false"`` (``BoolString``). An object
whose fields are fixed says ``additionalProperties: false``: a field added to an answer
without being declared here fails the tests.
"""

from __future__ import annotations

from typing import Any

from openweex.domain.events import BILL_BIZ_TYPES, BILL_GROUP_TYPES
from openweex.domain.orders import Status
from openweex.domain.values import OrderType, Side
from openweex.engine.exchange import ACCOUNT_TYPES, PERMISSIONS

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    """A reference to the named schema of ``components/schemas``."""
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: Schema, min_items: int | None = None, max_items: int | None = None) -> Schema:
    schema: Schema = {"type": "array", "items": items}
    if min_items is not None:
        schema["minItems"] = min_items
    if max_items is not None:
        schema["maxItems"] = max_items
    return schema


def obj(description: str, **props: Schema) -> Schema:
    """An object with exactly these fields, all of them present."""
    return {
        "type": "object",
        "description": description,
        "properties": props,
        "required": list(props),
        "additionalProperties": False,
    }


def choice(values: Any, description: str = "") -> Schema:
    """A string that is one of ``values`` (sorted, so the document does not vary)."""
    schema: Schema = {"type": "string", "enum": sorted(values)}
    if description:
        schema["description"] = description
    return schema


DECIMAL = ref("Decimal")
SIGNED = ref("SignedDecimal")
INT = ref("IntString")
BOOL = ref("BoolString")
TEXT: Schema = {"type": "string"}
SIDE = choice(s.wire for s in Side)
ORDER_TYPE = choice(t.wire for t in OrderType)
ACCOUNT_TYPE = choice(ACCOUNT_TYPES)

_BILL = {
    "cTime": INT,
    "coinId": INT,
    "coinName": {"type": "string", "description": "lower case"},
    "groupType": choice(BILL_GROUP_TYPES),
    "bizType": choice(BILL_BIZ_TYPES),
    "quantity": ref("SignedDecimal"),
    "balance": {**DECIMAL, "description": "the available balance before the movement"},
    "fees": SIGNED,
    "billId": INT,
}

COMPONENTS: dict[str, Schema] = {
    "Decimal": {
        "type": "string",
        "pattern": r"^[0-9]+(\.[0-9]*[1-9])?$",
        "description": "a non-negative decimal, exact, without trailing zeros",
        "examples": ["30000", "0.0125"],
    },
    "SignedDecimal": {
        "type": "string",
        "pattern": r"^-?[0-9]+(\.[0-9]*[1-9])?$",
        "description": "a decimal that may be negative, exact, without trailing zeros",
        "examples": ["-0.5", "12"],
    },
    "IntString": {
        "type": "string",
        "pattern": r"^(0|[1-9][0-9]*)$",
        "description": "a whole number (an id, a count, or a Unix time in milliseconds)",
        "examples": ["1700000000000"],
    },
    "BoolString": {"type": "string", "enum": ["true", "false"]},
    "Error": {
        "type": "object",
        "description": "the WEEX error envelope",
        "properties": {
            "code": {"type": "string", "description": "the WEEX error code (docs/errors.md)"},
            "msg": {"type": "string"},
            "requestTime": {"type": "integer", "description": "Unix time in ms"},
            "data": {"type": "null"},
        },
        "required": ["code", "msg", "requestTime", "data"],
        "additionalProperties": False,
    },
    "Currency": obj(
        "a coin and its chains",
        coinId=INT,
        coinName=TEXT,
        transfer=BOOL,
        chains=array(ref("Chain")),
    ),
    "Chain": obj(
        "a chain of a coin (fees and minimums as configured, decimal strings)",
        chain=TEXT,
        needTag=BOOL,
        withdrawAble=BOOL,
        rechargeAble=BOOL,
        withdrawFee=TEXT,
        depositConfirm=INT,
        withdrawConfirm=INT,
        minDepositAmount=TEXT,
        minWithdrawAmount=TEXT,
        browserUrl=TEXT,
    ),
    "Product": obj(
        "a trading pair; amounts in the base coin, fee rates as fractions (0.001 = 0.1%)",
        symbol={"type": "string", "examples": ["BTCUSDT_SPBL"]},
        symbolName={"type": "string", "examples": ["BTCUSDT"]},
        baseCoin=TEXT,
        quoteCoin=TEXT,
        minTradeAmount=DECIMAL,
        maxTradeAmount=DECIMAL,
        takerFeeRate=DECIMAL,
        makerFeeRate=DECIMAL,
        priceScale=INT,
        quantityScale=INT,
        status={"type": "string", "examples": ["online"]},
    ),
    "Ticker": obj(
        "24h rolling ticker; buyOne/sellOne are the best bid/ask (0 when none), with sizes",
        symbol={"type": "string", "examples": ["BTCUSDT"]},
        high24h=DECIMAL,
        low24h=DECIMAL,
        close=DECIMAL,
        quoteVol=DECIMAL,
        baseVol=DECIMAL,
        usdtVol=DECIMAL,
        ts=INT,
        openUtc0={**DECIMAL, "description": "the price at 00:00 UTC today"},
        changeUtc={**SIGNED, "description": "(close - openUtc0) / openUtc0, 6 decimals"},
        change={**SIGNED, "description": "(close - the 24h open) / the 24h open, 6 decimals"},
        buyOne=DECIMAL,
        bidSz=DECIMAL,
        sellOne=DECIMAL,
        askSz=DECIMAL,
    ),
    "Trade": obj(
        "a public trade; side is the taker's",
        symbol={"type": "string", "examples": ["BTCUSDT_SPBL"]},
        tradeId=INT,
        side=SIDE,
        fillPrice=DECIMAL,
        fillQuantity=DECIMAL,
        fillTime=INT,
    ),
    "Candle": obj(
        "a candle; ts is its start",
        open=DECIMAL,
        high=DECIMAL,
        low=DECIMAL,
        close=DECIMAL,
        quoteVol=DECIMAL,
        baseVol=DECIMAL,
        usdtVol=DECIMAL,
        ts=INT,
    ),
    "Depth": obj(
        "the order book, best first; each level is [price, size]",
        asks=array(array(DECIMAL, 2, 2)),
        bids=array(array(DECIMAL, 2, 2)),
        timestamp=INT,
        version={**INT, "description": "the depth version (the r of the WebSocket depth streams)"},
    ),
    "Asset": obj(
        "a balance of one coin",
        coinId=INT,
        coinName={"type": "string", "description": "lower case"},
        available=DECIMAL,
        frozen={**DECIMAL, "description": "held by open orders"},
        lock=DECIMAL,
        uTime=INT,
    ),
    "Bill": obj("a balance movement; quantity is signed, fees are negative", **_BILL),
    "Transfer": obj(
        "a transfer between account types",
        coinName={"type": "string", "description": "lower case"},
        status={"const": "SUCCESS"},
        toType=ACCOUNT_TYPE,
        toSymbol=TEXT,
        fromType=ACCOUNT_TYPE,
        fromSymbol=TEXT,
        amount=DECIMAL,
        tradeTime=INT,
        transferId=INT,
    ),
    "OrderAck": obj(
        "a placed order",
        orderId=INT,
        clientOrderId={"type": "string", "description": "as given, or empty"},
    ),
    "OrderFailure": obj(
        "an order of a batch that was not placed",
        orderId={"const": ""},
        clientOrderId={"type": "string", "description": "as given, or empty"},
        errorCode={"type": "string", "examples": ["43012"]},
        errorMsg=TEXT,
    ),
    "BatchResult": obj(
        "the placed orders and the failed ones, each in the order of the request",
        resultList=array(ref("OrderAck")),
        failure=array(ref("OrderFailure")),
    ),
    "Order": obj(
        "an order; a market buy's quantity is in the quote coin, its price 0",
        accountId=INT,
        symbol={"type": "string", "examples": ["btcusdt_spbl"]},
        orderId=INT,
        clientOrderId=TEXT,
        price=DECIMAL,
        quantity=DECIMAL,
        orderType=ORDER_TYPE,
        side=SIDE,
        status=choice(s.wire for s in Status),
        fillPrice={**DECIMAL, "description": "the average fill price (0 before any fill)"},
        fillQuantity=DECIMAL,
        fillTotalAmount={**DECIMAL, "description": "in the quote coin"},
        cTime=INT,
    ),
    "Fill": obj(
        "a fill of one of the user's orders",
        accountId=INT,
        symbol={"type": "string", "examples": ["btcusdt_spbl"]},
        orderId=INT,
        fillId=INT,
        orderType=ORDER_TYPE,
        side=SIDE,
        fillPrice=DECIMAL,
        fillQuantity=DECIMAL,
        fillTotalAmount=DECIMAL,
        cTime=INT,
        feeCcy={"type": "string", "description": "lower case"},
        fees=DECIMAL,
    ),
    "ListenKey": obj("a listen key", listenKey={"type": "string", "minLength": 1}),
    "ListenKeys": obj("the live listen keys", listenKey=array({"type": "string"})),
    "Uid": obj("an account", uid=INT),
    "ApiKey": obj(
        "an API key with its secret (shown only when issued)",
        uid=INT,
        apiKey=TEXT,
        secretKey=TEXT,
        passphrase=TEXT,
        permissions=array(choice(PERMISSIONS)),
        ipWhitelist=array({"type": "string", "description": "an IP address"}),
    ),
    "AdminBill": obj(
        "the bill of a deposit or withdrawal, with the user and the available balance after",
        **_BILL,
        uid=INT,
        available=DECIMAL,
    ),
    "Frozen": obj("a user's frozen flag", uid=INT, frozen={"type": "boolean"}),
    "Account": obj(
        "an account's balances, frozen flag and API keys (without secrets)",
        uid=INT,
        frozen={"type": "boolean"},
        assets=array(ref("Asset")),
        apiKeys=array(TEXT),
    ),
    "Snapshot": obj("a snapshot written", seq=INT),
}

# Answers by endpoint.
SERVER_TIME: Schema = {"type": "integer", "minimum": 0, "description": "Unix time in ms"}
CURRENCIES = array(ref("Currency"))
PRODUCTS = array(ref("Product"))
ONE_PRODUCT = array(ref("Product"), 1, 1)
TICKER = ref("Ticker")
TICKERS = array(ref("Ticker"))
TRADES = array(ref("Trade"))
CANDLES = array(ref("Candle"))
DEPTH = ref("Depth")
ASSETS = array(ref("Asset"))
BILLS = array(ref("Bill"))
TRANSFERS = array(ref("Transfer"))
ORDER_ACK = ref("OrderAck")
BATCH_RESULT = ref("BatchResult")
ORDER_ID = {**INT, "description": "the id of the cancelled order"}
ORDER_IDS = array(INT)
ONE_ORDER = array(ref("Order"), 1, 1)
ORDERS = array(ref("Order"))
FILLS = array(ref("Fill"))
LISTEN_KEY = ref("ListenKey")
LISTEN_KEYS = ref("ListenKeys")
UID = ref("Uid")
API_KEY = ref("ApiKey")
ADMIN_BILL = ref("AdminBill")
TRANSFER = ref("Transfer")
FROZEN = ref("Frozen")
ACCOUNT = ref("Account")
SNAPSHOT = ref("Snapshot")
