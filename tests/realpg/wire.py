"""A minimal PostgreSQL wire-protocol client (v3, no TLS, SCRAM-SHA-256) for the tests.

libpq (and so psycopg) reports a refused connection as text only, without its SQLSTATE;
this client reads the server's ErrorResponse fields themselves (``C`` the SQLSTATE, ``V``
the severity, ``M`` the message), as a Go driver does, and timestamps each phase of the
handshake: TCP connected, startup packet sent, first reply, done.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import socket
import ssl
import struct
import time
from dataclasses import dataclass, field


class ServerRefused(Exception):  # noqa: N818 - it is the server's answer, not a bug
    """An ErrorResponse during the handshake."""

    def __init__(self, fields: dict[str, str], timings: dict[str, float]):
        super().__init__(f"{fields.get('V', fields.get('S'))}: {fields.get('M')} (SQLSTATE {fields.get('C')})")
        self.sqlstate = fields.get("C")
        self.severity = fields.get("V", fields.get("S"))
        self.message = fields.get("M")
        self.timings = timings
        self.after_auth = "sasl_final" in timings


@dataclass
class Session:
    """An open connection; ``timings`` in seconds from the start of the dial."""

    sock: socket.socket
    timings: dict[str, float] = field(default_factory=dict)

    def close(self) -> None:
        try:
            self.sock.sendall(b"X\x00\x00\x00\x04")  # Terminate
        except OSError:
            pass
        self.sock.close()


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("server closed the connection")
        data += chunk
    return data


def _read_message(sock: socket.socket) -> tuple[bytes, bytes]:
    header = _recv_exact(sock, 5)
    kind, length = header[:1], struct.unpack("!I", header[1:])[0]
    return kind, _recv_exact(sock, length - 4)


def _fields(body: bytes) -> dict[str, str]:
    out = {}
    for part in body.split(b"\x00"):
        if part:
            out[chr(part[0])] = part[1:].decode("utf-8", "replace")
    return out


def _message(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!I", len(body) + 4) + body


def _scram_proof(password: str, client_first_bare: str, server_first: str, client_final_bare: str) -> bytes:
    attrs = dict(item.split("=", 1) for item in server_first.split(","))
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    auth_message = ",".join((client_first_bare, server_first, client_final_bare)).encode()
    signature = hmac.digest(stored_key, auth_message, "sha256")
    return bytes(a ^ b for a, b in zip(client_key, signature, strict=True))


def _tls_context() -> ssl.SSLContext:
    """One client context for all dials (building one loads the CA store: ~20 ms), that
    accepts the test server's self-signed certificate."""
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        _CONTEXT.check_hostname = False
        _CONTEXT.verify_mode = ssl.CERT_NONE
    return _CONTEXT


_CONTEXT: ssl.SSLContext | None = None


def connect(host: str, port: int, user: str, password: str, database: str = "postgres",
            timeout: float = 10.0, tls: bool = False) -> Session:
    """Dial and authenticate (after an SSLRequest and a TLS handshake if ``tls``); raise
    :class:`ServerRefused` on an ErrorResponse."""
    start = time.perf_counter()
    timings: dict[str, float] = {}

    def mark(name: str) -> None:
        timings[name] = time.perf_counter() - start

    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        mark("tcp")
        if tls:
            sock.sendall(struct.pack("!II", 8, 80877103))  # SSLRequest
            if _recv_exact(sock, 1) != b"S":
                raise RuntimeError("the server refused TLS")
            sock = _tls_context().wrap_socket(sock)
            mark("tls")
        params = b"".join(k.encode() + b"\x00" + v.encode() + b"\x00"
                          for k, v in (("user", user), ("database", database))) + b"\x00"
        body = struct.pack("!I", 196608) + params
        sock.sendall(struct.pack("!I", len(body) + 4) + body)
        mark("startup_sent")
        nonce = base64.b64encode(os.urandom(18)).decode()
        client_first_bare = f"n=,r={nonce}"
        while True:
            kind, body = _read_message(sock)
            timings.setdefault("first_reply", time.perf_counter() - start)
            if kind == b"E":
                mark("error")
                raise ServerRefused(_fields(body), timings)
            if kind == b"R":
                code = struct.unpack("!I", body[:4])[0]
                if code == 10:  # AuthenticationSASL
                    first = ("n,," + client_first_bare).encode()
                    sock.sendall(_message(b"p", b"SCRAM-SHA-256\x00" + struct.pack("!I", len(first)) + first))
                elif code == 11:  # AuthenticationSASLContinue
                    server_first = body[4:].decode()
                    rnonce = dict(i.split("=", 1) for i in server_first.split(","))["r"]
                    final_bare = f"c=biws,r={rnonce}"
                    proof = _scram_proof(password, client_first_bare, server_first, final_bare)
                    sock.sendall(_message(b"p", f"{final_bare},p={base64.b64encode(proof).decode()}".encode()))
                elif code == 12:  # AuthenticationSASLFinal
                    mark("sasl_final")
                elif code != 0:
                    raise RuntimeError(f"unsupported authentication request {code}")
            elif kind == b"Z":  # ReadyForQuery
                mark("ready")
                return Session(sock, timings)
    except BaseException:
        sock.close()
        raise
