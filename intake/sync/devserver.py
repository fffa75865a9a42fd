"""A throwaway PostgreSQL server for the test suite and the benchmark: initdb into a temporary
directory, listen on a free port on 127.0.0.1 only, trust authentication, stopped and deleted
at the end. Never used in production (the real centre is an administered server).

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` account that
Debian's package creates, and its data directory belongs to that account.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

SERVER_USER = "postgres"
SUPERUSER = "intake"


class ServerMissing(RuntimeError):
    """The PostgreSQL server binaries are not installed (apt-get install postgresql)."""


def find_bindir() -> Path:
    """INTAKE_PG_BINDIR, else the directory of `pg_ctl` on PATH, else Debian's layout
    (/usr/lib/postgresql/<major>/bin, newest major first)."""
    candidates: list[str] = []
    if os.environ.get("INTAKE_PG_BINDIR"):
        candidates.append(os.environ["INTAKE_PG_BINDIR"])
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).resolve().parent))  # through symlinks to the real bindir
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_major, reverse=True)
    candidates.extend(debian)
    for cand in candidates:
        if (Path(cand) / "initdb").is_file() and (Path(cand) / "pg_ctl").is_file():
            return Path(cand)
    raise ServerMissing("PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's `postgresql` "
                        "package (bash .ci/postgres.sh) or set INTAKE_PG_BINDIR")


def _major(path: str) -> int:
    part = Path(path).parent.name
    return int(part) if part.isdigit() else 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class DevServer:
    bindir: Path
    root: Path
    port: int = field(default_factory=free_port)
    log_lines: int = 40

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", SERVER_USER, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()}\n{self.log_tail()}")
        return done

    def log_tail(self) -> str:
        log = self.root / "server.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-self.log_lines:]) if log.exists() else ""

    def init(self) -> None:
        # Data checksums on, fsync and synchronous_commit left at their safe defaults: the
        # settings the centre runs with (reliability reference P3).
        self._run("initdb", "-D", str(self.datadir), "-U", SUPERUSER, "-A", "trust", "--data-checksums",
                  "-E", "UTF8", "--locale=C.UTF-8")

    def start(self) -> None:
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c max_connections=60"
        self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.root / "server.log"), "-o", opts, "-w",
                  "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def create_database(self, name: str) -> str:
        import psycopg  # the driver the sync uses; imported here so finding binaries needs no driver

        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def start_dev_server() -> DevServer:
    """initdb + start; the caller must call `destroy` (also on failure paths)."""
    bindir = find_bindir()
    root = Path(tempfile.mkdtemp(prefix="intake-pg-"))
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_USER)
        os.chown(root, account.pw_uid, account.pw_gid)
    os.chmod(root, 0o700)
    server = DevServer(bindir, root)
    try:
        server.init()
        server.start()
    except BaseException:
        destroy(server)
        raise
    return server


def destroy(server: DevServer) -> None:
    server.stop("immediate")
    shutil.rmtree(server.root, ignore_errors=True)
