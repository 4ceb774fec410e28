"""The shared layout in a real browser: a refusal page renders with its stylesheet and
nothing else goes wrong."""

from __future__ import annotations

import pytest
from flask import Flask, render_template_string
from playwright.sync_api import Page

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
