"""Browser tests: the app served on a real socket, driven by headless Chromium through
Playwright.

Chromium is the system's (Debian's ``chromium``; ``FAREGATE_CHROMIUM`` names another
executable); ``.ci/run`` installs it when it is missing. Every page a test opens is watched:
a JavaScript error, a failed request for one of the site's own files, or a message on the
console at error level fails the test when it ends (a request cancelled because the page
moved on does not count). ``shoot(page, name)`` saves a full-page
screenshot under ``tests/artifacts/screenshots``.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright
from werkzeug.serving import make_server

from tests.conftest import empty_tables

SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
# A request the browser gave up because the page moved on (a favicon still loading when a
# form is sent): not a failure of the site.
ABORTED = "net::ERR_ABORTED"


def chromium_executable() -> str:
    """The Chromium the tests drive."""
    named = os.environ.get("FAREGATE_CHROMIUM")
    for candidate in (named, "chromium", "chromium-browser", "google-chrome"):
        found = candidate and shutil.which(candidate)
        if found:
            return found
    pytest.fail("browser tests need Chromium: apt-get install chromium (.ci/run does)")


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(postgres_url: str) -> Iterator[str]:
    """Pages are tried on PostgreSQL, as production runs them; emptied after every test."""
    yield postgres_url
    empty_tables(postgres_url)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium for the whole session."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_executable(), args=["--no-sandbox"], headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """``app`` served by a threaded server on a free loopback port; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


class PageProblems:
    """What went wrong in the pages of one browser context."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.found: list[str] = []
        self.expected: list[str] = []

    def expect(self, text: str) -> None:
        """Let console errors containing ``text`` pass: a refusal the test provokes (browsers
        log every 4xx or 5xx answer to a page load as an error)."""
        self.expected.append(text)

    def unexpected(self) -> list[str]:
        """The problems no ``expect`` covers."""
        return [p for p in self.found if not any(text in p for text in self.expected)]

    def watch(self, page: Page) -> None:
        """Record ``page``'s console errors, uncaught exceptions and failed own requests."""
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.found.append(f"{page.url}: {error}"))
        page.on(
            "requestfailed",
            lambda request: (
                self.found.append(f"{request.url}: {request.failure}")
                if request.url.startswith(self.base_url) and request.failure != ABORTED
                else None
            ),
        )
        page.on(
            "response",
            lambda response: (
                self.found.append(f"{response.url}: HTTP {response.status}")
                if response.url.startswith(self.base_url) and response.status >= 500
                else None
            ),
        )

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.found.append(f"console: {message.text}")


@pytest.fixture
def problems(live_server: str) -> PageProblems:
    """The problems seen in this test's pages."""
    return PageProblems(live_server)


@pytest.fixture
def open_context(
    browser: Browser, live_server: str, problems: PageProblems
) -> Iterator[Callable[..., tuple[BrowserContext, Page]]]:
    """Open browser contexts (each its own cookies) on ``live_server``; every page is
    watched, and a problem in any of them fails the test at its end."""
    contexts: list[BrowserContext] = []

    def open_one(viewport: dict[str, int] | None = None) -> tuple[BrowserContext, Page]:
        context = browser.new_context(
            base_url=live_server, viewport=viewport or PHONE, locale="en-GB"
        )
        context.on("page", problems.watch)
        contexts.append(context)
        return context, context.new_page()

    yield open_one
    for context in contexts:
        context.close()
    assert problems.unexpected() == []


@pytest.fixture
def page(open_context: Callable[..., tuple[BrowserContext, Page]]) -> Page:
    """One watched page in a phone-sized window."""
    return open_context()[1]


def shoot(page: Page, name: str) -> Path:
    """Save a full-page screenshot of ``page`` as ``name``.png; its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
