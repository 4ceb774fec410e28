"""The shared layout in a real browser: a refusal page renders with its stylesheet and
nothing else goes wrong; and the watch every browser test keeps on its pages does see what
goes wrong in one."""

from __future__ import annotations

import pytest
from flask import Flask, Response, abort, render_template_string
from playwright.sync_api import Browser, Page

from tests.browser.conftest import PageProblems, shoot


@pytest.fixture
def form_app(app: Flask) -> Flask:
    """``app`` with a page holding a form that sends no CSRF token."""

    @app.get("/test-form")
    def test_form() -> str:
        return render_template_string(
            '{% extends "base.html" %}{% block content %}<form method="post" '
            'action="/test-form"><button>Send</button></form>{% endblock %}'
        )

    app.add_url_rule("/test-form", "test_form_post", lambda: "taken", methods=["POST"])
    return app


def test_a_form_sent_without_its_token_gets_the_styled_refusal_page(
    form_app: Flask, page: Page, problems: PageProblems
) -> None:
    problems.expect("status of 400")  # the refusal itself
    page.goto("/test-form")
    page.get_by_role("button", name="Send").click()
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "This form has expired"
    header_colour = page.eval_on_selector(
        ".site-header", "header => getComputedStyle(header).backgroundColor"
    )
    assert header_colour == "rgb(11, 92, 171)"  # the stylesheet loaded
    shoot(page, "error-page")


@pytest.fixture
def broken_app(app: Flask) -> Flask:
    """``app`` with a page where everything the watch looks for goes wrong: an inline script
    the Content-Security-Policy refuses, a script of its own that throws, a console error and
    an image the server fails to give."""

    @app.get("/test-broken")
    def test_broken() -> str:
        return render_template_string(
            '{% extends "base.html" %}{% block content %}<p>Broken</p>'
            '<script>document.title = "inline";</script>'
            '<script src="/test-broken.js"></script><img src="/test-fails" alt="">'
            "{% endblock %}"
        )

    @app.get("/test-broken.js")
    def test_broken_script() -> Response:
        script = 'console.error("the watch must see this"); null.boom();'
        return Response(script, mimetype="text/javascript")

    @app.get("/test-fails")
    def test_fails() -> Response:
        abort(500)

    return app


def test_the_watch_sees_console_errors_exceptions_and_server_errors(
    broken_app: Flask, browser: Browser, live_server: str
) -> None:
    del broken_app
    problems = PageProblems(live_server)
    context = browser.new_context(base_url=live_server)
    try:
        page = context.new_page()
        problems.watch(page)
        page.goto("/test-broken")
        page.wait_for_load_state("networkidle")
        found = "\n".join(problems.unexpected())
        assert "Content Security Policy" in found, found
        assert "console: the watch must see this" in found, found
        assert "/test-broken: Cannot read properties of null" in found, found  # thrown
        assert "/test-fails: HTTP 500" in found, found
        for text in ("Content Security Policy", "the watch", "of null", "500"):
            problems.expect(text)
        assert problems.unexpected() == []
    finally:
        context.close()
