"""Accounts and balances: available, frozen and locked amounts per user and coin.

Every change of a balance produces a :class:`BalanceUpdate` event, except the legs of a fill,
which the trading code settles itself and reports as one
:class:`~openweex.domain.events.Settlement` per fill (standing for the same events). Changes
that move money (deposits, withdrawals, transfers, trade legs and fees) also carry a bill: a
bill id from the ledger's counter, the group and business type, the signed quantity and the
total balance before the change. Freezing and releasing only move money between available
and frozen, so they carry no bill.

Invariants: no amount is ever negative; for every coin, the sum of all users' balances plus
the fees collected equals what came in minus what went out (deposits and transfers in, less
withdrawals and transfers out).
"""

from __future__ import annotations

from typing import Final

from openweex.domain.events import BalanceUpdate
from openweex.engine.tuples import make

# Events are built with tuples.make. Module-level finals compile to direct references, not
# lookups in the module's namespace.
_make: Final = make
_BALANCE_UPDATE: Final = BalanceUpdate


class Balance:
    """One user's amounts of one coin, and when they last changed (ms; 0: never)."""

    __slots__ = ("available", "frozen", "locked", "utime")

    def __init__(
        self, available: int = 0, frozen: int = 0, locked: int = 0, utime: int = 0
    ) -> None:
        self.available = available
        self.frozen = frozen
        self.locked = locked
        self.utime = utime


class ApiKeyRecord:
    __slots__ = ("api_key", "ctime", "ip_whitelist", "passphrase", "permissions", "secret", "uid")

    def __init__(
        self,
        api_key: str,
        uid: int,
        secret: str,
        passphrase: str,
        permissions: tuple[str, ...],
        ip_whitelist: tuple[str, ...],
        ctime: int,
    ) -> None:
        self.api_key = api_key
        self.uid = uid
        self.secret = secret
        self.passphrase = passphrase
        self.permissions = permissions
        self.ip_whitelist = ip_whitelist
        self.ctime = ctime


class Account:
    __slots__ = ("balances", "ctime", "frozen", "uid")

    def __init__(self, uid: int, ctime: int) -> None:
        self.uid = uid
        self.ctime = ctime
        self.frozen = False
        self.balances: dict[str, Balance] = {}

    def balance(self, coin: str) -> Balance:
        b = self.balances.get(coin)
        if b is None:
            b = self.balances[coin] = Balance()
        return b


class Ledger:
    """Balance movements; appends the events it makes to ``events``."""

    __slots__ = ("events", "fees", "inflow", "next_bill_id", "outflow")

    def __init__(self) -> None:
        self.events: list[object] = []
        self.next_bill_id = 1
        self.fees: dict[str, int] = {}
        self.inflow: dict[str, int] = {}
        self.outflow: dict[str, int] = {}

    def freeze(self, acct: Account, coin: str, amount: int, ts: int, reason: str) -> None:
        b = acct.balances.get(coin)
        if b is None:
            b = acct.balance(coin)
        self.freeze_balance(acct.uid, b, coin, amount, ts, ts, reason)

    def release(self, acct: Account, coin: str, amount: int, ts: int, reason: str) -> None:
        self.freeze(acct, coin, -amount, ts, reason)

    def freeze_balance(
        self, uid: object, b: Balance, coin: str, amount: int, ts: int, tsb: object, reason: str
    ) -> None:
        """Move ``amount`` of ``b`` (``uid``'s ``coin``) from available to frozen (negative:
        back); no bill. ``uid`` and ``tsb`` (``ts``) are passed as the objects the caller's
        other events use."""
        available = b.available - amount
        frozen = b.frozen + amount
        b.available = available
        b.frozen = frozen
        b.utime = ts
        self.events.append(
            _make(
                _BALANCE_UPDATE,
                tsb,
                uid,
                coin,
                available,
                frozen,
                -amount,
                amount,
                reason,
                0,
                "",
                "",
                0,
                0,
                0,
            )
        )

    def move(
        self,
        acct: Account,
        coin: str,
        d_available: int,
        d_frozen: int,
        ts: int,
        reason: str,
        group: str,
        biz: str,
        fee: int = 0,
    ) -> BalanceUpdate:
        """Change a balance by a money movement and write its bill."""
        b = acct.balances.get(coin)
        if b is None:
            b = acct.balance(coin)
        before = b.available + b.frozen
        if b.locked:
            before += b.locked
        available = b.available + d_available
        frozen = b.frozen + d_frozen
        b.available = available
        b.frozen = frozen
        b.utime = ts
        bill_id = self.next_bill_id
        self.next_bill_id = bill_id + 1
        ev: BalanceUpdate = _make(
            _BALANCE_UPDATE,
            ts,
            acct.uid,
            coin,
            available,
            frozen,
            d_available,
            d_frozen,
            reason,
            bill_id,
            group,
            biz,
            d_available + d_frozen,
            before,
            fee,
        )
        self.events.append(ev)
        return ev

    def add_fee(self, coin: str, amount: int) -> None:
        self.fees[coin] = self.fees.get(coin, 0) + amount

    def add_inflow(self, coin: str, amount: int) -> None:
        self.inflow[coin] = self.inflow.get(coin, 0) + amount

    def add_outflow(self, coin: str, amount: int) -> None:
        self.outflow[coin] = self.outflow.get(coin, 0) + amount
