"""The shared layout in a real browser: a refusal page renders with its stylesheet and
nothing else goes wrong."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import PageProblems, shoot


def test_a_form_sent_without_its_token_gets_the_styled_refusal_page(
    page: Page, problems: PageProblems
) -> None:
    problems.expect("status of 400")  # the refusal itself
    page.goto("/static/css/faregate.css")
    page.evaluate(
        """() => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = "/no-such-form";
            document.body.append(form);
            form.submit();
        }"""
    )
    page.wait_for_load_state()
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "This form has expired"
    header_colour = page.eval_on_selector(
        ".site-header", "header => getComputedStyle(header).backgroundColor"
    )
    assert header_colour == "rgb(11, 92, 171)"  # the stylesheet loaded
    shoot(page, "error-page")
