"""Pure domain values: markets and scales, orders, commands, events, error codes.

Nothing here performs I/O or reads a clock.
"""
