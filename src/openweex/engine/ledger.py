"""Accounts and balances: available, frozen and locked amounts per user and coin.

Every change of a balance produces a :class:`BalanceUpdate` event. Changes that move money
(deposits, withdrawals, transfers, trade legs and fees) also carry a bill: a bill id from the
ledger's counter, the group and business type, the signed quantity and the total balance
before the change. Freezing and releasing only move money between available and frozen, so
they carry no bill.

Invariants: no amount is ever negative; for every coin, the sum of all users' balances plus
the fees collected equals what came in minus what went out (deposits and transfers in, less
withdrawals and transfers out).
"""

from __future__ import annotations

from openweex.domain.events import BalanceUpdate

# Building the NamedTuple through tuple.__new__ skips its Python-level __new__: the ledger
# makes several events per fill, so this matters for throughput.
_new = tuple.__new__


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
        b = acct.balances.get(coin) or acct.balance(coin)
        b.available -= amount
        b.frozen += amount
        b.utime = ts
        self.events.append(
            _new(
                BalanceUpdate,
                (
                    ts,
                    acct.uid,
                    coin,
                    b.available,
                    b.frozen,
                    -amount,
                    amount,
                    reason,
                    0,
                    "",
                    "",
                    0,
                    0,
                    0,
                ),
            )
        )

    def release(self, acct: Account, coin: str, amount: int, ts: int, reason: str) -> None:
        self.freeze(acct, coin, -amount, ts, reason)

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
        b = acct.balances.get(coin) or acct.balance(coin)
        before = b.available + b.frozen + b.locked
        b.available += d_available
        b.frozen += d_frozen
        b.utime = ts
        bill_id = self.next_bill_id
        self.next_bill_id = bill_id + 1
        ev: BalanceUpdate = _new(
            BalanceUpdate,
            (
                ts,
                acct.uid,
                coin,
                b.available,
                b.frozen,
                d_available,
                d_frozen,
                reason,
                bill_id,
                group,
                biz,
                d_available + d_frozen,
                before,
                fee,
            ),
        )
        self.events.append(ev)
        return ev

    def add_fee(self, coin: str, amount: int) -> None:
        self.fees[coin] = self.fees.get(coin, 0) + amount

    def add_inflow(self, coin: str, amount: int) -> None:
        self.inflow[coin] = self.inflow.get(coin, 0) + amount

    def add_outflow(self, coin: str, amount: int) -> None:
        self.outflow[coin] = self.outflow.get(coin, 0) + amount
