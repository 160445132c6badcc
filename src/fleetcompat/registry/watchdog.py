"""HTTP sessions whose sockets are shut down when a request attempt's deadline passes.

Why a watchdog rather than timeouts alone: a socket timeout bounds one read, not an answer. A server that sends a
header byte every second resets it forever, and http.client reads the status line and headers line by line with
no hook where the clock could be checked (requests returns only once they are all in). The same holds for a TLS
handshake, a request body the server reads slowly, and body chunks. So each attempt runs under a `Watchdog`: a
timer for the time left, plus connection classes that register every socket the attempt uses (a new one as
soon as it is connected, a pooled one when a request is sent on it). When the timer fires it shuts those
sockets down (`shutdown(SHUT_RDWR)` on the descriptor, TLS included), so whatever blocked call the requesting
thread is in returns at once, in any phase of the exchange. The caller then reports the deadline, not the
connection error that the shutdown caused (`Watchdog.fired`).
"""

from __future__ import annotations

import contextlib
import socket
import threading

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

_armed = threading.local()  # .watchdog: the Watchdog of the attempt running on this thread, if any


class Watchdog:
    """`with Watchdog(seconds):` — sockets used by this thread's requests inside the block are shut down when
    `seconds` have passed; `fired` says whether that happened."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._finished = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        _armed.watchdog = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        with self._lock:
            # A timer firing after this point must not shut down sockets that went back to the pool.
            self._finished = True
            self._sockets.clear()
        _armed.watchdog = None

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self.fired:
                _shut_down(sock)
            elif not self._finished:
                self._sockets.append(sock)

    def _fire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.fired = True
            for sock in self._sockets:
                _shut_down(sock)


def _shut_down(sock: socket.socket) -> None:
    # The plain socket method even on an SSLSocket: it acts on the descriptor and leaves the TLS object alone,
    # which the requesting thread may be inside of.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watch(sock: socket.socket) -> None:
    watchdog = getattr(_armed, "watchdog", None)
    if watchdog is not None:
        watchdog.watch(sock)


class _Watched:
    """Mixed into urllib3's connection classes: register the socket with the running attempt's watchdog."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        _watch(sock)
        return sock

    def request(self, *args, **kwargs) -> None:
        if self.sock is not None:  # type: ignore[attr-defined]  # a pooled connection, reused by this attempt
            _watch(self.sock)  # type: ignore[attr-defined]
        super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def _use_watched_pools(manager: PoolManager) -> PoolManager:
    manager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
    return manager


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        _use_watched_pools(self.poolmanager)

    def proxy_manager_for(self, proxy, **proxy_kwargs) -> PoolManager:  # an HTTP(S)_PROXY from the environment
        return _use_watched_pools(super().proxy_manager_for(proxy, **proxy_kwargs))


def watched_session() -> requests.Session:
    """A requests.Session whose connections obey the `Watchdog` of the attempt using them."""
    session = requests.Session()
    adapter = _WatchedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
