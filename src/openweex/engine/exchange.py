"""The exchange state machine: ``Exchange.apply(command) -> (result, events)``.

The engine is a pure function of its command stream: no I/O, no clock, no randomness. Time
arrives in each command; ids (accounts, orders, trades, bills, transfers) come from counters
in the state, so replaying the same commands gives the same ids, events and
:meth:`Exchange.state_hash`.

A rejected command changes nothing and produces no events: every check happens before the
first change. Results are command specific (see ``Result``); rejections are
:class:`~openweex.domain.errors.Reject` values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, Final, cast

from openweex.domain import errors
from openweex.domain.commands import (
    CancelBatch,
    CancelOrder,
    Command,
    CreateAccount,
    CreateApiKey,
    CreateListenKey,
    DeleteListenKey,
    Deposit,
    KeepAliveListenKey,
    PlaceBatch,
    PlaceOrder,
    SetUserFrozen,
    Transfer,
    Withdraw,
)
from openweex.domain.errors import Reject
from openweex.domain.events import (
    AccountCreated,
    BalanceUpdate,
    Event,
    ListenKeyClosed,
    TransferRecord,
)
from openweex.domain.markets import Markets
from openweex.engine import state as state_io
from openweex.engine.book import Book, Order
from openweex.engine.ledger import Account, ApiKeyRecord, Ledger
from openweex.engine.marketdata import MarketData
from openweex.engine.trading import OrderAck, Trading

# Module-level finals compile to direct references (no lookup in the module's namespace).
_PLACE_ORDER: Final = PlaceOrder
_CANCEL_ORDER: Final = CancelOrder
_REJECT: Final = Reject

PERMISSIONS = ("SPOT_ACCOUNT_R", "SPOT_TRADE")
ACCOUNT_TYPES = frozenset({"SPOT", "CONTRACT", "USD_MIX", "USDT_MIX", "MARGIN", "FUNDING"})
LISTEN_KEY_TTL_MS = 60 * 60 * 1000
MAX_LISTEN_KEYS = 60
MAX_BATCH = 50
FIRST_UID = 10001
FIRST_ORDER_ID = 1_000_000_000_001

Result = (
    OrderAck
    | tuple[OrderAck | Reject, ...]
    | int
    | tuple[int | Reject, ...]
    | BalanceUpdate
    | TransferRecord
    | ApiKeyRecord
    | str
    | bool
    | Reject
)


class Exchange(Trading):
    """All books, accounts and market data of one exchange."""

    def __init__(self, markets: Markets) -> None:
        self.markets = markets
        self.books = {name: Book(name) for name in markets.symbols}
        self.accounts: dict[int, Account] = {}
        self.orders: dict[int, Order] = {}
        self.client_oids: dict[tuple[int, str], int] = {}
        self.api_keys: dict[str, ApiKeyRecord] = {}
        self.listen_keys: dict[str, tuple[int, int]] = {}  # key -> (uid, expires_ms)
        self.ledger = Ledger()
        self.market = MarketData(markets)
        self.next_uid = FIRST_UID
        self.next_order_id = FIRST_ORDER_ID
        self.next_trade_id = 1
        self.next_transfer_id = 1
        self.last_ts = 0
        self._handlers: dict[type, Callable[[Any], Result]] = {
            PlaceOrder: self.place,
            CancelOrder: self.cancel,
            PlaceBatch: self._place_batch,
            CancelBatch: self._cancel_batch,
            CreateAccount: self._create_account,
            CreateApiKey: self._create_api_key,
            SetUserFrozen: self._set_frozen,
            Deposit: self._deposit,
            Withdraw: self._withdraw,
            Transfer: self._transfer,
            CreateListenKey: self._create_listen_key,
            KeepAliveListenKey: self._keepalive_listen_key,
            DeleteListenKey: self._delete_listen_key,
        }

    # -- applying commands ---------------------------------------------------------------
    def apply(self, cmd: Command) -> tuple[Result, list[Event]]:
        """Apply one command; returns its result and the events it produced, in order."""
        events: list[Any] = []
        self.ledger.events = events
        kind = type(cmd)
        result: Result
        if kind is _PLACE_ORDER:
            result = self.place(cast(PlaceOrder, cmd))
        elif kind is _CANCEL_ORDER:
            result = self.cancel(cast(CancelOrder, cmd))
        else:
            result = self._handlers[kind](cmd)
        if type(result) is not _REJECT:
            ts = cmd[0]  # every command's first field is its ts
            if ts > self.last_ts:
                self.last_ts = ts
        return result, events

    def _place_batch(self, cmd: PlaceBatch) -> tuple[OrderAck | Reject, ...] | Reject:
        if len(cmd.orders) > MAX_BATCH:
            return errors.reject(errors.BATCH_TOO_LARGE)
        out: list[OrderAck | Reject] = []
        for o in cmd.orders:
            # A clientOrderId used by an earlier order of the batch is caught by place():
            # accepted orders enter the index at once, rejected ones never do.
            if o.uid != cmd.uid:
                out.append(errors.reject(errors.PARAM_INVALID, "order of another user"))
            else:
                out.append(self.place(o))
        return tuple(out)

    def _cancel_batch(self, cmd: CancelBatch) -> tuple[int | Reject, ...] | Reject:
        if len(cmd.order_ids) > MAX_BATCH:
            return errors.reject(errors.BATCH_TOO_LARGE)
        return tuple(
            self.cancel(CancelOrder(cmd.ts, cmd.uid, cmd.symbol, oid, "")) for oid in cmd.order_ids
        )

    # -- accounts, keys and funds ----------------------------------------------------------
    def _create_account(self, cmd: CreateAccount) -> int:
        uid = self.next_uid
        self.next_uid = uid + 1
        self.accounts[uid] = Account(uid, cmd.ts)
        self.ledger.events.append(AccountCreated(cmd.ts, uid))
        return uid

    def _create_api_key(self, cmd: CreateApiKey) -> ApiKeyRecord | Reject:
        if cmd.uid not in self.accounts:
            return errors.reject(errors.ACCOUNT_NOT_FOUND)
        if not cmd.api_key or cmd.api_key in self.api_keys:
            return errors.reject(errors.PARAM_INVALID, "apiKey is empty or already exists")
        if not cmd.passphrase:
            return errors.reject(errors.PARAM_EMPTY, "passphrase")
        for p in cmd.permissions:
            if p not in PERMISSIONS:
                return errors.reject(errors.PARAM_INVALID, f"unknown permission {p}")
        rec = ApiKeyRecord(
            cmd.api_key,
            cmd.uid,
            cmd.secret,
            cmd.passphrase,
            cmd.permissions,
            cmd.ip_whitelist,
            cmd.ts,
        )
        self.api_keys[cmd.api_key] = rec
        return rec

    def _set_frozen(self, cmd: SetUserFrozen) -> bool | Reject:
        acct = self.accounts.get(cmd.uid)
        if acct is None:
            return errors.reject(errors.ACCOUNT_NOT_FOUND)
        acct.frozen = cmd.frozen
        return cmd.frozen

    def _funds_check(self, uid: int, coin: str, amount: int) -> Account | Reject:
        acct = self.accounts.get(uid)
        if acct is None:
            return errors.reject(errors.ACCOUNT_NOT_FOUND)
        if coin not in self.markets.coins:
            return errors.reject(errors.PARAM_INVALID, f"unknown coin {coin}")
        if amount <= 0:
            return errors.reject(errors.PARAM_INVALID, "amount must be positive")
        if amount > 10**30:
            return errors.reject(errors.PARAM_INVALID, "amount is too large")
        return acct

    def _deposit(self, cmd: Deposit) -> BalanceUpdate | Reject:
        acct = self._funds_check(cmd.uid, cmd.coin, cmd.amount)
        if isinstance(acct, Reject):
            return acct
        self.ledger.add_inflow(cmd.coin, cmd.amount)
        return self.ledger.move(
            acct, cmd.coin, cmd.amount, 0, cmd.ts, "DEPOSIT", "deposit", "deposit"
        )

    def _withdraw(self, cmd: Withdraw) -> BalanceUpdate | Reject:
        acct = self._funds_check(cmd.uid, cmd.coin, cmd.amount)
        if isinstance(acct, Reject):
            return acct
        bal = acct.balances.get(cmd.coin)
        if bal is None or bal.available < cmd.amount:
            return errors.reject(errors.INSUFFICIENT_BALANCE)
        self.ledger.add_outflow(cmd.coin, cmd.amount)
        return self.ledger.move(
            acct, cmd.coin, -cmd.amount, 0, cmd.ts, "WITHDRAW", "withdraw", "withdraw"
        )

    def _transfer(self, cmd: Transfer) -> TransferRecord | Reject:
        acct = self._funds_check(cmd.uid, cmd.coin, cmd.amount)
        if isinstance(acct, Reject):
            return acct
        src, dst = cmd.from_type.upper(), cmd.to_type.upper()
        if src not in ACCOUNT_TYPES or dst not in ACCOUNT_TYPES or src == dst:
            return errors.reject(errors.PARAM_INVALID, "fromType/toType")
        if "SPOT" not in (src, dst):
            return errors.reject(errors.PARAM_INVALID, "one side of a transfer must be SPOT")
        if src == "SPOT":
            bal = acct.balances.get(cmd.coin)
            if bal is None or bal.available < cmd.amount:
                return errors.reject(errors.INSUFFICIENT_BALANCE)
            self.ledger.add_outflow(cmd.coin, cmd.amount)
            self.ledger.move(
                acct, cmd.coin, -cmd.amount, 0, cmd.ts, "TRANSFER_OUT", "transfer", "transfer-out"
            )
        else:
            self.ledger.add_inflow(cmd.coin, cmd.amount)
            self.ledger.move(
                acct, cmd.coin, cmd.amount, 0, cmd.ts, "TRANSFER_IN", "transfer", "transfer-in"
            )
        tid = self.next_transfer_id
        self.next_transfer_id = tid + 1
        rec = TransferRecord(cmd.ts, tid, cmd.uid, cmd.coin, cmd.amount, src, dst)
        self.ledger.events.append(rec)
        return rec

    # -- listen keys ---------------------------------------------------------------------
    def live_listen_keys(self, uid: int, now: int) -> list[str]:
        return [k for k, (u, exp) in self.listen_keys.items() if u == uid and exp > now]

    def _create_listen_key(self, cmd: CreateListenKey) -> str | Reject:
        if cmd.uid not in self.accounts:
            return errors.reject(errors.ACCOUNT_NOT_FOUND)
        if len(self.live_listen_keys(cmd.uid, cmd.ts)) >= MAX_LISTEN_KEYS:
            return errors.reject(errors.LISTEN_KEY_LIMIT)
        taken = self.listen_keys.get(cmd.key)
        if not cmd.key or (taken is not None and taken[1] > cmd.ts):
            return errors.reject(errors.PARAM_INVALID, "listen key already exists")
        # Accepted: drop this user's expired keys (and an expired key of the same name).
        for k in [k for k, (u, exp) in self.listen_keys.items() if u == cmd.uid and exp <= cmd.ts]:
            del self.listen_keys[k]
        self.listen_keys.pop(cmd.key, None)
        self.listen_keys[cmd.key] = (cmd.uid, cmd.ts + LISTEN_KEY_TTL_MS)
        return cmd.key

    def _keepalive_listen_key(self, cmd: KeepAliveListenKey) -> str | Reject:
        entry = self.listen_keys.get(cmd.key)
        if entry is None or entry[0] != cmd.uid or entry[1] <= cmd.ts:
            return errors.reject(errors.LISTEN_KEY_NOT_FOUND)
        self.listen_keys[cmd.key] = (cmd.uid, cmd.ts + LISTEN_KEY_TTL_MS)
        return cmd.key

    def _delete_listen_key(self, cmd: DeleteListenKey) -> str | Reject:
        entry = self.listen_keys.get(cmd.key)
        if entry is None or entry[0] != cmd.uid or entry[1] <= cmd.ts:
            return errors.reject(errors.LISTEN_KEY_NOT_FOUND)
        del self.listen_keys[cmd.key]
        self.ledger.events.append(ListenKeyClosed(cmd.ts, cmd.uid, cmd.key))
        return cmd.key

    # -- checking and hashing -----------------------------------------------------------
    def check_invariants(self) -> None:
        """Assert every invariant of books, orders and money. Raises AssertionError."""
        state_io.check_invariants(self)

    def export_state(self) -> dict[str, Any]:
        """The whole state as plain data (lists, ints, strings), for snapshots."""
        return state_io.export_state(self)

    def state_hash(self) -> str:
        """A digest of the whole state; equal states give equal hashes."""
        return hashlib.sha256(repr(self.export_state()).encode()).hexdigest()

    @classmethod
    def from_state(cls, markets: Markets, data: dict[str, Any]) -> Exchange:
        """Rebuild an exchange from :meth:`export_state` data."""
        ex = cls(markets)
        state_io.import_state(ex, data)
        return ex
