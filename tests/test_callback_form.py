"""The callback request form's validation and finishing action, with CollectingDispatcher."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.actions_callback import ActionFinishCallback, ValidateCallbackForm
from ryggvett.callbacks import Base, CallbackRequestRow, draft_name
from ryggvett.privacy import NAME_MASK, stored_conversation_id
from ryggvett.review.models import review_engine
from ryggvett.review.worklist import callback_items

pytestmark = pytest.mark.usefixtures("actions_use_test_db")


def stored_rows(url: str, conversation_id: str) -> list:
    engine = sa.create_engine(url)
    Base.metadata.create_all(engine)
    with engine.connect() as connection:
        return connection.execute(
            sa.select(CallbackRequestRow.__table__).where(CallbackRequestRow.conversation_id == conversation_id)
        ).all()


def validate_phone(number: str, sender: str, domain, tracker_factory) -> tuple[dict, list]:
    slots = {"callback_consent": True, "callback_name": "Kari"}
    tracker = tracker_factory(number, "inform", slots=slots, sender_id=sender)
    dispatcher = CollectingDispatcher()
    return ValidateCallbackForm().validate_callback_phone(number, dispatcher, tracker, domain), dispatcher.messages


@pytest.mark.parametrize("number", ["912 34 567", "+47 912 34 567", "0047 91234567", "22-12-34-56"])
def test_a_valid_number_is_stored_with_the_conversation_and_kept_masked(domain, tracker_factory, loaded_db_url, number):
    sender = f"form-valid-{number}"
    result, messages = validate_phone(number, sender, domain, tracker_factory)
    assert messages == []
    assert result["callback_phone"].endswith(number.replace(" ", "").replace("-", "")[-2:])
    assert not any(ch.isdigit() for ch in result["callback_phone"][:-2])
    [row] = stored_rows(loaded_db_url, sender)
    assert (row.first_name, row.language, row.status) == ("Kari", "nb", "open")
    assert row.phone.startswith("+47") and len(row.phone) == 11


@pytest.mark.parametrize("number", ["12", "012 34 567", "1234 5678", "912 34 56", "ring meg", "+46 70 123 45 67"])
def test_an_invalid_number_is_asked_again_and_nothing_is_stored(domain, tracker_factory, loaded_db_url, number):
    sender = f"form-invalid-{number}"
    result, messages = validate_phone(number, sender, domain, tracker_factory)
    assert result == {"callback_phone": None}
    assert [m["response"] for m in messages] == ["utter_callback_invalid_phone"]
    assert stored_rows(loaded_db_url, sender) == []


async def test_refused_consent_asks_nothing_more_and_stores_nothing(domain, tracker_factory, loaded_db_url):
    tracker = tracker_factory("nei", "deny", slots={"callback_consent": False}, sender_id="form-refused")
    form = ValidateCallbackForm()
    required = await form.required_slots(
        ["callback_consent", "callback_name", "callback_phone"], CollectingDispatcher(), tracker, domain
    )
    assert required == ["callback_consent"]
    dispatcher = CollectingDispatcher()
    await ActionFinishCallback().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_callback_declined"]
    assert stored_rows(loaded_db_url, "form-refused") == []


@pytest.mark.parametrize(("language", "within"), [("nb", "innen én arbeidsdag"), ("en", "within one working day")])
async def test_the_confirmation_says_when_the_clinic_calls(domain, tracker_factory, language, within):
    slots = {"callback_consent": True, "callback_name": "Kari", "callback_phone": "••••••67", "language": language}
    dispatcher = CollectingDispatcher()
    await ActionFinishCallback().run(dispatcher, tracker_factory("", slots=slots), domain)
    assert dispatcher.messages[0]["response"] == "utter_callback_confirmed"
    assert dispatcher.messages[0]["callback_within"] == within


async def test_the_callback_time_is_configurable(domain, tracker_factory, monkeypatch):
    monkeypatch.setenv("RYGGVETT_CALLBACK_WITHIN_NB", "samme dag før kl. 16")
    slots = {"callback_consent": True, "callback_name": "Kari", "callback_phone": "••••••67"}
    dispatcher = CollectingDispatcher()
    await ActionFinishCallback().run(dispatcher, tracker_factory("", slots=slots), domain)
    assert dispatcher.messages[0]["callback_within"] == "samme dag før kl. 16"


def test_the_name_waits_outside_the_log_and_reaches_the_request(domain, tracker_factory, loaded_db_url):
    # The log masks the name, so the turn with the number reads "[navn]" back from it.
    sender = "form-name-waits"
    tracker = tracker_factory("jeg heter Kari Nordmann", "inform", slots={"callback_consent": True}, sender_id=sender)
    dispatcher = CollectingDispatcher()
    form = ValidateCallbackForm()
    assert form.validate_callback_name("jeg heter Kari Nordmann", dispatcher, tracker, domain) == {
        "callback_name": "Kari"
    }
    assert draft_name(loaded_db_url, sender) == "Kari"

    slots = {"callback_consent": True, "callback_name": NAME_MASK}
    tracker = tracker_factory("912/34/567", "inform", slots=slots, sender_id=sender)
    result = form.validate_callback_phone("912/34/567", CollectingDispatcher(), tracker, domain)
    # The name comes back for the confirmation («Takk, Kari»); the tracker store masks it again.
    assert result == {"callback_phone": "••••••••67", "callback_name": "Kari"}
    [row] = stored_rows(loaded_db_url, sender)
    assert (row.first_name, row.phone) == ("Kari", "+4791234567")
    assert draft_name(loaded_db_url, sender) is None


def test_a_whatsapp_request_keeps_the_number_typed_for_reception_and_the_hashed_conversation_id(
    domain, tracker_factory, loaded_db_url, monkeypatch
):
    monkeypatch.setenv("RYGGVETT_SENDER_KEY", "a test key that is long enough, 32+")
    sender = "whatsapp:+4799887766"
    slots = {"callback_consent": True, "callback_name": "Kari"}
    form = ValidateCallbackForm()
    name_tracker = tracker_factory("Kari", "inform", slots={"callback_consent": True}, sender_id=sender)
    form.validate_callback_name("Kari", CollectingDispatcher(), name_tracker, domain)
    tracker = tracker_factory("+47 (912) 34 567", "inform", slots=slots, sender_id=sender)
    form.validate_callback_phone("+47 (912) 34 567", CollectingDispatcher(), tracker, domain)

    conversation = stored_conversation_id(sender)
    assert conversation.startswith("tel-") and stored_rows(loaded_db_url, sender) == []
    [row] = stored_rows(loaded_db_url, conversation)
    assert (row.first_name, row.phone) == ("Kari", "+4791234567")
    # Reception's worklist, the one place a phone number is shown, has the number the patient typed.
    with Session(review_engine(loaded_db_url)) as session:
        items = [item for item in callback_items(session) if item.conversation_id == conversation]
    assert [(item.first_name, item.phone) for item in items] == [("Kari", "+4791234567")]
    assert "99887766" not in repr(items)
