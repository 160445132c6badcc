"""Loopback ports for the servers the tests start, and for hosts that must be unreachable."""

import socket


def free_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then closed): for a server to take, or, as a target, a host
    that refuses the connection."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
