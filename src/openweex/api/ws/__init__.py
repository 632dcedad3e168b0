"""WebSocket streams on ``/ws``: private (listen key) and public market channels."""
