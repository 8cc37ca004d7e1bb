"""The trained assistant end to end: Rasa's Agent with the real action server."""

from __future__ import annotations

import pytest

from ryggvett.responses import render
from tests.chat import texts

pytestmark = pytest.mark.assistant


def _card(base, intent, **entities):
    return next(
        c
        for c in base.cards_for(intent)
        if all(v in c.entities.get(k, ()) for k, v in entities.items()) and (entities or not c.entities)
    )


async def test_norwegian_conversation(chat, base, domain):
    responses = domain["responses"]
    replies = await chat.say("Hei!")
    assert texts(replies) == [
        render(responses, "utter_disclaimer", "nb")["text"],
        render(responses, "utter_greet", "nb")["text"],
    ]
    nsaid = _card(base, "ask_medication", medication="nsaid")
    replies = await chat.say("Hjelper Ibux mot vondt i ryggen?")
    assert texts(replies)[0] == nsaid.texts["nb"].short
    assert texts(replies)[1] == "Kilde: " + "; ".join(s.short for s in base.sources_of(nsaid))
    # After a medication answer: the offer of the painkiller-habits check-in, or more detail.
    assert replies[-1]["text"] == render(responses, "utter_offer_checkin", "nb")["text"]
    assert [b["payload"] for b in replies[-1]["buttons"]] == ["/affirm", "/ask_more", "/deny"]
    assert texts(await chat.say("fortell mer")) == [nsaid.texts["nb"].long]
    replies = texts(await chat.say("Hvilke kilder bygger svaret på?"))
    assert replies[0] == render(responses, "utter_sources_header", "nb")["text"]
    assert replies[1].startswith("1. ")
    assert await chat.slot("red_flag_raised") is False


async def test_english_conversation_with_the_disclaimer_first(chat, base, domain):
    responses = domain["responses"]
    replies = texts(await chat.say("Is it safe to lift things with back pain?"))
    assert replies[0] == render(responses, "utter_disclaimer", "en")["text"]
    card = base.card(await chat.slot("last_card"))
    assert card.intent == "ask_movement_safety"
    assert replies[1] == card.texts["en"].short
    assert replies[2].startswith("Source: ")
    assert await chat.slot("language") == "en"


async def test_switching_language_explicitly(chat, domain):
    responses = domain["responses"]
    await chat.say("Hello")
    replies = texts(await chat.say("Kan du svare på norsk?"))
    assert replies == [render(responses, "utter_language_changed", "nb")["text"]]
    assert await chat.slot("language") == "nb"


async def test_a_red_flag_gets_urgent_advice_and_is_marked(chat, domain):
    replies = texts(await chat.say("Jeg har mistet kontrollen over urinen og er nummen i skrittet"))
    assert replies == [render(domain["responses"], "utter_red_flag_emergency", "nb")["text"]]
    assert await chat.slot("red_flag_raised") is True
    assert await chat.slot("red_flag_urgency") == "emergency"


async def test_a_red_flag_interrupts_the_callback_form(chat, domain):
    responses = domain["responses"]
    assert (
        texts(await chat.say("Can someone from the clinic call me?"))[-1]
        == render(responses, "utter_ask_callback_consent", "en")["text"]
    )
    assert texts(await chat.say("yes")) == [render(responses, "utter_ask_callback_name", "en")["text"]]
    replies = texts(await chat.say("I have a high fever and my back hurts a lot"))
    assert replies == [render(responses, "utter_red_flag_gp_today", "en")["text"]]
    tracker = await chat.agent.tracker_store.get_or_create_tracker(chat.sender)
    assert tracker.active_loop_name is None
    assert await chat.slot("red_flag_raised") is True


async def test_a_callback_request_is_stored_with_consent(chat, domain, loaded_db_url):
    import sqlalchemy as sa

    from ryggvett.callbacks import CallbackRequestRow

    responses = domain["responses"]
    await chat.say("Kan noen fra klinikken ringe meg?")
    await chat.say("ja")
    assert texts(await chat.say("Kari")) == [render(responses, "utter_ask_callback_phone", "nb")["text"]]
    assert texts(await chat.say("12")) == [
        render(responses, "utter_callback_invalid_phone", "nb")["text"],
        render(responses, "utter_ask_callback_phone", "nb")["text"],
    ]
    replies = texts(await chat.say("912 34 567"))
    assert replies == [
        render(
            responses, "utter_callback_confirmed", "nb", callback_name="Kari", callback_within="innen én arbeidsdag"
        )["text"]
    ]
    assert await chat.slot("callback_name") == "Kari"
    engine = sa.create_engine(loaded_db_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(CallbackRequestRow.__table__).where(CallbackRequestRow.conversation_id == chat.sender)
        ).all()
    assert [(r.first_name, r.phone, r.language) for r in rows] == [("Kari", "+4791234567", "nb")]


async def test_a_declined_callback_stores_nothing(chat, domain, loaded_db_url):
    import sqlalchemy as sa

    from ryggvett.callbacks import Base, CallbackRequestRow

    responses = domain["responses"]
    await chat.say("Kan noen fra klinikken ringe meg?")
    assert texts(await chat.say("nei")) == [render(responses, "utter_callback_declined", "nb")["text"]]
    engine = sa.create_engine(loaded_db_url)
    Base.metadata.create_all(engine)
    with engine.connect() as connection:
        count = connection.scalar(sa.select(sa.func.count()).where(CallbackRequestRow.conversation_id == chat.sender))
    assert count == 0


@pytest.mark.parametrize(
    ("text", "card_key", "language"),
    [
        ("Hvor mange Ibux kan jeg ta om dagen?", "medication_personal_dose", "nb"),
        ("Kan jeg ta Voltaren når jeg er gravid?", "medication_personal_health", "nb"),
        ("Can I combine ibuprofen with paracetamol?", "medication_personal_health", "en"),
        ("I take paracetamol every day for my back, is that ok?", "medication_daily_use", "en"),
    ],
)
async def test_personal_medication_questions_get_a_referral_never_a_dose(chat, base, text, card_key, language):
    replies = texts(await chat.say(text))
    referral = base.card(card_key).texts[language].short
    # The referral comes right after the first-turn disclaimer, before anything else.
    assert replies[1] == referral
    assert not any(unit in reply for reply in replies for unit in (" mg", "milligram", "tabletter om dagen"))


async def test_daily_painkiller_use_in_another_question_gets_a_gentle_prompt(chat, base):
    replies = texts(await chat.say("Jeg tar Paracet hver dag. Er det farlig å løfte tunge ting?"))
    daily = base.card("medication_daily_use").texts["nb"].short
    lifting = base.card("movement_lifting_bending").texts["nb"].short
    assert replies.index(daily) < replies.index(lifting)


@pytest.mark.parametrize(("text", "language"), [("Har jeg prolaps?", "nb"), ("Do I have sciatica?", "en")])
async def test_a_request_for_a_diagnosis_gets_education_not_a_diagnosis(chat, domain, text, language):
    replies = texts(await chat.say(text))
    assert render(domain["responses"], "utter_no_diagnosis", language)["text"] in replies
    assert await chat.slot("last_card") is not None


async def test_a_checkin_through_the_assistant(chat, base, domain):
    """Typed answers, through the real NLU, form and actions: daily habit use and low confidence."""
    responses = domain["responses"]
    await chat.say("Hjelper Paracet mot ryggsmerter?")
    assert texts(await chat.say("ja")) == [render(responses, "utter_ask_checkin_consent", "nb")["text"]]
    assert texts(await chat.say("nei")) == [render(responses, "utter_ask_checkin_days", "nb")["text"]]
    assert texts(await chat.say("hver dag")) == [render(responses, "utter_ask_checkin_kinds", "nb")["text"]]
    assert texts(await chat.say("paracet og ibux")) == [render(responses, "utter_ask_checkin_reason", "nb")["text"]]
    assert texts(await chat.say("for sikkerhets skyld")) == [
        render(responses, "utter_ask_checkin_long_use", "nb")["text"]
    ]
    assert texts(await chat.say("ja")) == [render(responses, "utter_ask_checkin_over_leaflet", "nb")["text"]]
    assert texts(await chat.say("nei")) == [render(responses, "utter_ask_checkin_confidence", "nb")["text"]]
    replies = texts(await chat.say("ca 3"))
    cards = [base.card(key).texts["nb"].short for key in ("checkin_see_gp", "checkin_habit", "checkin_low_confidence")]
    assert replies[:3] == cards
    assert render(responses, "utter_checkin_not_saved", "nb")["text"] in replies
    assert replies[-1] == render(responses, "utter_checkin_callback_offer", "nb")["text"]


async def test_exercises_through_the_assistant(chat, base, domain):
    """Typed answers to the tailoring questions, then "it hurt more" steps down."""
    responses = domain["responses"]
    replies = texts(await chat.say("Can you give me some exercises for my back?"))
    assert replies[-1] == render(responses, "utter_offer_exercises", "en")["text"]
    assert texts(await chat.say("yes please")) == [render(responses, "utter_ask_exercise_screen", "en")["text"]]
    for answer, next_question in [
        ("no", "utter_ask_exercise_pain"),
        ("about three", "utter_ask_exercise_leg_pain"),
        ("no", "utter_ask_exercise_activity"),
        ("somewhat active", "utter_ask_exercise_confidence"),
    ]:
        assert texts(await chat.say(answer)) == [render(responses, next_question, "en")["text"]]
    await chat.say("fairly confident")
    first = await chat.slot("exercise_set")
    assert len(first) == 3 and {base.exercises.get(key).level for key in first} == {"medium"}
    replies = texts(await chat.say("it hurt more after the exercises"))
    assert replies[0] == render(responses, "utter_exercise_rated_worse", "en")["text"]
    second = await chat.slot("exercise_set")
    assert not set(first) & set(second)
    assert all(base.exercises.get(key).level == "easy" for key in second)
