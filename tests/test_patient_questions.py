"""Real patients' questions that got the topic's general card before cards listed their questions.

The nine messages of issue 19, as a new user tried them on a fresh clone, through the trained
assistant and the real action server: each must now get the card that answers it, and a
question outside low back pain must get «det kan jeg ikke svare på» instead of a back card.
Everyday words near a sign (housework, a backpack) raise no alarm, and a see-a-doctor reply to a
question is followed by the card that answers it.
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


@pytest.mark.parametrize(
    "text",
    [
        "Hvordan skal jeg rekke å vaske huset og tømme oppvaskmaskinen når ryggen er så vond?",
        "sexlivet vårt har stoppa litt opp pga ryggen, er det noen stillinger som er skånsomme?",
        "which backpack is best for my 8 year old's first school year?",
    ],
)
async def test_everyday_words_near_a_sign_raise_no_alarm(agent, domain, text):
    chat = Chat(agent)
    replies = texts(await chat.say(text))
    alarms = {
        render(domain["responses"], name, language)["text"]
        for name in ("utter_red_flag_emergency", "utter_red_flag_gp_today", "utter_red_flag_gp_soon")
        for language in ("nb", "en")
    }
    assert not alarms & set(replies), replies
    assert not await chat.slot("red_flag_raised")


async def test_a_see_a_doctor_reply_comes_first_and_the_card_explains(agent, base, domain):
    chat = Chat(agent)
    replies = texts(
        await chat.say("Sønnen vår på 10 har klaget over vondt i ryggen i to uker. Bør vi gå til legen med ham?")
    )
    card = base.card("red_flags_child_back_pain")
    assert replies[0] == render(domain["responses"], "utter_red_flag_gp_soon", "nb")["text"], replies
    assert card.texts["nb"].short in replies[1:], replies
    assert await chat.slot("red_flag_raised") and await chat.slot("last_card") == card.key
