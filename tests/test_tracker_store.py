"""The tracker store's own queries store and read exactly what Rasa's SQLTrackerStore does, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_extensions.masking_tracker_store import SESSION_INDEX, MaskingSQLTrackerStore
from ryggvett.privacy import NAME_MASK, SenderKeyMissing
from ryggvett.settings import PROJECT_ROOT

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tracker.db'}"
    return request.getfixturevalue("postgres_url")


def one_session(start: float, text: str) -> list:
    user = UserUttered(text, {"name": "ask_painkillers", "confidence": 0.9}, timestamp=start + 2)
    return [
        ActionExecuted("action_session_start", timestamp=start),
        SessionStarted(timestamp=start),
        ActionExecuted("action_listen", timestamp=start + 1),
        user,
        SlotSet("language", "nb", timestamp=start + 3),
        ActionExecuted("action_answer_topic", timestamp=start + 4),
        BotUttered("Paracet hjelper lite på ryggsmerter.", timestamp=start + 5),
        ActionExecuted("action_listen", timestamp=start + 6),
    ]


def save_in_turns(store, sender: str) -> None:
    """As Rasa saves: after each turn, the tracker read back holding the latest session only."""
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, one_session(1_700_000_000.0, "Hjelper Paracet?"))))
    tracker = asyncio.run(store.retrieve(sender))
    for event in one_session(1_700_090_000.0, "Er det farlig å løfte?"):  # the session expired: a new one
        tracker.update(event)
    asyncio.run(store.save(tracker))
    tracker = asyncio.run(store.retrieve(sender))
    for event in one_session(1_700_090_010.0, "Kan jeg jobbe?")[2:6]:
        tracker.update(event)
    asyncio.run(store.save(tracker))


def stored_rows(url: str, sender: str) -> list[tuple]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "select type_name, timestamp, intent_name, action_name, data from events "
                "where sender_id = :sender order by id"
            ),
            {"sender": sender},
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def test_rows_and_trackers_match_rasas_own_store(database_url):
    ours, rasas = MaskingSQLTrackerStore(DOMAIN, host=database_url), SQLTrackerStore(DOMAIN, host=database_url)
    ours_id, rasas_id = f"ours-{uuid.uuid4()}", f"rasa-{uuid.uuid4()}"
    save_in_turns(ours, ours_id)
    save_in_turns(rasas, rasas_id)

    mine, theirs = stored_rows(database_url, ours_id), stored_rows(database_url, rasas_id)
    assert len(mine) == 20  # every event once, none repeated by the saves after each turn
    assert [row[:4] for row in mine] == [row[:4] for row in theirs]
    assert [row[4].replace(ours_id, "X") for row in mine] == [row[4].replace(rasas_id, "X") for row in theirs]

    # Each store reads what the other wrote, the latest session and all of them alike.
    for reader in (ours, rasas):
        for sender in (ours_id, rasas_id):
            latest = asyncio.run(reader.retrieve(sender))
            full = asyncio.run(reader.retrieve_full_tracker(sender))
            assert len(full.events) == 20
            assert len(latest.events) == 12 and isinstance(latest.events[1], SessionStarted)
            assert latest.latest_message.text == "Kan jeg jobbe?"
            assert latest.get_slot("language") == "nb"
    assert asyncio.run(ours.retrieve(f"nobody-{uuid.uuid4()}")) is None


def test_phone_numbers_are_masked_when_stored(database_url):
    store = MaskingSQLTrackerStore(DOMAIN, host=database_url)
    sender = f"masking-{uuid.uuid4()}"
    tracker = DialogueStateTracker.from_events(
        sender, [ActionExecuted("action_listen"), UserUttered("ring meg på 912 34 567", {"name": "inform"})]
    )
    asyncio.run(store.save(tracker))
    [_, user_row] = stored_rows(database_url, sender)
    assert "912 34 567" not in user_row[4]
    assert asyncio.run(store.retrieve(sender)).latest_message.text != "ring meg på 912 34 567"


def test_the_latest_session_start_is_indexed(database_url):
    store = MaskingSQLTrackerStore(DOMAIN, host=database_url)
    MaskingSQLTrackerStore(DOMAIN, host=database_url)  # a second server starting finds it in place
    indexes = sa.inspect(store.engine).get_indexes("events")
    assert {"name": SESSION_INDEX, "columns": ["sender_id", "type_name", "timestamp"]} in [
        {"name": index["name"], "columns": index["column_names"]} for index in indexes
    ]


def events_of(tracker: DialogueStateTracker) -> list[dict]:
    return [event.as_dict() for event in tracker.events]


def a_turn(start: float, text: str) -> list:
    return one_session(start, text)[2:]


def test_a_saved_tracker_comes_back_from_memory_only_while_the_database_agrees(database_url):
    server, other_server = (MaskingSQLTrackerStore(DOMAIN, host=database_url) for _ in range(2))
    fresh_reader = MaskingSQLTrackerStore(DOMAIN, host=database_url)
    fresh_reader.saved.size = 0
    sender = f"saved-{uuid.uuid4()}"
    tracker = DialogueStateTracker.from_events(sender, one_session(1_700_000_000.0, "Hjelper Paracet?"))
    asyncio.run(server.save(tracker))

    # Read back from memory: the very object, and what the database holds.
    again = asyncio.run(server.retrieve(sender))
    assert again is tracker
    assert events_of(again) == events_of(asyncio.run(fresh_reader.retrieve(sender)))
    assert asyncio.run(server.retrieve(sender)) is not tracker  # handed out once only

    # Another server answers the next message: this one reads it from the database.
    for event in a_turn(1_700_000_010.0, "Er det farlig å løfte?"):
        tracker.update(event)
    asyncio.run(server.save(tracker))
    theirs = asyncio.run(other_server.retrieve(sender))
    for event in a_turn(1_700_000_020.0, "Kan jeg jobbe?"):
        theirs.update(event)
    asyncio.run(other_server.save(theirs))
    ours = asyncio.run(server.retrieve(sender))
    assert ours is not tracker and ours.latest_message.text == "Kan jeg jobbe?"
    assert events_of(ours) == events_of(asyncio.run(fresh_reader.retrieve(sender)))

    # Events added after the save (a turn that failed) are not handed out.
    asyncio.run(server.save(ours))
    for event in a_turn(1_700_000_030.0, "Ikke lagret"):
        ours.update(event)
    unsaved = asyncio.run(server.retrieve(sender))
    assert unsaved is not ours and unsaved.latest_message.text == "Kan jeg jobbe?"

    # Deleted from the dashboard: gone here too.
    asyncio.run(server.save(unsaved))
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("delete from events where sender_id = :sender"), {"sender": sender})
    engine.dispose()
    assert asyncio.run(server.retrieve(sender)) is None


def test_turns_whose_stored_form_differs_are_not_kept(database_url):
    store = MaskingSQLTrackerStore(DOMAIN, host=database_url)
    masked = f"masked-{uuid.uuid4()}"
    tracker = DialogueStateTracker.from_events(
        masked,
        [
            ActionExecuted("action_listen"),
            UserUttered("912 34 567", {"name": "inform"}),
            SlotSet("callback_phone", "912 34 567"),
        ],
        slots=DOMAIN.slots,
    )
    asyncio.run(store.save(tracker))
    assert tracker.get_slot("callback_phone") == "912 34 567"  # the live slot still holds it
    assert asyncio.run(store.retrieve(masked)).get_slot("callback_phone") != "912 34 567"

    restarted = f"restarted-{uuid.uuid4()}"
    tracker = DialogueStateTracker.from_events(restarted, one_session(1_700_000_000.0, "Hjelper Paracet?"))
    asyncio.run(store.save(tracker))
    assert restarted in store.saved
    tracker = asyncio.run(store.retrieve(restarted))
    for event in one_session(1_700_090_000.0, "Er det farlig å løfte?"):  # the session expired: a new one
        tracker.update(event)
    asyncio.run(store.save(tracker))
    assert restarted not in store.saved and masked not in store.saved
    assert len(asyncio.run(store.retrieve(restarted)).events) == 8  # the new session, as Rasa reads it


def stored_text(url: str, sender: str) -> str:
    return "\n".join(row[4] for row in stored_rows(url, sender))


def ask(slot: str) -> list:
    return [SlotSet("requested_slot", slot), BotUttered(f"utter_ask_{slot}"), ActionExecuted("action_listen")]


def form_turn(answer: str, slot: str, raw: str | None, validated: str | None, then: list) -> list:
    """A turn of the callback form as Rasa logs it: the answer, the slot filled from its text, the validation."""
    return [
        UserUttered(answer, {"name": "inform", "confidence": 0.9}),
        SlotSet(slot, raw),
        ActionExecuted("callback_form"),
        SlotSet(slot, validated),
        *then,
    ]


@pytest.mark.parametrize(
    ("answer", "thanks"),
    [
        ("Kari Nordmann", "Takk, Kari. Klinikken har fått beskjed og ringer deg vanligvis tilbake."),
        ("jeg heter kari", "Takk, Kari. Klinikken har fått beskjed."),
        ("My name is Kari Nordmann", "Thank you, Kari. The clinic has been told."),
    ],
)
def test_the_callback_name_is_masked_in_stored_slots_answers_and_bot_texts(database_url, answer, thanks):
    store = MaskingSQLTrackerStore(DOMAIN, host=database_url)
    sender = f"callback-{uuid.uuid4()}"
    tracker = DialogueStateTracker.from_events(
        sender, [ActionExecuted("callback_form"), *ask("callback_name")], slots=DOMAIN.slots
    )
    for event in form_turn(answer, "callback_name", answer, "Kari", ask("callback_phone")):
        tracker.update(event)
    asyncio.run(store.save(tracker))
    assert tracker.get_slot("callback_name") == "Kari"  # the live turn still has it

    # The next turn reads the log back; the action server sets the name again for the confirmation.
    tracker = asyncio.run(store.retrieve(sender))
    assert tracker.get_slot("callback_name") == NAME_MASK
    finish = [
        SlotSet("callback_name", "Kari"),
        SlotSet("requested_slot", None),
        ActiveLoop(None),
        ActionExecuted("action_finish_callback"),
        BotUttered(thanks, metadata={"utter_action": "utter_callback_confirmed", "callback_name": "Kari"}),
        ActionExecuted("action_listen"),
    ]
    for event in form_turn("912 34 567", "callback_phone", "912 34 567", "••••••••67", finish):
        tracker.update(event)
    asyncio.run(store.save(tracker))

    stored = stored_text(database_url, sender)
    assert "kari" not in stored.lower() and "nordmann" not in stored.lower()
    events = asyncio.run(store.retrieve(sender)).events
    users = [event.text for event in events if isinstance(event, UserUttered)]
    bots = [event.text for event in events if isinstance(event, BotUttered) and NAME_MASK in event.text]
    assert users == [NAME_MASK, "••• •• •67"]
    assert bots == [thanks.replace("Kari", NAME_MASK)]


def test_a_message_in_the_name_step_that_is_not_a_name_keeps_its_words(database_url):
    store = MaskingSQLTrackerStore(DOMAIN, host=database_url)
    sender = f"callback-{uuid.uuid4()}"
    message = "I have a high fever and my back hurts a lot"
    tracker = DialogueStateTracker.from_events(
        sender,
        [ActionExecuted("callback_form"), *ask("callback_name"), UserUttered(message, {"name": "red_flag"})],
        slots=DOMAIN.slots,
    )
    asyncio.run(store.save(tracker))
    assert asyncio.run(store.retrieve(sender)).latest_message.text == message


def test_only_known_metadata_is_stored_and_its_texts_are_masked(database_url):
    store = MaskingSQLTrackerStore(DOMAIN, host=database_url)
    sender = f"metadata-{uuid.uuid4()}"
    channel_metadata = {
        "language": "nb",
        "feedback": {"rating": "down", "rated_text": "Takk, Kari. Vi ringer 912 34 567.", "widget": "ryggvett-chat"},
        "From": "whatsapp:+4791234567",
        "ProfileName": "Kari Nordmann",
        "user": {"email": "kari@example.no"},
    }
    tracker = DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_session_start"),
            SessionStarted(),
            SlotSet("session_started_metadata", channel_metadata),
            ActionExecuted("action_listen"),
            UserUttered("/feedback_negative", {"name": "feedback_negative"}, metadata=channel_metadata),
            SlotSet("callback_name", "Kari"),
            BotUttered("Takk!", metadata={"utter_action": "utter_feedback_negative", "said_to": "Kari, 91234567"}),
        ],
        slots=DOMAIN.slots,
    )
    tracker.model_id = "model-1"
    tracker.update(ActionExecuted("action_listen"))

    asyncio.run(store.save(tracker))
    rows = stored_rows(database_url, sender)
    stored = "\n".join(row[4] for row in rows)
    for personal in ("Kari", "Nordmann", "91234567", "912 34 567", "kari@example.no", "whatsapp"):
        assert personal not in stored
    events = {row[0]: json.loads(row[4]) for row in rows}
    user = events["user"]["metadata"]
    assert user == {
        "language": "nb",
        "feedback": {"rating": "down", "rated_text": "Takk, [navn]. Vi ringer ••• •• •67.", "widget": "ryggvett-chat"},
    }
    session_slot = next(json.loads(row[4]) for row in rows if "session_started_metadata" in row[4])
    assert session_slot["value"] == {"language": "nb", "feedback": user["feedback"]}
    assert events["bot"]["metadata"] == {"utter_action": "utter_feedback_negative", "said_to": "[navn], ••••••67"}
    assert json.loads(rows[-1][4])["metadata"] == {"model_id": "model-1"}  # Rasa's own stamp stays


KEY = "a test key that is long enough, 32+"


def test_a_phone_number_conversation_id_is_stored_as_a_keyed_hash(database_url, monkeypatch):
    monkeypatch.setenv("RYGGVETT_SENDER_KEY", KEY)
    store = MaskingSQLTrackerStore(DOMAIN, host=database_url)
    number = f"+479{uuid.uuid4().int % 10**7:07d}"
    sender = f"whatsapp:{number}"
    hashed = "tel-" + hmac.new(KEY.encode(), sender.encode(), hashlib.sha256).hexdigest()
    save_in_turns(store, sender)

    assert len(stored_rows(database_url, hashed)) == 20 and stored_rows(database_url, sender) == []
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        leaked = connection.execute(
            sa.text("select count(*) from events where sender_id like :n or data like :n"), {"n": f"%{number[3:]}%"}
        ).scalar_one()
    engine.dispose()
    assert leaked == 0
    # Rasa gets its own id back: replies are sent to tracker.sender_id.
    for read in (store.retrieve, store.retrieve_full_tracker):
        tracker = asyncio.run(read(sender))
        assert tracker.sender_id == sender and tracker.latest_message.text == "Kan jeg jobbe?"
    assert hashed in asyncio.run(store.keys())
    # The SMS conversation from the same number is another one.
    assert asyncio.run(store.retrieve(number)) is None


def test_without_the_key_a_phone_number_conversation_is_refused_not_stored(database_url, monkeypatch):
    monkeypatch.delenv("RYGGVETT_SENDER_KEY", raising=False)
    monkeypatch.delenv("TWILIO_ACCOUNT_SID", raising=False)
    store = MaskingSQLTrackerStore(DOMAIN, host=database_url)
    tracker = DialogueStateTracker.from_events("+4791234567", one_session(1_700_000_000.0, "Hei"))
    with pytest.raises(SenderKeyMissing):
        asyncio.run(store.save(tracker))
    with pytest.raises(SenderKeyMissing):
        asyncio.run(store.retrieve("+4791234567"))
    assert stored_rows(database_url, "+4791234567") == []
    # Other conversations go on as before.
    asyncio.run(store.save(DialogueStateTracker.from_events("web-1", one_session(1_700_000_000.0, "Hei"))))
    assert len(stored_rows(database_url, "web-1")) == 8


def test_the_store_does_not_start_for_twilio_without_the_key(database_url, monkeypatch):
    monkeypatch.delenv("RYGGVETT_SENDER_KEY", raising=False)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC123")
    with pytest.raises(RuntimeError, match="RYGGVETT_SENDER_KEY"):
        MaskingSQLTrackerStore(DOMAIN, host=database_url)
    monkeypatch.setenv("RYGGVETT_SENDER_KEY", KEY)
    MaskingSQLTrackerStore(DOMAIN, host=database_url)
