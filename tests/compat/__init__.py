"""Third-party exchange clients driven against the real server, with only the base URL changed."""
