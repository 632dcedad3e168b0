"""Everything WEEX-wire-specific: the ASGI app, auth, rate limits, wire mapping, errors."""
