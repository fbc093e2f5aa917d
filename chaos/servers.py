"""Private PostgreSQL and Redis servers the fault suite (and reliability tests) may stop at will.

They never touch the shared servers on 5432/6379: each gets a temporary directory and a free
port, and is stopped (and its directory removed) by `close()`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN_DIRS = [Path("/usr/lib/postgresql") / v / "bin" for v in ("17", "16", "15", "14")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, *, up: bool = True, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            if up:
                return True
        except OSError:
            if not up:
                return True
        time.sleep(0.05)
    return False


def pg_bin() -> Path | None:
    """The directory holding initdb and pg_ctl, or None if PostgreSQL is not installed."""
    for directory in PG_BIN_DIRS:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class PrivatePostgres:
    def __init__(self, bin_dir: Path | None = None) -> None:
        found = bin_dir or pg_bin()
        if found is None:
            raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")
        self.bin = found
        self.root = Path(tempfile.mkdtemp(prefix="flowgate-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        subprocess.run(
            _as_postgres([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"]),
            check=True,
            capture_output=True,
            timeout=120,
        )
        conf = self.data / "postgresql.conf"
        with open(conf, "a") as f:
            # Durability stays on (fsync); these only keep a throwaway server small and quick.
            f.write("\nshared_buffers = 32MB\nmax_connections = 200\nlisten_addresses = '127.0.0.1'\n")
        self.start()

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/flowgate"

    def _ctl(self, *args: str, timeout: float = 60) -> None:
        cmd = [str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-t", str(int(timeout)), *args]
        subprocess.run(_as_postgres(cmd), check=True, capture_output=True, timeout=timeout + 10)

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.root}"
        self._ctl("-o", opts, "-l", str(self.root / "server.log"), "start")
        assert wait_port(self.port), "private PostgreSQL did not start"

    def start_if_stopped(self) -> None:
        if not wait_port(self.port, timeout=0.5):
            self.start()

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "stop")

    def create_database(self, name: str = "flowgate") -> None:
        subprocess.run(
            _as_postgres(
                [str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name]
            ),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateRedis:
    def __init__(self, logfile: Path | None = None) -> None:
        self.logfile = logfile
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found")
        self.binary = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="flowgate-redis-"))
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir), *(["--logfile", str(self.logfile)] if self.logfile else [])],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert wait_port(self.port), "private Redis did not start"

    def stop(self) -> None:
        """Like a crash: nothing is saved, every queued job and lock is gone."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
