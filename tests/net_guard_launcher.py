"""Run ``streamlit`` with outbound network calls blocked and logged: ``python net_guard_launcher.py LOG run app.py``.

Every ``socket.connect`` / ``connect_ex`` / ``sendto`` / ``getaddrinfo`` / ``gethostbyname`` to anything that is not
loopback (IPv4/IPv6 sockets; Unix sockets are local) is refused and appended to LOG (one line each), so a test can assert that the server process itself
(not only the scripts it runs) never reaches out. Used by ``tests/test_browser_hostile.py``.
"""

from __future__ import annotations

import ipaddress
import socket
import sys

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _is_local(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return True  # AF_UNIX paths and the like
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified


def install(log_path: str) -> None:
    """Patch the socket module so non-loopback traffic raises ``OSError`` and is logged to ``log_path``."""

    def record(what: str, target: object) -> None:
        with open(log_path, "a", encoding="utf-8") as fh:
            fh.write(f"{what} {target!r}\n")

    def host_of(address: object) -> object:
        return address[0] if isinstance(address, tuple) and address else address

    real_connect, real_connect_ex, real_sendto = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto
    real_getaddrinfo, real_gethostbyname = socket.getaddrinfo, socket.gethostbyname

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(host_of(address)):
            record("connect", address)
            raise OSError(f"network blocked by the test: connect {address!r}")
        return real_connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(host_of(address)):
            record("connect_ex", address)
            return 111
        return real_connect_ex(self, address)

    def sendto(self, data, *args):
        address = args[-1]
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(host_of(address)):
            record("sendto", address)
            raise OSError(f"network blocked by the test: sendto {address!r}")
        return real_sendto(self, data, *args)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_local(host):
            record("getaddrinfo", host)
            raise socket.gaierror(f"network blocked by the test: getaddrinfo {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def gethostbyname(host):
        if not _is_local(host):
            record("gethostbyname", host)
            raise socket.gaierror(f"network blocked by the test: gethostbyname {host!r}")
        return real_gethostbyname(host)

    socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto = connect, connect_ex, sendto
    socket.getaddrinfo, socket.gethostbyname = getaddrinfo, gethostbyname


if __name__ == "__main__":
    install(sys.argv[1])
    from streamlit.web.cli import main

    sys.argv = ["streamlit", *sys.argv[2:]]
    sys.exit(main())
