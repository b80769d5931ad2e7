"""Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's
``live_server``.

No browser is ever downloaded (never ``playwright install``): the tests launch the system's
Chromium, which ``.ci/run`` and ``make test`` install with apt. When it is missing the tests
fail — they do not skip — so that a CI machine without it cannot pass silently.

Playwright's sync API runs an asyncio event loop in the test's thread, and Django refuses ORM
calls from a thread with a running loop. ``DJANGO_ALLOW_ASYNC_UNSAFE`` lifts that check, but only
while the browser is up (the fixture below sets and restores it), so the rest of the suite
keeps Django's protection.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

# Debian's package; PORTAL_CHROMIUM points elsewhere on a developer's machine.
CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# The product must work on a phone: an iPhone X-sized screen.
PHONE = {"width": 375, "height": 812}
# A Chinese phone's browser: Accept-Language zh-CN (the portal answers in zh-hans).
LOCALE = "zh-CN"
# Generous for a slow CI machine; nothing in the tests waits on a fixed delay except the
# documented minimum time of the feedback form's spam trap.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: the browser tests need Debian's "
            "chromium package (`apt-get install chromium`, done by `make test` and .ci/run as "
            "root), or PORTAL_CHROMIUM=/path/to/chromium. Never `playwright install`.",
            pytrace=False,
        )
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            try:
                yield launched
            finally:
                launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class PageProblems:
    """JavaScript errors and server errors seen by the pages of a test: a journey that
    "works" while the console shows a broken script or a 500 behind an htmx swap is broken."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda exc: self.errors.append(f"JS error on {page.url}: {exc}"))
        page.on(
            "console",
            lambda msg: (
                self.errors.append(f"console {msg.type} on {page.url}: {msg.text}")
                if msg.type == "error"
                else None
            ),
        )
        page.on(
            "response",
            lambda response: (
                self.errors.append(f"HTTP {response.status} {response.url}")
                if response.status >= 500
                else None
            ),
        )


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def new_phone_page(browser: Browser, page_problems: PageProblems) -> Iterator[Callable[[], Page]]:
    """``new_phone_page()`` → a page in a fresh browser context (its own cookies: one per
    person of the journey) with a phone's screen, touch and language."""
    expect.set_options(timeout=TIMEOUT_MS)
    contexts: list[BrowserContext] = []

    def make() -> Page:
        context = browser.new_context(
            viewport=PHONE,
            device_scale_factor=1,  # readable screenshots
            is_mobile=True,
            has_touch=True,
            locale=LOCALE,
            timezone_id="Asia/Shanghai",
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page_problems.watch(page)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shots_dir(tmp_path: Path) -> Path:
    """Where the journey's screenshots go: a pytest tmp dir, or PORTAL_BROWSER_SHOTS (e.g.
    /tmp/browser-shots) to look at them while developing. Never inside the repository."""
    wanted = os.environ.get("PORTAL_BROWSER_SHOTS")
    path = Path(wanted) if wanted else tmp_path / "shots"
    path.mkdir(parents=True, exist_ok=True)
    return path
