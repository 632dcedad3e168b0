"""Running the exchange: runtime + HTTP/WebSocket app on uvicorn, with graceful shutdown.

Background tasks (the journal flusher, the WebSocket hub, market makers) live in one
``asyncio.TaskGroup``. On SIGINT/SIGTERM uvicorn stops accepting and finishes in-flight
requests, then the runtime drains its queue, writes a final snapshot and closes its files.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from openweex.api import slowclients
from openweex.api.app import Api, Settings, build_app
from openweex.api.ws.fastpath import server_options as ws_server_options
from openweex.cpulatency import DEVICE as CPU_LATENCY_DEVICE
from openweex.cpulatency import CpuLatencyRequest
from openweex.datadir import TOKEN_FILE
from openweex.domain.markets import Markets
from openweex.gcsettings import tune_gc
from openweex.recovery import RecoveryError
from openweex.runtime import READ_MODELS_FILE, Runtime
from openweex.storage import readmodels
from openweex.storage.journal import JournalError

log = logging.getLogger(__name__)
ENV_TOKEN = "OPENWEEX_ADMIN_TOKEN"

Starter = Callable[[Api, asyncio.TaskGroup], Awaitable[None]]


@dataclass
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("openweex-data")
    admin_token: str | None = None
    rate_limits: bool = True
    access_log: bool = True
    # Seconds a request's header may take to arrive, and its body after it (api.slowclients).
    header_timeout: float = slowclients.HEADER_TIMEOUT
    body_timeout: float = slowclients.BODY_TIMEOUT
    # Extra startup hooks (demo mode, market makers), run once the app is ready.
    starters: list[Starter] = field(default_factory=list)
    runtime_options: dict[str, Any] = field(default_factory=dict)
    # Called with the data directory once the runtime opened it (recovered its state).
    on_open: Callable[[Path], None] | None = None
    # Hold the CPUs' idle states to this wake-up latency while serving (None: leave them).
    cpu_wake_latency_us: int | None = None
    cpu_latency_device: Path = CPU_LATENCY_DEVICE


class StartError(Exception):
    """A reason not to start, told to the operator as it is (exit code 2)."""


def checked_token(token: str, source: str) -> str:
    """``token`` (from ``source``, for the message) if it can travel as it is in the
    ``X-Admin-Token`` header: not empty, printable ASCII, no space at either end (HTTP
    drops those, and clients refuse other characters). Raises :class:`StartError`."""
    if not token:
        raise StartError(f"the admin token ({source}) is empty")
    if token.strip() != token:
        raise StartError(
            f"the admin token ({source}) starts or ends with whitespace, which HTTP drops"
        )
    if not (token.isascii() and token.isprintable()):
        raise StartError(
            f"the admin token ({source}) has characters that HTTP clients cannot send in a"
            " header: use printable ASCII only (letters, digits, punctuation, spaces inside)"
        )
    return token


def given_token(given: str | None) -> str | None:
    """The admin token given as an option (``given``), else by the environment, checked
    (:func:`checked_token`); None when neither gives one (an empty value gives none, as the
    admin CLI reads it too)."""
    if given:
        return checked_token(given, "--admin-token")
    env = os.environ.get(ENV_TOKEN)
    if env:
        return checked_token(env, ENV_TOKEN)
    return None


def stored_token(path: Path) -> str | None:
    """The text of admin-token file ``path`` without its surrounding whitespace (not
    checked); None when there is no such file. :class:`StartError` when it cannot be read."""
    try:
        return path.read_bytes().decode().strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reason = (exc.strerror or exc) if isinstance(exc, OSError) else "it is not text"
        raise StartError(f"cannot read the admin token in {path}: {reason}") from exc


def admin_token(data_dir: Path, given: str | None) -> tuple[str, Path | None]:
    """The admin token: given, from the environment, or stored (mode 0600) in the data dir,
    with the path of the file it was read from or written to. A token that cannot be used
    (:func:`checked_token`) or a file that cannot be read or written raises
    :class:`StartError`; a file holding nothing but whitespace gets a new token."""
    token = given_token(given)
    if token is not None:
        return token, None
    path = data_dir / TOKEN_FILE
    stored = stored_token(path)
    try:
        if stored is not None:
            if stored:
                return checked_token(stored, str(path)), path
            path.unlink()  # an empty token would lock the admin API out: make a new one
        token = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(token + "\n")
    except OSError as exc:
        raise StartError(f"cannot write the admin token to {path}: {exc.strerror or exc}") from exc
    return token, path


def open_data_dir(data_dir: Path) -> None:
    """Make ``data_dir`` (and its parents) unless it exists; :class:`StartError` when it
    cannot be made or is not a directory one can write in."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = "it is not a directory" if isinstance(exc, FileExistsError) else exc.strerror
        reason = reason or str(exc)
        raise StartError(f"cannot use {data_dir} as the data directory: {reason}") from exc
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise StartError(f"cannot use {data_dir} as the data directory: it is not writable")


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP (not 0) so that asyncio sets TCP_NODELAY on accepted sockets: without it
    # Nagle delays the second write of every response (HTTP body, WebSocket frame) ~40 ms.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def build(runtime: Runtime, opts: ServeOptions, token: str) -> tuple[Api, Any]:
    from openweex.api.ws.hub import Hub, ws_route

    settings = Settings(admin_token=token, rate_limits=opts.rate_limits, access_log=opts.access_log)
    api = Api(runtime, settings)
    hub = Hub(api)
    api.hub = hub
    runtime.subscribe(hub.on_command)
    runtime.subscribe_batch(hub.on_batch)
    app = build_app(runtime, settings, extra_routes=[ws_route(hub)], api=api)
    return api, app


class _Server(uvicorn.Server):
    """uvicorn's server, telling the API the moment a shutdown signal arrives.

    From then on every request answers 40200 while uvicorn drains what is in flight; the
    WebSocket connections get their notice and close frame before uvicorn closes them.
    """

    def __init__(self, config: uvicorn.Config, api: Api) -> None:
        super().__init__(config)
        self._api = api

    def handle_exit(self, sig: int, frame: Any) -> None:
        self._api.begin_shutdown()
        super().handle_exit(sig, frame)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # WebSocket clients are told first (notice 17, close 1001); uvicorn would close
        # their connections itself, with 1012 and no word.
        hub = self._api.hub
        await hub.close(wait_s=hub.config.close_timeout_s + 0.5)
        await super().shutdown(sockets)


async def _flusher(runtime: Runtime, server: uvicorn.Server) -> None:
    await runtime.run()
    if runtime.fatal is not None:
        server.should_exit = True  # never carry on after a failed fsync


async def serve(markets: Markets, opts: ServeOptions, out: Any = sys.stdout) -> int:
    """Run until SIGINT/SIGTERM; returns the process exit code."""
    if opts.cpu_wake_latency_us is None:
        return await _serve(markets, opts, out)
    try:
        request = CpuLatencyRequest(opts.cpu_wake_latency_us, opts.cpu_latency_device)
    except (OSError, ValueError) as exc:
        hint = " (writing to it usually needs root)" if isinstance(exc, PermissionError) else ""
        print(
            f"openweex: cannot limit the CPUs' wake-up latency: {exc}{hint}",
            file=sys.stderr,
            flush=True,
        )
        return 2
    with request:
        print(
            f"CPU wake-up latency held at {request.microseconds} us or less "
            f"({request.device}) while serving",
            file=out,
            flush=True,
        )
        return await _serve(markets, opts, out)


def _open(markets: Markets, opts: ServeOptions) -> tuple[Runtime, str, Path | None]:
    """The runtime on the data directory, the admin token and the file it is stored in;
    :class:`StartError` when the directory cannot be used or its state recovered."""
    open_data_dir(opts.data_dir)
    token, token_path = admin_token(opts.data_dir, opts.admin_token)
    try:
        runtime = Runtime.open(opts.data_dir, markets, **opts.runtime_options)
    except (JournalError, RecoveryError) as exc:
        raise StartError(f"cannot start: {exc}") from exc
    except OSError as exc:  # a file of the data directory
        where = exc.filename or opts.data_dir
        raise StartError(f"cannot start: {where}: {exc.strerror or exc}") from exc
    except sqlite3.DatabaseError as exc:  # the read models' file: damaged, or not ours
        models = opts.data_dir / READ_MODELS_FILE
        raise StartError(f"cannot start: the {readmodels.unreadable(models, exc)}") from exc
    return runtime, token, token_path


async def _serve(markets: Markets, opts: ServeOptions, out: Any) -> int:
    try:
        sock = bind(opts.host, opts.port)
    except OSError as exc:
        print(
            f"openweex: cannot listen on {opts.host}:{opts.port}: {exc.strerror}",
            file=sys.stderr,
            flush=True,
        )
        return 2
    try:
        runtime, token, token_path = _open(markets, opts)
    except StartError as exc:
        sock.close()
        print(f"openweex: {exc}", file=sys.stderr, flush=True)
        return 2
    if opts.on_open is not None:
        try:
            opts.on_open(opts.data_dir)
        except OSError as exc:
            log.warning("could not write to %s: %s", opts.data_dir, exc)
    tune_gc()
    api, app = build(runtime, opts, token)
    host, port = sock.getsockname()[:2]
    limits = slowclients.Limits(header_timeout=opts.header_timeout, body_timeout=opts.body_timeout)
    config = uvicorn.Config(
        app,
        # httptools' protocol, named rather than left to "auto", under the limits above
        http=slowclients.protocol_class(limits),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=10,
        ws_max_size=1 << 20,
        # The client address is the socket's: X-Forwarded-For from a local client must not
        # pass an API key's IP whitelist (uvicorn trusts it from 127.0.0.1 by default).
        proxy_headers=False,
        **ws_server_options(),  # frames written straight to the transports (fast fan-out)
    )
    server = _Server(config, api)
    # Our own signal handlers: uvicorn's re-raise the signal once serve() returns, which
    # would kill the process before the runtime drains and writes its final snapshot.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, server.handle_exit, sig, None)
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(_flusher(runtime, server), name="journal-flusher")
            tg.create_task(api.hub.run(), name="ws-hub")
            shown = f"[{host}]" if ":" in host else host
            if token_path is not None:
                print(f"admin token stored in {token_path}", file=out, flush=True)
            for start in opts.starters:
                await start(api, tg)
            rec = runtime.recovery
            if rec is not None:
                print(
                    f"recovered seq {rec.last_seq} (snapshot {rec.snapshot_seq} + "
                    f"{rec.replayed} journal records)",
                    file=out,
                    flush=True,
                )
            print(f"openweex serving on http://{shown}:{port}", file=out, flush=True)
            await server.serve(sockets=[sock])
            await api.hub.close()
            await runtime.close()
    finally:
        limits.close()
        sock.close()
    await runtime.finish()
    if runtime.fatal is not None:
        log.critical("stopped after a failure of its storage: %s", runtime.fatal)
        return 3
    return 0
