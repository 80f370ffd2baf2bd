"""What the browser tests share: Chromium's launch settings, the problem recorder, logging in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Error, Page

# Debian's real binary: /usr/bin/chromium is a wrapper script that adds flags of its own.
CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_MISSING = "Chromium missing: run `make test` (it installs Debian's chromium)"
# From docs/testing.md (shared): headless as root, no background traffic, a fake camera
# and microphone, and ICE candidates on a loopback-only host.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
]


@dataclass
class BrowserProblems:
    """Console errors, uncaught exceptions and CSP violations seen by a test's pages.

    The `new_page` fixture fails the test when any are left at its end. A test that
    provokes one on purpose (a 403 page logs "Failed to load resource") accepts it
    with `allow()`.
    """

    messages: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("console", lambda message: self._on_console(page, message))
        page.on("pageerror", lambda error: self.messages.append(f"uncaught exception on {page.url}: {error}"))

    def _on_console(self, page: Page, message: ConsoleMessage) -> None:
        # CSP violations are logged as "Refused to ..."; report-only ones may not be errors.
        if message.type == "error" or "Refused to" in message.text:
            source = message.location.get("url") or "?"
            self.messages.append(f"console {message.type} on {page.url} (from {source}): {message.text}")

    def allow(self, pattern: str) -> list[str]:
        """Accept the messages matching the regular expression `pattern`, and return them."""
        matched = [message for message in self.messages if re.search(pattern, message)]
        self.messages = [message for message in self.messages if message not in matched]
        return matched

    def clear(self) -> None:
        self.messages.clear()


def demo_user(demo: dict[str, Any], role: str, clinic: str | None = None) -> dict[str, Any]:
    """The first demo user with `role` (as in seed_demo's JSON), at `clinic` if given."""
    for user in demo["users"]:
        if user["role"] == role and (clinic is None or user["clinic"] == clinic):
            return dict(user)
    raise LookupError(f"The demo data has no {role!r}" + (f" at {clinic!r}" if clinic else ""))


def login(page: Page, demo: dict[str, Any], role: str, clinic: str | None = None) -> dict[str, Any]:
    """Log in through the real login form as the demo user with `role`; return that user.

    Ends on the home page. Fails with the form's message when the login is refused.
    """
    user = demo_user(demo, role, clinic)
    page.goto(demo["login_url"])
    # By the fields' names, not their labels: the page may be in any language (a browser's locale).
    form = page.locator("form", has=page.locator("input[name=password]"))
    form.locator("input[name=username]").fill(user["email"])
    form.locator("input[name=password]").fill(user["password"])
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.startswith(demo["login_url"])) as posted:
        form.locator("button[type=submit]").click()
    if posted.value.status != 302:
        try:
            shown = page.locator("main").inner_text(timeout=2000)
        except Error:
            shown = "(page unreadable)"
        raise AssertionError(
            f"Logging in as {user['email']} was refused (status {posted.value.status}). The page says:\n{shown}"
        )
    page.wait_for_url(demo["base_url"] + "/")
    return user


def assert_no_axe_violations(page: Page, context: str | None = None) -> None:
    """Run axe-core (axe-playwright-python's pinned copy, no CDN) on `page`; fail listing any violation.

    `context`: a CSS selector to check only part of the page (default: all of it). Every rule
    axe runs by default (WCAG 2.0–2.2 A and AA, and its best practices) must pass.
    """
    results = Axe().run(page, context=context)
    if results.violations_count:
        raise AssertionError(f"axe-core on {page.url}:\n{results.generate_report()}")
