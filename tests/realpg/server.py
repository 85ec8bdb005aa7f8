"""A throw-away PostgreSQL server for the real-server tests and measurements.

``PgServer`` runs ``initdb`` in a fresh temporary folder, starts ``postgres`` on a free
loopback port with a small ``max_connections`` and SCRAM password authentication, creates
an ordinary role and knows the superuser's password, and stops the server and removes the
folder afterwards (also when a test failed: use it as a context manager).

PostgreSQL refuses to run as root. When the tests run as root (CI does), the server runs as
the unprivileged OS user ``nobody`` (present on every Debian/Ubuntu machine; set
``SIMPOOL_PG_USER`` to use another): the data folder is created owned by it, and
``subprocess`` switches user before running ``initdb`` and ``postgres`` (``user=``/
``group=``, which needs root, so nothing else is required). As an ordinary user the
server simply runs as that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BINARIES = ("initdb", "postgres")

SUPERUSER, SUPERUSER_PASSWORD = "simpool_admin", "admin-secret"
APP_ROLE, APP_PASSWORD = "simpool_app", "app-secret"


def _binary(name: str) -> str | None:
    """On PATH, or where Debian's postgresql-NN package puts it."""
    found = shutil.which(name)
    if found is None:
        candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
        found = str(candidates[0]) if candidates else None
    return found


def available() -> bool:
    """The PostgreSQL server binaries and the psycopg driver are here."""
    if not all(_binary(name) for name in BINARIES):
        return False
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as() -> dict:
    """``subprocess`` keyword arguments that drop root for PostgreSQL."""
    if os.geteuid() != 0:
        return {}
    name = os.environ.get("SIMPOOL_PG_USER", "nobody")
    try:
        user = pwd.getpwnam(name)
    except KeyError:
        raise RuntimeError(f"PostgreSQL will not run as root and there is no user {name!r}: "
                           f"create one (useradd --system {name}) or set SIMPOOL_PG_USER") from None
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


@dataclass
class PgServer:
    """One PostgreSQL server (see the module docstring)."""

    max_connections: int = 20
    superuser_reserved_connections: int = 3
    settings: dict[str, str] = field(default_factory=dict)
    tls: bool = True
    """Offer TLS (a self-signed certificate made with ``openssl``, when it is here); clients
    that do not ask for it (``sslmode=disable``, the wire client by default) still talk plain."""
    port: int = 0
    folder: Path | None = None
    process: subprocess.Popen | None = None

    def dsn(self, role: str = APP_ROLE, password: str | None = None, **extra: str) -> str:
        """A libpq URI for ``role`` (the app role by default) on this server."""
        if password is None:
            password = SUPERUSER_PASSWORD if role == SUPERUSER else APP_PASSWORD
        query = "&".join(f"{k}={v}" for k, v in {"sslmode": "disable", **extra}.items())
        return f"postgresql://{role}:{password}@127.0.0.1:{self.port}/postgres?{query}"

    def start(self) -> PgServer:
        run_as = _run_as()
        self.folder = Path(tempfile.mkdtemp(prefix="simpool-pg-"))
        data = self.folder / "data"
        pwfile = self.folder / "pwfile"
        pwfile.write_text(SUPERUSER_PASSWORD + "\n")
        if run_as:
            os.chown(self.folder, run_as["user"], run_as["group"])
            os.chown(pwfile, run_as["user"], run_as["group"])
        env = {**os.environ, "HOME": str(self.folder), "LC_ALL": "C"}
        subprocess.run([_binary("initdb"), "-D", str(data), "-U", SUPERUSER, f"--pwfile={pwfile}",
                        "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "--no-sync",
                        "--encoding=UTF8"],
                       check=True, capture_output=True, env=env, cwd=self.folder, **run_as)
        self.port = _free_port()
        tls = self.tls and shutil.which("openssl") is not None
        if tls:
            subprocess.run(["openssl", "req", "-new", "-x509", "-days", "2", "-nodes", "-subj", "/CN=localhost",
                            "-newkey", "rsa:2048", "-keyout", "server.key", "-out", "server.crt"],
                           check=True, capture_output=True, cwd=self.folder)
            for name in ("server.key", "server.crt"):
                os.chmod(self.folder / name, 0o600)
                if run_as:
                    os.chown(self.folder / name, run_as["user"], run_as["group"])
        options = {
            "listen_addresses": "127.0.0.1", "port": str(self.port),
            "unix_socket_directories": str(self.folder),
            "max_connections": str(self.max_connections),
            "superuser_reserved_connections": str(self.superuser_reserved_connections),
            "password_encryption": "scram-sha-256",
            "fsync": "off", "shared_buffers": "16MB", "logging_collector": "off",
            **({"ssl": "on", "ssl_cert_file": str(self.folder / "server.crt"),
                "ssl_key_file": str(self.folder / "server.key")} if tls else {}),
            **self.settings,
        }
        args = [_binary("postgres"), "-D", str(data)] + [a for k, v in options.items() for a in ("-c", f"{k}={v}")]
        log = open(self.folder / "server.log", "wb")  # noqa: SIM115 - owned by the process
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env,
                                        cwd=self.folder, **run_as)
        log.close()
        try:
            self._wait_ready()
            self._create_roles()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg

        end = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited: {self.log_tail()}")
            try:
                psycopg.connect(self.dsn(SUPERUSER), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)

    def _create_roles(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn(SUPERUSER), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{APP_PASSWORD}'")

    def log_tail(self, lines: int = 20) -> str:
        path = self.folder / "server.log" if self.folder else None
        if path is None or not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Fast shutdown (SIGINT), then SIGKILL if it hangs; the folder is removed."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> PgServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
