"""Real patients' questions that got the topic's general card before cards listed their questions.

The nine messages of issue 19, as a new user tried them on a fresh clone, through the trained
assistant and the real action server: each must now get the card that answers it, and a
question outside low back pain must get «det kan jeg ikke svare på» instead of a back card.
"""

from __future__ import annotations

import pytest

from ryggvett.responses import render
from tests.chat import Chat, texts

pytestmark = pytest.mark.assistant

ANSWERED_BY = [
    ("How many days in a row is it OK to take ibuprofen?", "en", {"nsaid_days_in_a_row"}),
    (
        "Hva bør jeg gjøre nå som ryggen har låst seg?",
        "nb",
        {"understanding_lumbago_first_steps", "understanding_first_days"},
    ),
    ("Is sitting slouched at my desk the reason my back hurts?", "en", {"cause_posture", "cause_sitting"}),
    ("Bør jeg bruke varme eller kulde når ryggen er vond?", "nb", {"treatment_ice_or_heat"}),
    ("MR-svaret sier slitasje i ryggen, hva betyr det?", "nb", {"imaging_report_wear_tear"}),
    ("Når trenger man operasjon for prolaps?", "nb", {"prolapse_surgery_when"}),
    ("Hvor vanlig er det å få vondt i ryggen?", "nb", {"understanding_how_common"}),
    ("Hjelper yoga mot ryggsmerter?", "nb", {"exercise_yoga"}),
    ("Kan jeg kjøre bil når ryggen er vond?", "nb", {"daily_driving"}),
]


@pytest.mark.parametrize("text, language, cards", ANSWERED_BY, ids=[t for t, _, _ in ANSWERED_BY])
async def test_the_question_asked_is_answered(agent, base, text, language, cards):
    replies = texts(await Chat(agent).say(text))
    expected = {base.card(key).texts[language].short for key in cards}
    assert expected & set(replies), replies


@pytest.mark.parametrize(
    "text",
    ["Jeg har vondt i nakken når jeg sitter ved PC-en, hva gjør jeg?", "Hjelper bekkenbunnstrening mot framfall?"],
)
async def test_a_question_outside_low_back_pain_gets_no_back_card(agent, domain, text):
    replies = texts(await Chat(agent).say(text))
    assert render(domain["responses"], "utter_out_of_scope", "nb")["text"] in replies
