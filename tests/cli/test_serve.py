"""`yibao serve --workers 2`: each worker listens with its own SO_REUSEPORT socket; the server answers on
fresh connections from both, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.cli.test_calc import YIBAO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_two_workers_share_the_port_and_stop_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "YIBAO_DATA_DIR": str(tmp_path)}
    env.pop("YIBAO_DATABASE_URL", None)
    server = subprocess.Popen([YIBAO, "serve", "--port", str(port), "--workers", "2"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        for _ in range(12):  # new connections each time: whichever worker the kernel picks answers
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                assert client.get("/api/health").json()["status"] == "ok"
                garbage = client.post("/fsi/api/rsfComIfsService/callService", content=b"{")
                assert garbage.status_code == 200 and garbage.json()["infcode"] == -1
        workers = subprocess.run(["pgrep", "-P", str(server.pid), "-f", "spawn_main"], capture_output=True,
                                 text=True, check=False)
        assert len(workers.stdout.split()) == 2
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=30)
    assert code == 0
    with socket.socket() as sock:  # the port is free again: no worker left behind
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("YIBAO_DB_POOL_SIZE", "abc", "应为整数"),
    ("YIBAO_DB_POOL_SIZE", "0", "应不小于 1"),
    ("YIBAO_GATEWAY_THREADS", "-1", "应不小于 0"),
])
def test_an_unusable_setting_is_named_and_nothing_starts(tmp_path: Path, variable: str, value: str,
                                                         says: str) -> None:
    """A pool of 0 or below would silently mean 'no limit' to SQLAlchemy: refused at start, in one line."""
    env = {**os.environ, "YIBAO_DATA_DIR": str(tmp_path / "data"), variable: value}
    env.pop("YIBAO_DATABASE_URL", None)
    done = subprocess.run([YIBAO, "serve", "--port", str(free_port())], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("错误：环境变量 " + variable) and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert not (tmp_path / "data").exists()
