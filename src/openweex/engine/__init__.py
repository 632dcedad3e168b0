"""The deterministic exchange core: order books, ledger, market data. No I/O, no clock."""
