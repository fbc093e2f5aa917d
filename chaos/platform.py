"""The platform under test as real processes: private PostgreSQL + Redis, web, workers, smsc.

Every process gets the same environment (private database and Redis, a private var dir and
short timers so faults heal within seconds) and logs to its own file under the run directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from chaos.servers import PrivatePostgres, PrivateRedis, free_port, wait_port

ROOT = Path(__file__).resolve().parent.parent

# Short timers: a killed worker's lock, a stale "wired" message and a lost wake-up all heal in
# seconds instead of minutes, so each scenario ends quickly. Correctness does not depend on them.
FAST_TIMERS = {
    "FLOWGATE_SWEEP_INTERVAL_SECONDS": "1",
    "FLOWGATE_WIRED_STALE_SECONDS": "6",
    "FLOWGATE_SEND_LOCK_SECONDS": "5",
    "FLOWGATE_BATCH_SIZE": "20",
    "FLOWGATE_SEND_BACKOFF_SECONDS": "0.3",
    "FLOWGATE_SEND_MAX_ATTEMPTS": "12",
    "FLOWGATE_SEND_TIMEOUT_SECONDS": "5",
    "FLOWGATE_DB_POOL_SIZE": "6",
}


class Platform:
    def __init__(self, *, keep_logs: bool = False) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="flowgate-chaos-"))
        self.logs = self.root / "logs"
        self.logs.mkdir()
        self.keep_logs = keep_logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.pg = PrivatePostgres()
        self.redis: PrivateRedis | None = None
        try:
            self.pg.create_database()
            self.redis = PrivateRedis(logfile=self.logs / "redis.log")
        except BaseException:
            self.pg.close()
            raise
        self.web_port = free_port()
        self.env: dict[str, str] = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("FLOWGATE_", "DATABASE_URL", "REDIS_URL"))
            },
            "DATABASE_URL": self.pg.url,
            "REDIS_URL": self.redis.url,
            # A REDIS_URL run is a production run: it refuses to start without SECRET_KEY.
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(40),
            "DJANGO_SETTINGS_MODULE": "web.settings",
            "FLOWGATE_VAR_DIR": str(self.root / "var"),
            "FLOWGATE_ALLOW_PRIVATE_URLS": "1",
            "FLOWGATE_BASE_URL": f"http://127.0.0.1:{self.web_port}",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **FAST_TIMERS,
        }

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def python(self, code: str, timeout: float = 120) -> str:
        """Run Python with Django set up against the private servers; returns its stdout."""
        result = subprocess.run(
            [sys.executable, "-c", "import django; django.setup()\n" + code],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"python snippet failed: {result.stderr[-2000:]}")
        return result.stdout

    def manage(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed: {result.stderr[-2000:]}")
        return result.stdout

    def migrate(self) -> None:
        self.manage("migrate", "--verbosity", "0")

    def create_channels(self, *, send_url: str, smsc_port: int | None = None) -> dict[str, Any]:
        """A workspace with an External API channel (and an SMPP channel); returns their ids."""
        code = f"""
import json
from channels_app.workspaces import create_workspace
from channels_app.services.channels import create_channel
ws, token = create_workspace(name="Chaos", email="chaos@example.org", password="chaos-pass")
ex = create_channel(workspace=ws, type_code="EX", name="Aggregator", address="+250788000000", country="RW",
                    config={{"send_url": {send_url!r} + "/send", "content_type": "urlencoded"}})
out = {{"workspace_id": ws.id, "token": token, "ex_id": ex.id, "ex_uuid": str(ex.uuid)}}
if {smsc_port!r}:
    sm = create_channel(workspace=ws, type_code="SM", name="SMSC", address="+250788000000", country="RW",
                        config={{"host": "127.0.0.1", "port": {smsc_port!r}, "system_id": "test",
                                 "password": "secret", "window": 10}})
    out.update(sm_id=sm.id, sm_uuid=str(sm.uuid))
print(json.dumps(out))
"""
        return dict(json.loads(self.python(code).strip().splitlines()[-1]))

    # --- processes ---------------------------------------------------------------------

    def spawn(self, name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            [sys.executable, "manage.py", *args], cwd=ROOT, env={**self.env, **(env or {})},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()
        self.procs[name] = proc
        return proc

    def start_web(
        self, name: str = "web", port: int | None = None, env: dict[str, str] | None = None
    ) -> None:
        port = port or self.web_port
        self.spawn(name, "serve", "--port", str(port), env=env)
        if not wait_port(port, timeout=60):
            raise RuntimeError(f"{name} did not start: {self.tail(name)}")

    def start_worker(self, name: str = "worker") -> None:
        self.spawn(name, "worker")

    def start_smsc(self, name: str = "smsc") -> None:
        self.spawn(name, "smsc", "--poll", "0.1", "--stale", "3")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def alive(self, name: str) -> bool:
        proc = self.procs.get(name)
        return proc is not None and proc.poll() is None

    def tail(self, name: str, lines: int = 20) -> str:
        path = self.logs / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop_processes(self) -> None:
        for name in list(self.procs):
            self.kill(name, signal.SIGTERM)

    def close(self) -> None:
        self.stop_processes()
        if self.redis is not None:
            self.redis.close()
        self.pg.close()
        if not self.keep_logs:
            import shutil

            shutil.rmtree(self.root, ignore_errors=True)


def wait_for(predicate: Any, timeout: float, interval: float = 0.2) -> bool:
    """Poll `predicate` until it is truthy or `timeout` passes (errors count as "not yet")."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:  # the database may be down in the middle of a scenario
            pass
        time.sleep(interval)
    return False
