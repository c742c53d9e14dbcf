"""Running the review app with uvicorn: in the foreground (CLI) or in a thread (tests, notebooks)."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from fastapi import FastAPI

from amts.errors import AmtsError

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class RemoteBindingError(AmtsError, PermissionError):
    """Binding to a non-loopback address was asked for without ``allow_remote``."""


def check_host(host: str, allow_remote: bool) -> None:
    """Anyone on the network could reach a non-local binding: it must be asked for explicitly."""
    if host not in LOOPBACK and not allow_remote:
        raise RemoteBindingError(
            f"binding to {host} exposes the review server to the network; pass --allow-remote to do it anyway"
        )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class ThreadedServer:
    """uvicorn serving ``app`` from a daemon thread; ``with ThreadedServer(app) as url: ...``."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        config = uvicorn.Config(app, host=host, port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="amts-review", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"review server did not start on {self.url}")
            time.sleep(0.02)
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve(app: FastAPI, host: str, port: int) -> None:
    """Serve in the foreground until Ctrl+C."""
    uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="off")
