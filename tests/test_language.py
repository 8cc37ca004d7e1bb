"""Offline language detection and the conversation's answer language."""

from __future__ import annotations

import pytest

from ryggvett.language import choose_language, detect

NORWEGIAN = [
    "Hjelper Paracet mot vondt i ryggen?",
    "Er det farlig å løfte?",
    "Eg har vondt i ryggen, kva skal eg gjere?",  # nynorsk is answered in bokmål
    "Trenger jeg MR?",
    "Hvor lenge varer det?",
    "fortell mer",
    "takk",
    "Hjelper Voltaren?",
    "paracet og ibux sammen?",
]
ENGLISH = [
    "Is ibuprofen OK for back pain?",
    "Does Voltaren help?",
    "Will it ever go away?",
    "Should I get an X-ray?",
    "What mattress is best?",
    "tell me more",
    "thanks",
    # Norwegian brand names do not make an English sentence Norwegian.
    "Can I take Paracet and Ibux together?",
    "Is Ibux or Paracet better for my back?",
    "Should I take Pinex or Voltaren for sciatica",
    "Is a muscle relaxant like Somadril worth the risk of side effects?",
]
# A one-word answer ("ja", "yes", "ok") keeps the conversation's language.
UNCLEAR = ["ok", "Ibux?", "mri?", "👍", "", "ja", "Ja", "yes", "nei", "no", "OK", "jepp"]


@pytest.mark.parametrize("text", NORWEGIAN)
def test_norwegian_is_detected(text):
    assert detect(text).language == "nb"


@pytest.mark.parametrize("text", ENGLISH)
def test_english_is_detected(text):
    assert detect(text).language == "en"


@pytest.mark.parametrize("text", UNCLEAR)
def test_short_or_unclear_messages_keep_the_conversation_language(text):
    assert detect(text).language is None
    assert choose_language(text, "en", False) == ("en", False)
    assert choose_language(text, "nb", False) == ("nb", False)


def test_each_message_leads_until_the_person_chooses():
    assert choose_language("Does Voltaren help?", "nb", False) == ("en", False)
    assert choose_language("Hjelper Voltaren?", "en", False) == ("nb", False)


def test_an_explicit_choice_is_pinned_until_changed():
    language, pinned = choose_language("Kan du svare på engelsk?", "nb", False, explicit="en")
    assert (language, pinned) == ("en", True)
    assert choose_language("Hjelper Voltaren?", language, pinned) == ("en", True)
    assert choose_language("på norsk takk", "en", True, explicit="nb") == ("nb", True)


def test_default_language_for_a_new_unclear_conversation():
    assert choose_language("ok", None, False) == ("nb", False)
    assert choose_language("ok", None, False, default="en") == ("en", False)


@pytest.mark.parametrize("payload", ["/feedback_negative", "/feedback_positive", "/ask_more", "/deny", "/affirm"])
@pytest.mark.parametrize("current", ["nb", "en"])
def test_a_button_payload_keeps_the_conversation_language(payload, current):
    assert choose_language(payload, current, False) == (current, False)
