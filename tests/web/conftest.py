"""Fixtures for the page tests: a hospital system over HTTP (shared with tests/gateway), and for the
browser tests the running app on demo data and Debian's Chromium driven by Playwright. A failing browser
test leaves a screenshot in test-artifacts/screenshots/."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.gateway.conftest import his  # noqa: F401  (fixture: a hospital system signed in over HTTP)

CHROMIUM = os.environ.get("YIBAO_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DEMO_PERSONS = 400


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`yibao demo` then `yibao serve` on a free port, as a newcomer runs them; the base URL."""
    data = tmp_path_factory.mktemp("live")
    env = {**os.environ, "YIBAO_DATA_DIR": str(data)}
    env.pop("YIBAO_DATABASE_URL", None)
    yibao = [sys.executable, "-m", "yibao.adapters.cli.main"]
    subprocess.run([*yibao, "demo", "--persons", str(DEMO_PERSONS)], env=env, check=True, capture_output=True)
    port = _free_port()
    log = open(data / "serve.log", "w")  # noqa: SIM115 — kept open for the server's life
    server = subprocess.Popen([*yibao, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/health").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        server.kill()
        raise RuntimeError(f"yibao serve did not start: {(data / 'serve.log').read_text()}")
    yield base
    server.terminate()
    server.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make chromium` (scripts/ensure-chromium) or set YIBAO_CHROMIUM")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _open_page(browser: Any, request: pytest.FixtureRequest, live_app: str, width: int, height: int) -> Iterator[Any]:
    context = browser.new_context(base_url=live_app, viewport={"width": width, "height": height}, locale="zh-CN")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for number, shown in enumerate(context.pages):
            shown.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{number}.png"), full_page=True)
    context.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest, live_app: str) -> Iterator[Any]:
    """A desktop-width tab on the running app."""
    yield from _open_page(browser, request, live_app, 1280, 900)


@pytest.fixture
def phone(browser: Any, request: pytest.FixtureRequest, live_app: str) -> Iterator[Any]:
    """A phone-width tab (390 × 844) on the running app."""
    yield from _open_page(browser, request, live_app, 390, 844)
