"""`yibao serve --workers N`: N server processes, each listening on the port with its own socket.

With one shared listening socket (uvicorn's own --workers), whichever worker wakes first accepts a burst of
new connections: 16 keep-alive HIS connections opened together were seen all landing on one of two workers,
the other idle. With SO_REUSEPORT each worker has its own socket and the kernel spreads new connections over
them by their addresses, as gunicorn's --reuse-port does.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
import time
from typing import Any


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _worker(host: str, port: int) -> None:
    import uvicorn

    sock = listening_socket(host, port)
    config = uvicorn.Config("yibao.app:create_app", factory=True, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def run_workers(host: str, port: int, workers: int) -> int:
    """Start the workers and wait; stop them all on SIGTERM / SIGINT or when one of them ends."""
    if not hasattr(socket, "SO_REUSEPORT"):  # not Linux/BSD: uvicorn's shared socket
        import uvicorn

        uvicorn.run("yibao.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="warning",
                    access_log=False)
        return 0
    listening_socket(host, port).close()  # the port is free (or fail here, once, before any worker starts)
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_worker, args=(host, port), daemon=False) for _ in range(workers)]
    for process in processes:
        process.start()
    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping and all(process.is_alive() for process in processes):
        time.sleep(0.2)
    for process in processes:
        if process.is_alive():
            process.terminate()  # uvicorn finishes the requests in hand, then exits
    for process in processes:
        process.join(timeout=30)
    failed = [p.exitcode for p in processes if p.exitcode not in (0, -signal.SIGTERM, None)]
    if failed and not stopping:
        print(f"yibao: 服务进程异常退出（{failed}）", file=sys.stderr)
        return 1
    return 0
