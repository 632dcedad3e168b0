"""Response bodies copied from the contract (spec/weex-spot-api.txt), typos included.

The contract's examples say ``" code "`` (with spaces), ``"message"`` instead of ``"msg"``,
``"code": ""`` for trade fills, and seconds for ``cTime``: the SDK must read them all.
Three examples are not valid JSON in the documents and are repaired here, minimally: the
tickers list misses a comma after ``]``, the stop-limit order frame writes ``0 . 9``, and
the MEXC bookTicker frame misses a comma and has a trailing one.
"""

from __future__ import annotations

TIME = """{
" code ": "00000" ,
"msg" : "success" ,
"requestTime" : 1622097118135 ,
"data" : 1622097118134
}"""

CURRENCIES = """{
"code" : "00000" ,
"msg" : "success" ,
"requestTime" : 1622097139437 ,
"data" : [
{
"coinId" : "1" ,
"coinName" : "BTC" ,
"transfer" : "true" ,
"chains" : [
{
"chain" : null ,
"needTag" : "false" ,
"withdrawAble" : "true" ,
"rechargeAble" : "true" ,
"withdrawFee" : "0.005" ,
"depositConfirm" : "1" ,
"withdrawConfirm" : "1" ,
"minDepositAmount" : "0.001" ,
"minWithdrawAmount" : "0.001" ,
"browserUrl" : "https://blockchair.com/bitcoin/testnet/transaction/"
}
]
} ,
{
"coinId" : "2" ,
"coinName" : "USDT" ,
"transfer" : "true" ,
"chains" : [
{
"chain" : "ERC20" ,
"needTag" : "false" ,
"withdrawAble" : "true" ,
"rechargeAble" : "true" ,
"withdrawFee" : "0.01" ,
"depositConfirm" : "12" ,
"withdrawConfirm" : "1" ,
"minDepositAmount" : "0.1" ,
"minWithdrawAmount" : "0.1" ,
"browserUrl" : "https://ropsten.etherscan.io/tx/"
}
]
}
]
}"""

PRODUCTS = """{
" code ": "00000" ,
"msg" : "success" ,
"requestTime" : 1622097197283 ,
"data" :[
{
"symbol" : "BTCUSDT_SPBL" ,
"symbolName" : "BTCUSDT" ,
"baseCoin" : "BTC" ,
"quoteCoin" : "USDT" ,
"minTradeAmount" : "0.0001" ,
"maxTradeAmount" : "10000" ,
"takerFeeRate" : "0.001" ,
"makerFeeRate" : "0.001" ,
"priceScale" : "4" ,
"quantityScale" : "8" ,
"status" : "online"
},
{
"symbol" : "EOSUSDT_SPBL" ,
"symbolName" : "EOSUSDT" ,
"baseCoin" : "EOS" ,
"quoteCoin" : "USDT" ,
"minTradeAmount" : "1" ,
"maxTradeAmount" : "1" ,
"takerFeeRate" : "1" ,
"makerFeeRate" : "1" ,
"priceScale" : "1" ,
"quantityScale" : "1" ,
"status" : "online"
}
]
}"""

PRODUCT = """{
" code ": "00000" ,
"msg" : "success" ,
"requestTime" : 1622097197283 ,
"data" :[
{
"symbol" : "BTCUSDT_SPBL" ,
"symbolName" : "BTCUSDT" ,
"baseCoin" : "BTC" ,
"quoteCoin" : "USDT" ,
"minTradeAmount" : "0.0001" ,
"maxTradeAmount" : "10000" ,
"takerFeeRate" : "0.001" ,
"makerFeeRate" : "0.001" ,
"priceScale" : "4" ,
"quantityScale" : "8" ,
"status" : "online"
}
]
}"""

TICKER = """{
" code ": "00000" ,
"data" :{
"symbol": "BTCUSDT" ,
"high24h" : "34413.1" ,
"low24h" : "34413.1" ,
"close" : "34413.1" ,
"quoteVol" : "0" ,
"baseVol" : "0" ,
"usdtVol" : "0" ,
"ts" : "1625125755277"
},
"msg" : "success" ,
"requestTime" : 1625125756372
}"""

TICKERS = """{
" code ": "00000" ,
"data" :[
{
"symbol": "BTCUSDT" ,
"high24h" : "34413.1" ,
"low24h" : "34413.1" ,
"close" : "34413.1" ,
"quoteVol" : "0" ,
"baseVol" : "0" ,
"usdtVol" : "0" ,
"ts" : "1625125755277"
}
],
"msg" : "success" ,
"requestTime" : 1625125756372
}"""

MARKET_FILLS = """{
" code ": "00000" ,
"msg" : "success" ,
"requestTime" : 1622097283024 ,
"data" :[
{
"symbol" : "BFTUSDT_SPBL" ,
"tradeId" : "781698148534505473" ,
"side" : "buy" ,
"fillPrice" : "2.38735" ,
"fillQuantity" : "2470.6224" ,
"fillTime" : "1622097282536"
},
{
"symbol" : "BFTUSDT_SPBL" ,
"tradeId" : "781698140590493697" ,
"side" : "sell" ,
"fillPrice" : "2.38649" ,
"fillQuantity" : "3239.7976" ,
"fillTime" : "1622097280642"
}
]
}"""

CANDLES = """{
" code ": "00000" ,
"msg" : "success" ,
"requestTime" : 1622097356073 ,
"data" :[
{
"open" : "2.34517" ,
"high" : "2.34771" ,
"low" : "2.34214" ,
"close" : "2.34555" ,
"quoteVol" : "189631.101357091" ,
"baseVol" : "80862.6823" ,
"usdtVol" : "189631.101357091" ,
"ts" : "1622091360000"
},
{
"open" : "2.34391" ,
"high" : "2.34903" ,
"low" : "2.34391" ,
"close" : "2.34608" ,
"quoteVol" : "167725.002115681" ,
"baseVol" : "71479.3205" ,
"usdtVol" : "167725.002115681" ,
"ts" : "1622091420000"
}
]
}"""

DEPTH = """{
" code ": "00000" ,
"msg" : "success" ,
"requestTime" : 1622102974025 ,
"data" :{
"asks":[
[ "38084.5" ,
"0.0039"
],
[ "38085.7" ,
"0.0018"
],
[ "38086.7" ,
"0.0310"
],
[ "38088.2" ,
"0.5303"
]
], "bids" :[
[ "38073.7" ,
"0.4993000000000000"
],
[ "38073.4" ,
"0.4500"
],
[ "38073.3" ,
"0.1179"
],
[ "38071.5" ,
"0.2162"
]
], "timestamp" : "1622102974025"
}
}"""

ASSETS = """{
" code ": "00000" ,
"message" : "success" ,
"data" :[
{
"coinId" : "10012" ,
"coinName" : "usdt" ,
"available" : "0" ,
"frozen" : "0" ,
"lock" : "0" ,
"uTime" : "1622697148"
}
]
}"""

BILLS = """{
" code ": "00000" ,
"message" : "success" ,
"data" :[{
"cTime" : "1622697148" ,
"coinId" : "22" ,
"coinName" : "usdt" ,
"groupType" : "deposit" ,
"bizType" : "transfer-in" ,
"quantity" : "1" ,
"balance" : "1" ,
"fees" : "0" ,
"billId" : "1291"
}]
}"""

TRANSFER_RECORDS = """{
" code ": "00000" ,
"data" :[
{
"coinName": "btc" ,
"status" : "SUCCESS" ,
"toType" : "USD_MIX" ,
"toSymbol" : "" ,
"fromType" : "CONTRACT" ,
"fromSymbol" : "BTC/USD" ,
"amount" : "1000.00000000" ,
"tradeTime" : "1631070374488"
}
],
"msg" : "success" ,
"requestTime" : 1631608142260
}"""

PLACE_ORDER = """{
" code ": "00000" ,
"msg" : "success" ,
"data" :{
"orderId": "1001" ,
"clientOrderId" : "hgXjh89AsxleMSw"
}
}"""

BATCH_ORDERS = """{
" code ": "00000" ,
"msg" : "success" ,
"data" :{
"resultList":[
{
"clientOrderId": "hgXjh89AsxleMSw" ,
"orderId" : "1001"
}
]
}
}"""

CANCEL_ORDER = """{
" code ": "00000" ,
"message" : "success" ,
"data" : "1001"
}"""

CANCEL_BATCH = """{
" code ": "00000" ,
"message" : "success" ,
"data" :[
"1001" ,
"1002"
]
}"""

ORDER_INFO = """{
" code ": "00000" ,
"message" : "success" ,
"data" :[{
"accountId" : "10012" ,
"symbol" : "btcusdt_spbl" ,
"orderId" : "2222222" ,
"clientOrderId" : "xxxxxxx" ,
"price" : "34245.12" ,
"quantity" : "1" ,
"orderType" : "limit" ,
"side" : "buy" ,
"status" : "new" ,
"fillPrice" : "0" ,
"fillQuantity" : "0" ,
"fillTotalAmount" : "0" ,
"cTime" : "1622697148"
}]
}"""

OPEN_ORDERS = """{
" code ": "00000" ,
"message" : "success" ,
"data" :[{
"accountId" : "10012" ,
"symbol" : "btcusdt_spbl" ,
"orderId" : "2222222" ,
"clientOrderId" : "xxxxxxx" ,
"price" : "34829.12" ,
"quantity" : "1" ,
"orderType" : "limit" ,
"side" : "buy" ,
"status" : "new" ,
"fillPrice" : "0" ,
"fillQuantity" : "0" ,
"fillTotalAmount" : "0" ,
"cTime" : "1622697148"
}]
}"""

HISTORY = """{
" code ": "00000" ,
"message" : "success" ,
"data" :[{
"accountId" : "10012" ,
"symbol" : "btcusdt_spbl" ,
"orderId" : "2222222" ,
"clientOrderId" : "xxxxxxx" ,
"price" : "34982.12" ,
"quantity" : "1" ,
"orderType" : "limit" ,
"side" : "buy" ,
"status" : "new" ,
"fillPrice" : "34982.12" ,
"fillQuantity" : "1" ,
"fillTotalAmount" : "34982.12" ,
"cTime" : "1622697148"
}]
}"""

FILLS = """{
" code ": "" ,
"message" : "" ,
"data" :[{
"accountId" : "1001" ,
"symbol" : "btcusdt_spbl" ,
"orderId" : "100021" ,
"fillId" : "102211" ,
"orderType" : "limit" ,
"side" : "buy" ,
"fillPrice" : "38293.12" ,
"fillQuantity" : "1" ,
"fillTotalAmount" : "38293.12" ,
"cTime" : "1622697148" ,
"feeCcy" : "btc" ,
"fees" : "0.0001"
}]
}"""

LISTEN_KEY = """{
"listenKey" : "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"
}"""

LISTEN_KEYS = """{
"listenKey" : [
"c285bc363cfeac6646576b801a2ed1f9523310fcda9e927e509aaaaaaaaaaaaaa" ,
"87cb8da0fb150e36c232c2c060bc3848693312008caf3acae73bbbbbbbbbbbb" ,
"dc027517ebee2328b75268461a9df4d21addfac6ebebab8f5a6cccccccccccccc"
]
}"""

WS_ACCOUNT = """{
"c": "spot@private.account.v3.api" ,
"d" : {
" a ": "USDT" ,
"c" : 1678185928428 ,
"f" : "302.185113007893322435" ,
"fd" : "-4.990689704" ,
"l" : "4.990689704" ,
"ld" : "4.990689704" ,
"o" : "ENTRUST_PLACE"
},
"t": 1678185928435
}"""

WS_DEALS = """{
"c": "spot@private.deals.v3.api" ,
"d" : {
" p ": "1.804" ,
"v" : "0.31" ,
"a" : "0.55924" ,
"S" : 1 ,
"T" : 1678901086198 ,
"t" : "5bbb6ad8b4474570b155610e30d960cd" ,
"c" : "" ,
"i" : "2dd9655f9fa2438fa1709510d7c1afd9" ,
"m" : 0 ,
"st" : 0 ,
"n" : "0.000248206380027431" ,
"N" : "MX"
},
"s": "MXUSDT" ,
"t" : 1661938980285
}"""

WS_ORDER = """{
"c": "spot@private.orders.v3.api" ,
"d" : {
" A ": 8.0 ,
"O" : 1661938138000 ,
"S" : 1 ,
"V" : 10 ,
"a" : 8 ,
"c" : "" ,
"i" : "e03a5c7441e44ed899466a7140b71391" ,
"m" : 0 ,
"o" : 1 ,
"p" : 0.8 ,
" s " : 1 ,
"v" : 10 ,
"ap" : 0 ,
"cv" : 0 ,
"ca" : 0
},
"s" : "MXUSDT" ,
"t" : 1661938138193
}"""

WS_STOP_ORDER = """{
"c" : "spot@private.orders.v3.api" ,
"d" : {
"N" : "USDT" ,
"O" : 1661938853715 ,
"P" : 0.9 ,
"S" : 1 ,
"T" : 1 ,
"i" : "f6d82e5f41d745f59fe9d3cafffd80b5" ,
"o" : 100 ,
"p" : 1.01 ,
"s" : "NEW" ,
"v" : 6
}, "s" : "MXUSDT" ,
"t" : 1661938853727
}"""

WS_PUBLIC_DEALS = """{
"c":"spot@public.deals.v3.api@BTCUSDT",
"d":{
"deals":[{
"S":2,
"p":"20233.84",
"t":1661927587825,
"v":"0.001028"}],
"e":"spot@public.deals.v3.api"},
"s":"BTCUSDT",
"t":1661927587836
}"""

WS_KLINE = """{
"c":"spot@public.kline.v3.api@BTCUSDT@Min15",
"d":{
"k":{
"T":1661931900,
"a":29043.48804658,
"c":20279.43,
"h":20284.93,
"i":"Min15",
"l":20277.52,
"o":20284.93,
"t":1661931000,
"v":1.43211},
"e":"spot@public.kline.v3.api"},
"s":"BTCUSDT",
"t":1661931016878
}"""

WS_INCREASE_DEPTH = """{
"c":"spot@public.increase.depth.v3.api@BTCUSDT",
"d":{
"asks":[{
"p":"20290.89",
"v":"0.000000"}],
"e":"spot@public.increase.depth.v3.api",
"r":"3407459756"},
"s":"BTCUSDT",
"t":1661932660144
}"""

WS_LIMIT_DEPTH = """{
"c":"spot@public.limit.depth.v3.api@BTCUSDT@5",
"d":{
"asks":[{
"p":"20290.89",
"v":"0.650000"}],
"e":"spot@public.limit.depth.v3.api",
"r":"3407459756"},
"s":"BTCUSDT",
"t":1661932660144
}"""

WS_BOOK_TICKER = """{
"c":"spot@public.bookTicker.v3.api@BTCUSDT",
"d":{
"A":"40.66000000",
"B":"31.21000000",
"a":"25.36520000",
"b":"25.35190000"},
"s":"BTCUSDT",
"t":1661932660144
}"""
