"""Free TCP ports for servers the tests start.

A port the kernel hands out for ``bind(("127.0.0.1", 0))`` comes from the
ephemeral range, the same range outgoing connections take their local port
from. Between picking such a port and the server binding it, a client socket
(a PostgreSQL connection of another server, say) can take it: "address already
in use". Ports are therefore chosen below the ephemeral range, never twice in
one test process, and checked free before they are handed out.
"""

from __future__ import annotations

import os
import random
import socket
from pathlib import Path

_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 20000
_given: set[int] = set()


def _ephemeral_start() -> int:
    try:
        return int(_RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port no socket holds now, outside the ephemeral range, new to this process."""
    high = _ephemeral_start()
    low = min(_LOWEST, high - 2000)
    chooser = random.Random(os.getpid() ^ random.getrandbits(32))
    for _ in range(500):
        port = chooser.randrange(low, high)
        if port not in _given and _bindable(port):
            _given.add(port)
            return port
    with socket.socket() as s:  # the range below is crowded: let the kernel choose
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
