"""The painkiller-habits check-in twice in the web chat: the second shows the change as words and a chart."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import REPORTS, Stack
from tests.browser.test_exercise_card import click_reply
from tests.browser.test_widget import ask, assert_clean, open_by_keyboard, w

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips these tests (or fails them under RYGGVETT_REQUIRE_SERVICES=1)
    expect = None


def check_in(page: Any, opening: str, days: str, reason: str, confidence: str) -> list[str]:
    ask(page, opening)
    click_reply(page, "Ja, lagre svarene")
    click_reply(page, days)
    click_reply(page, "Ibux, Voltaren, naproksen")
    click_reply(page, reason)
    click_reply(page, "Nei")  # not more than the leaflet says
    return click_reply(page, confidence)


def test_a_second_check_in_shows_the_change_over_time(new_page: Any, stack: Stack) -> None:
    page = new_page(width=1280, height=900)
    open_by_keyboard(page)
    first = check_in(page, "sjekk vanene mine", "5", "Vane, eller for sikkerhets skyld", "3")
    assert any("lagret" in text for text in first), first
    expect(w(page, "figure.chart")).to_have_count(0)

    second = check_in(page, "kan du sjekke vanene mine igjen?", "2", "Redd for å gjøre det verre", "7")
    assert any("Siden sist" in text and "5 → 2 av 7 dager" in text and "3 → 7 av 10" in text for text in second)
    chart = w(page, "figure.chart")
    expect(chart).to_have_count(1)
    expect(chart.locator("figcaption")).to_have_text("Endring over tid")
    expect(chart.locator("rect")).to_have_count(4)
    assert chart.locator("svg > text").all_text_contents()[:2] == ["5", "3"]
    assert "Dager med smertestillende" in chart.locator("svg title").text_content()
    assert_clean(page)
    chart.evaluate("node => node.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(REPORTS / "widget-checkin-change.png"))
