"""The web chat widget in headless Chromium, talking to the real Rasa server and action server.

Waits are on conditions (Playwright's `expect`, `wait_for_function`, polling the tracker store
with a deadline), with generous timeouts because every answer runs the real NLU model.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

try:
    from playwright.sync_api import Page, expect
except ImportError:  # conftest.py skips these tests (or fails them under RYGGVETT_REQUIRE_SERVICES=1)
    Page = Any

from tests.browser.conftest import REPORTS, Stack

WIDGET = "#ryggvett-chat"
TIMEOUT = 30_000
NB_QUESTION = "Er det farlig å løfte når jeg har vondt i ryggen?"
EN_QUESTION = "Is it safe to lift things with back pain?"

# Counts inside the widget's (open) shadow root, and whether the bot is still answering.
TURN_DONE_JS = """n => {
  const root = document.querySelector('#ryggvett-chat').shadowRoot;
  return root.querySelectorAll('.msg.bot').length > n && !root.querySelector('.typing.on');
}"""


def w(page: Page, selector: str) -> Any:
    """A locator inside the widget (Playwright's CSS engine pierces the open shadow root)."""
    return page.locator(WIDGET).locator(selector)


def bot_count(page: Page) -> int:
    return w(page, ".msg.bot").count()


def wait_for_turn(page: Page, bots_before: int) -> list[str]:
    """Waits until new bot bubbles have arrived and the typing indicator is gone; returns their texts."""
    page.wait_for_function(TURN_DONE_JS, arg=bots_before, timeout=TIMEOUT)
    return w(page, ".msg.bot .bubble").all_text_contents()[bots_before:]


def open_by_keyboard(page: Page) -> list[str]:
    """Focuses the launcher, presses Enter and returns the greeting's bubbles."""
    launcher = w(page, ".launcher")
    launcher.focus()
    page.keyboard.press("Enter")
    expect(w(page, "[role=dialog]")).to_be_visible()
    return wait_for_turn(page, 0)


def ask(page: Page, text: str) -> list[str]:
    before = bot_count(page)
    field = w(page, "textarea")
    field.fill(text)
    field.press("Enter")
    expect(w(page, ".msg.user .bubble").last).to_contain_text(text)
    return wait_for_turn(page, before)


def session_id(page: Page, stack: Stack) -> str:
    stored = page.evaluate("key => sessionStorage.getItem(key)", f"ryggvett-chat:v1:{stack.rasa_url}")
    return json.loads(stored)["sessionId"]


def user_events(db: Path, sender_id: str) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "select data from events where sender_id = ? and type_name = 'user' order by id", (sender_id,)
        ).fetchall()
    return [json.loads(data) for (data,) in rows]


def wait_for_user_event(db: Path, sender_id: str, check: Any, seconds: float = 30) -> dict[str, Any]:
    """The first user event of `sender_id` in the tracker store that satisfies `check` (polled until a deadline)."""
    deadline = time.monotonic() + seconds
    while True:
        events = user_events(db, sender_id) if db.exists() else []
        found = [event for event in events if check(event)]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no matching user event for {sender_id} in {db}; user events: {events}")
        time.sleep(0.2)


def intent_of(event: dict[str, Any]) -> str | None:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def rgb(css: str) -> tuple[float, float, float]:
    match = re.match(r"rgba?\(\s*([\d.]+),\s*([\d.]+),\s*([\d.]+)", css)
    assert match, f"not an rgb() colour: {css}"
    return tuple(float(v) for v in match.groups())  # type: ignore[return-value]


def contrast_ratio(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        channels = [c / 255 for c in rgb(colour)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def colours(page: Page, selector: str, background_selector: str | None = None) -> tuple[str, str]:
    """Computed text colour of `selector` and background colour of `background_selector` (default: the same)."""
    text = w(page, selector).first.evaluate("el => getComputedStyle(el).color")
    background = w(page, background_selector or selector).first.evaluate("el => getComputedStyle(el).backgroundColor")
    return text, background


def assert_clean(page: Page) -> None:
    """No script errors and no Content-Security-Policy violations on the page."""
    assert page.errors == [], page.errors


def test_opens_by_keyboard_greets_and_closes_with_escape(new_page: Any) -> None:
    page = new_page()
    launcher = w(page, ".launcher")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    greeting = open_by_keyboard(page)

    dialog = w(page, "[role=dialog]")
    expect(dialog).to_have_attribute("aria-label", "Spør om ryggen")
    expect(dialog).to_have_attribute("aria-modal", "false")
    expect(dialog).to_have_attribute("lang", "nb")
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(w(page, "[role=log]")).to_have_attribute("aria-live", "polite")
    expect(page.get_by_label("Melding til Ryggvett")).to_be_focused()
    for name in ("Start på nytt", "Lukk chat", "Send"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()

    # The init payload is not shown; the greeting and the first-turn disclaimer come from the server.
    expect(w(page, ".msg.user")).to_have_count(0)
    assert any("113" in text for text in greeting), greeting

    # Escape closes the panel and gives the focus back to the launcher, with a visible focus ring.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(launcher).to_be_focused()
    assert launcher.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    # Enter on the focused launcher opens it again, and the controls are reachable with Tab.
    page.keyboard.press("Enter")
    expect(page.get_by_label("Melding til Ryggvett")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_focused()
    assert_clean(page)


def test_norwegian_question_gets_a_norwegian_answer_with_source(new_page: Any) -> None:
    page = new_page(1280, 800)
    open_by_keyboard(page)
    field = w(page, "textarea")
    field.fill(NB_QUESTION)
    before = bot_count(page)
    field.press("Enter")
    # The typing indicator shows until the answer is complete.
    expect(w(page, ".typing.on")).to_be_visible()
    expect(w(page, "[role=status].typing-status")).to_have_text("Ryggvett skriver …")
    answer = wait_for_turn(page, before)
    expect(w(page, ".typing.on")).to_have_count(0)
    expect(w(page, ".typing-status")).to_have_text("")

    assert any("Kilde" in text for text in answer), answer
    assert field.input_value() == ""
    # Thumbs on the answer (the last bubble of the turn), not on the greeting.
    expect(w(page, ".feedback")).to_have_count(1)
    expect(w(page, ".msg.bot").last.locator(".feedback")).to_have_count(1)
    expect(page.get_by_role("button", name="Nyttig svar")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("button", name="Ikke nyttig")).to_have_attribute("aria-pressed", "false")

    REPORTS.mkdir(exist_ok=True)
    page.screenshot(path=str(REPORTS / "widget-desktop.png"))
    assert_clean(page)


def test_english_question_gets_an_english_answer_with_source(new_page: Any) -> None:
    page = new_page()
    open_by_keyboard(page)
    answer = ask(page, EN_QUESTION)
    assert any("Source" in text for text in answer), answer


def test_quick_reply_sends_its_payload_and_shows_its_title(new_page: Any) -> None:
    page = new_page()
    open_by_keyboard(page)
    ask(page, NB_QUESTION)
    button = w(page, ".replies button").first
    expect(button).to_be_visible()
    title = button.inner_text()
    users_before = w(page, ".msg.user").count()
    before = bot_count(page)

    used = button.element_handle()
    button.focus()  # by keyboard
    page.keyboard.press("Enter")
    expect(w(page, ".msg.user")).to_have_count(users_before + 1)
    expect(w(page, ".msg.user .bubble").last).to_have_text(re.compile(re.escape(title) + "$"))
    # The buttons are gone once used (the answer may bring buttons of its own, at once).
    page.wait_for_function("button => !button.isConnected", arg=used, timeout=5000)
    reply = wait_for_turn(page, before)
    assert reply and all(text.strip() for text in reply)


def test_reload_keeps_the_transcript_and_the_session(new_page: Any, stack: Stack) -> None:
    page = new_page()
    open_by_keyboard(page)
    ask(page, NB_QUESTION)
    bubbles = w(page, ".msg").count()
    texts = w(page, ".msg .bubble").all_text_contents()
    sid = session_id(page, stack)

    page.reload()
    expect(w(page, "[role=dialog]")).to_be_visible()  # it was open, so it is open again
    expect(w(page, ".msg")).to_have_count(bubbles)
    assert w(page, ".msg .bubble").all_text_contents() == texts
    assert session_id(page, stack) == sid
    expect(w(page, ".msg.user")).to_have_count(1)  # the reload did not send the init payload again

    answer = ask(page, "Hjelper Ibux mot vondt i ryggen?")
    assert answer
    assert session_id(page, stack) == sid
    # Both questions are in one conversation in Rasa's tracker store.
    wait_for_user_event(stack.tracker_db, sid, lambda e: e.get("text") == "Hjelper Ibux mot vondt i ryggen?")
    texts_stored = [event.get("text") for event in user_events(stack.tracker_db, sid)]
    assert NB_QUESTION in texts_stored and "/greet" in texts_stored, texts_stored


def test_thumbs_down_reaches_the_tracker_store(new_page: Any, stack: Stack) -> None:
    page = new_page()
    open_by_keyboard(page)
    answer = ask(page, NB_QUESTION)
    users = w(page, ".msg.user").count()
    before = bot_count(page)

    down = page.get_by_role("button", name="Ikke nyttig")
    down.click()
    reply = wait_for_turn(page, before)
    assert reply  # the bot's thanks is shown ...
    expect(w(page, ".msg.user")).to_have_count(users)  # ... but no user bubble for the rating
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(down).to_be_disabled()
    expect(page.get_by_role("button", name="Nyttig svar")).to_be_disabled()
    expect(w(page, ".feedback")).to_have_count(1)  # the reply to feedback is not rated itself

    sid = session_id(page, stack)
    event = wait_for_user_event(stack.tracker_db, sid, lambda e: intent_of(e) == "feedback_negative")
    feedback = event["metadata"]["feedback"]
    assert feedback["rating"] == "down"
    assert feedback["widget"] == "ryggvett-chat"
    assert 0 < len(feedback["rated_text"]) <= 500
    assert feedback["rated_text"] in "\n\n".join(text.removeprefix("Ryggvett: ") for text in answer)

    # The rating survives a reload.
    page.reload()
    expect(page.get_by_role("button", name="Ikke nyttig")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="Ikke nyttig")).to_be_disabled()
    expect(page.get_by_role("button", name="Nyttig svar")).to_be_disabled()


def test_bot_text_is_never_parsed_as_html(new_page: Any) -> None:
    page = new_page()
    open_by_keyboard(page)
    page.evaluate(
        "window.RyggvettChat._socket.listeners('bot_uttered')[0]({text: "
        '\'<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> https://example.org/a?b=1. '
        "javascript:alert(1)'})"
    )
    bubble = w(page, ".msg.bot .bubble").last
    expect(bubble).to_contain_text("<script>window.__pwned=1</script><img src=x")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert (
        page.evaluate("document.querySelector('#ryggvett-chat').shadowRoot.querySelectorAll('img, script').length") == 0
    )
    # The https URL became a safe link (without the sentence's full stop); javascript: stayed text.
    links = bubble.locator("a")
    expect(links).to_have_count(1)
    expect(links).to_have_attribute("href", "https://example.org/a?b=1")
    expect(links).to_have_attribute("target", "_blank")
    expect(links).to_have_attribute("rel", "noopener noreferrer")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    # Newlines in bot text are kept.
    page.evaluate("window.RyggvettChat._socket.listeners('bot_uttered')[0]({text: 'første linje\\nandre linje'})")
    last = w(page, ".msg.bot .bubble").last
    expect(last).to_contain_text("første linje\nandre linje")
    assert last.evaluate("el => getComputedStyle(el).whiteSpace") == "pre-wrap"
    assert last.evaluate("el => el.innerText").endswith("første linje\nandre linje")


def test_start_over_clears_and_starts_a_new_session(new_page: Any, stack: Stack) -> None:
    page = new_page()
    open_by_keyboard(page)
    ask(page, NB_QUESTION)
    old = session_id(page, stack)

    page.get_by_role("button", name="Start på nytt").click()
    expect(w(page, ".msg.user")).to_have_count(0)
    greeting = wait_for_turn(page, 0)
    assert any("113" in text for text in greeting), greeting  # a new conversation: the disclaimer again
    new = session_id(page, stack)
    assert new != old
    event = wait_for_user_event(stack.tracker_db, new, lambda e: e.get("text") == "/greet")
    assert event["metadata"]["language"] == "nb"


def test_connection_lost_shows_a_status_and_reconnects(new_page: Any, stack: Stack) -> None:
    page = new_page()
    open_by_keyboard(page)
    sid = session_id(page, stack)
    status = w(page, ".status")
    expect(status).to_be_hidden()
    page.evaluate("window.RyggvettChat._socket.io.engine.close()")  # the transport drops, as on a network blip
    expect(status).to_have_text("Forbindelsen ble brutt. Kobler til igjen …")
    expect(status).to_be_hidden()  # socket.io reconnects by itself
    answer = ask(page, NB_QUESTION)
    assert any("Kilde" in text for text in answer), answer
    assert session_id(page, stack) == sid


def test_no_answer_notice_after_the_timeout(new_page: Any) -> None:
    page = new_page(query="?reply_timeout=2000")  # data-reply-timeout, 20 s by default
    open_by_keyboard(page)
    # The reply is lost on the way: the widget stops hearing bot messages.
    page.evaluate("window.RyggvettChat._socket.off('bot_uttered')")
    field = w(page, "textarea")
    field.fill(NB_QUESTION)
    field.press("Enter")
    expect(w(page, ".typing.on")).to_be_visible()
    expect(w(page, ".notice")).to_have_text("Beklager, det kom ikke noe svar. Prøv igjen om litt.")
    expect(w(page, ".typing.on")).to_have_count(0)


def test_contrast_meets_wcag_aa_with_default_and_light_accent(new_page: Any) -> None:
    for query in ("", "?accent=%23ffd700&lang=en"):
        page = new_page(query=query)
        open_by_keyboard(page)
        pairs = {
            "header text on accent": colours(page, ".title", ".header"),
            "close button on accent": colours(page, ".close", ".header"),
            "launcher": colours(page, ".launcher"),
            "send button": colours(page, ".send"),
            "bot text on its bubble": colours(page, ".msg.bot .bubble"),
            "input text": colours(page, "textarea"),
        }
        for name, (text, background) in pairs.items():
            ratio = contrast_ratio(text, background)
            assert ratio >= 4.5, f"{query or 'default accent'}: {name} {text} on {background} is {ratio:.2f}:1"
    # The light accent is used, with dark text on it, and the interface is in English.
    expect(w(page, "[role=dialog]")).to_have_attribute("aria-label", "Ask about your back")
    expect(w(page, "[role=dialog]")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Start over")).to_be_visible()
    assert rgb(colours(page, ".header")[1]) == (255.0, 215.0, 0.0)
    assert sum(rgb(colours(page, ".title", ".header")[0])) < 150


def test_phone_width_fills_the_screen_without_horizontal_scrolling(new_page: Any) -> None:
    page = new_page(360, 740)
    open_by_keyboard(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box = w(page, "[role=dialog]").bounding_box()
    assert box is not None and box["width"] <= 360
    assert box["width"] >= 359 and box["height"] >= 739  # full screen
    expect(w(page, "textarea")).to_be_visible()
    expect(w(page, "textarea")).to_be_in_viewport()
    ask(page, NB_QUESTION)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    scroller_overflow = w(page, ".scroller").evaluate("el => el.scrollWidth - el.clientWidth")
    assert scroller_overflow <= 0
    REPORTS.mkdir(exist_ok=True)
    page.screenshot(path=str(REPORTS / "widget-phone-360.png"))
    assert_clean(page)
