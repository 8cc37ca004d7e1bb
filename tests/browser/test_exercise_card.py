"""An exercise card with its illustration in the web chat, through the whole tailoring flow."""

from __future__ import annotations

import re
import urllib.request
import xml.etree.ElementTree as ElementTree
from typing import Any

from tests.browser.conftest import REPORTS, Stack
from tests.browser.test_widget import ask, assert_clean, bot_count, open_by_keyboard, w, wait_for_turn

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips these tests (or fails them under RYGGVETT_REQUIRE_SERVICES=1)
    expect = None


def click_reply(page: Any, title: str) -> list[str]:
    before = bot_count(page)
    button = w(page, ".replies button").filter(has_text=re.compile(f"^{re.escape(title)}$"))
    if not button.count():
        transcript = w(page, ".msg .bubble").all_text_contents()[-4:]
        raise AssertionError(f"no quick reply {title!r}; the chat ends with {transcript}")
    button.first.click()
    return wait_for_turn(page, before)


def test_exercise_cards_show_their_illustrations(new_page: Any, stack: Stack) -> None:
    page = new_page(width=1280, height=900)
    open_by_keyboard(page)
    ask(page, "Kan du gi meg noen øvelser for ryggen?")
    click_reply(page, "Ja, finn øvelser")
    click_reply(page, "Nei, ingenting av dette")
    click_reply(page, "6")
    click_reply(page, "Nei")
    click_reply(page, "Litt, jeg går turer av og til")
    texts = click_reply(page, "Ganske trygg")

    assert any("Smertetrafikklys" in text for text in texts), texts
    images = w(page, ".msg.bot img.illustration")
    expect(images).to_have_count(3)
    for index in range(3):
        image = images.nth(index)
        expect(image).to_have_attribute("alt", "Illustrasjon av øvelsen")
        src = image.get_attribute("src")
        assert src.startswith(stack.web_url + "/exercises/") and src.endswith(".svg"), src
        # Loaded and drawn, not a broken image. The widget loads illustrations lazily, so an image
        # the chat has already scrolled past loads only when the person scrolls back to it.
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    expect(w(page, ".replies button").filter(has_text="Det ble vondere")).to_be_visible()
    assert_clean(page)

    # The card text (name, dose, numbered steps) comes just before its illustration.
    card = w(page, ".msg.bot .bubble.has-image").first.locator("xpath=../preceding-sibling::div[1]")
    card_text = card.inner_text()
    assert "1. " in card_text and ("runder med" in card_text or "minutter" in card_text), card_text
    # The screenshot shows the end of the first card and its drawing.
    images.first.evaluate("img => img.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(REPORTS / "widget-exercise.png"))


def test_illustrations_are_served_as_inert_svg(stack: Stack) -> None:
    with urllib.request.urlopen(stack.web_url + "/exercises/bridge.svg", timeout=10) as response:
        assert response.headers["Content-Type"] == "image/svg+xml"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert ElementTree.fromstring(response.read()).tag == "{http://www.w3.org/2000/svg}svg"
    for path in ("/exercises/../../Makefile", "/exercises/missing.svg", "/exercises/Bridge.SVG"):
        try:
            urllib.request.urlopen(stack.web_url + path, timeout=10)
        except urllib.error.HTTPError as error:
            assert error.code == 404, path
        else:
            raise AssertionError(f"{path} was served")
