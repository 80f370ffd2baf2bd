"""Fixtures for the browser tests: the real server, Debian's Chromium, and one context per person.

These tests are plain sync tests using playwright.sync_api directly (no
pytest-playwright). Between two sync calls, Playwright leaves its event loop
marked as running in the test's thread: an asyncio test, or Django's ORM
(SynchronousOnlyOperation), would fail while the session's browser is open. So
the e2e tests are moved to the end of the run, after every other test.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.e2e import server as live
from tests.e2e.helpers import CHROMIUM, CHROMIUM_ARGS, CHROMIUM_MISSING, BrowserProblems

E2E_DIR = Path(__file__).resolve().parent
SERVER_KEY = pytest.StashKey[live.LiveServer]()

# Playwright's 5 s default for expect() is short on a busy 2-core machine; conditions still end waits.
expect.set_options(timeout=10_000)


def _is_e2e(item: pytest.Item) -> bool:
    return item.path.is_relative_to(E2E_DIR)


@pytest.hookimpl(tryfirst=True)  # before `-m e2e` / `-m "not e2e"` selects by the marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees the whole run's items, not only this directory's.
    e2e = [item for item in items if _is_e2e(item)]
    for item in e2e:
        item.add_marker(pytest.mark.e2e)
    items[:] = [item for item in items if not _is_e2e(item)] + e2e


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    server = item.config.stash.get(SERVER_KEY, None)
    if report.failed and server is not None and _is_e2e(item):
        report.sections.append(("live server log (last 80 lines)", server.log_text(80)))
    return report


# --- The server ---------------------------------------------------------------------------


# Not named `live_server`: pytest-django would then set up its own test database for the test.
@pytest.fixture(scope="session")
def consulta_server(pytestconfig: pytest.Config) -> Iterator[live.LiveServer]:
    tmp_dir = Path(tempfile.mkdtemp(prefix="consulta-e2e-"))
    try:
        try:
            server = live.start(tmp_dir)
        except live.ServerError as error:
            pytest.fail(str(error), pytrace=False)
        pytestconfig.stash[SERVER_KEY] = server
        try:
            yield server
        finally:
            server.stop()
            del pytestconfig.stash[SERVER_KEY]
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def live_server_url(consulta_server: live.LiveServer) -> str:
    return consulta_server.url


@pytest.fixture(scope="session")
def demo(consulta_server: live.LiveServer) -> dict[str, Any]:
    """The output of `manage.py seed_demo --json` for the live server: users, clinics, links."""
    return consulta_server.demo


# --- The browser --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    manager = sync_playwright().start()
    try:
        yield manager
    finally:
        manager.stop()


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(CHROMIUM_MISSING, pytrace=False)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def browser_problems() -> BrowserProblems:
    """What went wrong in this test's pages; must be empty (or `allow()`ed) at the end."""
    return BrowserProblems()


@pytest.fixture
def new_page(browser: Browser, browser_problems: BrowserProblems) -> Iterator[Callable[..., Page]]:
    """`new_page()` opens a page in a fresh browser context: one per person, with its own cookies.

    Keyword arguments go to `browser.new_context()`; the locale defaults to en-US so
    that the pages answer in English whatever the machine's language.
    """
    contexts: list[BrowserContext] = []

    def open_page(**context_options: Any) -> Page:
        context_options.setdefault("locale", "en-US")
        context = browser.new_context(**context_options)
        contexts.append(context)
        context.on("page", browser_problems.watch)
        return context.new_page()

    yield open_page
    for context in contexts:
        # Unload every page first, within a bound: its sockets and peer connections end
        # the ordinary way, before the context itself goes.
        for page in context.pages:
            # A page that will not unload is closed with its context below.
            with contextlib.suppress(PlaywrightError):
                page.goto("about:blank", timeout=10_000)
        context.close()
    assert not browser_problems.messages, "The browser reported problems:\n" + "\n".join(browser_problems.messages)
