"""Review logic without a server: transcripts from stored events, exports, charts, accounts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy.orm import Session

from ryggvett.review.accounts import (
    AccountError,
    authenticate,
    create_user,
    resume_session,
    set_role_and_active,
    start_session,
)
from ryggvett.review.charts import bar_chart, column_chart
from ryggvett.review.events import StoredEvent
from ryggvett.review.exports import corrections_csv, corrections_nlu_yaml
from ryggvett.review.models import SessionRow, TurnAnnotationRow, review_engine
from ryggvett.review.transcript import build_conversation

T0 = 1_790_000_000.0


def events(*specs: tuple[str, dict]) -> list[StoredEvent]:
    return [StoredEvent(i + 1, "c1", kind, T0 + i, {"event": kind, **data}) for i, (kind, data) in enumerate(specs)]


def user(text: str, intent: str, confidence: float = 0.9, **extra) -> tuple[str, dict]:
    parse = {"intent": {"name": intent, "confidence": confidence}, "entities": extra.pop("entities", [])}
    return "user", {"text": text, "parse_data": parse, "input_channel": "socketio", **extra}


def bot(text: str, **data) -> tuple[str, dict]:
    return "bot", {"text": text, "data": data}


def slot(name: str, value) -> tuple[str, dict]:
    return "slot", {"name": name, "value": value}


def action(name: str) -> tuple[str, dict]:
    return "action", {"name": name}


def test_feedback_is_attached_to_the_answer_it_rates():
    conversation = build_conversation(
        "c1",
        events(
            user("Hjelper Ibux?", "ask_medication", entities=[{"entity": "medication", "value": "nsaid"}]),
            action("action_answer_topic"),
            bot("NSAIDs hjelper litt."),
            slot("last_card", "medication_nsaid"),
            user("/feedback_negative", "feedback_negative", 1.0),
            bot("Takk for at du sier ifra."),
        ),
    )
    answer, feedback = conversation.messages
    assert answer.feedback == "down" and feedback.feedback is None
    assert answer.card == "medication_nsaid" and answer.entities == [("medication", "nsaid")]
    assert conversation.feedback_count("down") == 1 and conversation.channels == ["socketio"]


def test_answers_to_the_callback_form_and_known_names_are_masked():
    conversation = build_conversation(
        "c1",
        events(
            user("Kan dere ringe meg?", "request_human"),
            slot("requested_slot", "callback_name"),
            bot("Hva er fornavnet ditt?"),
            user("Kari", "inform"),
            slot("callback_name", "Kari"),
            slot("requested_slot", "callback_phone"),
            user("912 34 567", "inform"),
            bot("Takk, Kari. Klinikken ringer deg."),
            ("active_loop", {"name": None}),
            user("kari sier takk", "thank"),
        ),
    )
    texts = [turn.text for turn in conversation.messages]
    assert texts == ["Kan dere ringe meg?", "[navn]", "[telefon]", "[navn] sier takk"]
    assert conversation.messages[2].replies[0].text == "Takk, [navn]. Klinikken ringer deg."


def test_flags_fallbacks_language_and_confidence():
    conversation = build_conversation(
        "c1",
        events(
            user("asdkj", "nlu_fallback", 0.3),
            action("action_clarify_options"),
            user("I can't control my bladder", "report_red_flag", 0.99),
            slot("language", "en"),
            slot("red_flag_raised", True),
            user("/affirm", "affirm", 1.0),
        ),
    )
    first, second, button = conversation.messages
    assert first.fallback and first.low_confidence(0.5) and not second.low_confidence(0.5)
    assert not button.low_confidence(0.5)  # buttons are not guesses
    assert second.red_flag and conversation.red_flag and not conversation.crisis
    assert conversation.language == "en" and conversation.fallbacks == 1
    assert conversation.topics == {}


def annotation(text: str, verdict: str, predicted: str, corrected: str | None = None) -> TurnAnnotationRow:
    return TurnAnnotationRow(
        conversation_id="c1",
        event_id=1,
        text=text,
        predicted_intent=predicted,
        verdict=verdict,
        corrected_intent=corrected,
        note="",
        reviewer="kari",
        created_at=dt.datetime(2026, 11, 26, tzinfo=dt.timezone.utc),
    )


def test_corrections_become_nlu_data_with_confirmed_and_corrected_intents():
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    rows = [
        annotation("er MR lurt?", "wrong", "ask_prognosis", "ask_imaging"),
        annotation("hjelper Ibux", "correct", "ask_medication"),
        annotation("[navn]", "wrong", "inform", "greet"),  # only a mask: teaches nothing
        annotation("qwerty", "correct", "nlu_fallback"),
    ]
    data = RasaYAMLReader().reads(corrections_nlu_yaml(rows))
    assert sorted((m.get("intent"), m.get("text")) for m in data.intent_examples) == [
        ("ask_imaging", "er MR lurt?"),
        ("ask_medication", "hjelper Ibux"),
    ]
    assert RasaYAMLReader().reads(corrections_nlu_yaml([])).intent_examples == []


def test_csv_cells_cannot_become_spreadsheet_formulas():
    lines = corrections_csv([annotation('=HYPERLINK("http://x")', "wrong", "greet", "ask_imaging")]).splitlines()
    assert lines[0].startswith("conversation_id,event_id,text")
    assert "'=HYPERLINK" in lines[1]


def test_chart_labels_are_escaped():
    svg = bar_chart("Topics <b>", [("<script>", 3)]) + column_chart("Per day", ["a&b"], [2])
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a&amp;b" in svg
    assert svg.count("<title>") >= 2


@pytest.fixture
def review_db(tmp_path):
    return review_engine(f"sqlite:///{tmp_path / 'review.db'}")


def test_accounts_refuse_weak_passwords_bad_names_and_removing_the_last_admin(review_db):
    with Session(review_db) as session:
        with pytest.raises(AccountError):
            create_user(session, "kari", "short", "clinician")
        with pytest.raises(AccountError):
            create_user(session, "Kari Nordmann!", "a long enough password", "clinician")
        with pytest.raises(AccountError):
            create_user(session, "kari", "a long enough password", "superuser")
        admin = create_user(session, "boss", "a long enough password", "admin")
        with pytest.raises(AccountError):
            set_role_and_active(session, admin.id, "clinician", True)
        assert authenticate(session, "BOSS", "a long enough password", "10.0.0.1") == admin
        assert authenticate(session, "boss", "wrong password", "10.0.0.1") is None
        assert authenticate(session, "nobody", "a long enough password", "10.0.0.1") is None


def test_a_session_ends_after_idle_time_and_stores_only_a_hash(review_db):
    with Session(review_db) as session:
        user = create_user(session, "kari", "a long enough password", "clinician")
        login = start_session(session, user)
        session.flush()
        assert resume_session(session, login.token, dt.timedelta(minutes=60)).user == user
        [row] = session.query(SessionRow).all()
        assert login.token not in json.dumps([row.token_hash, row.csrf_token])
        row.last_seen_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=61)
        assert resume_session(session, login.token, dt.timedelta(minutes=60)) is None
        assert resume_session(session, "made-up", dt.timedelta(minutes=60)) is None


@pytest.mark.parametrize("days", [7, 30, 90, 365])
def test_day_labels_never_crowd_and_the_last_day_is_labelled(days):
    labels = [f"d{n}" for n in range(days)]
    svg = column_chart("Per day", labels, list(range(days)))
    shown = [label for label in labels if f">{label}</text>" in svg]
    assert shown[-1] == labels[-1] and 2 <= len(shown) <= 9
