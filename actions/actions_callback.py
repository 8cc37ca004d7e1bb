"""The callback request form: consent, first name, Norwegian phone number."""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.tracker_utils import conversation_key, language_of
from ryggvett import settings
from ryggvett.callbacks import (
    clean_first_name,
    draft_name,
    latest_request_id,
    mask_phone,
    normalise_phone,
    save_callback_request,
    save_draft_name,
)
from ryggvett.privacy import NAME_MASK
from ryggvett.reception import notice, notify

logger = logging.getLogger(__name__)


class ValidateCallbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_callback_form"

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        # Without consent nothing more is asked, and nothing is stored.
        if tracker.get_slot("callback_consent") is False:
            return ["callback_consent"]
        return domain_slots

    def validate_callback_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return {"callback_consent": bool(value)}

    def validate_callback_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        name = clean_first_name(str(value or ""))
        if name is None:
            dispatcher.utter_message(response="utter_callback_invalid_name")
        else:
            # The log masks the name, so the number's turn can't read it back: it waits in the project's database.
            save_draft_name(settings.db_url(), conversation_key(tracker), name)
        return {"callback_name": name}

    def validate_callback_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        phone = normalise_phone(str(value or ""))
        if phone is None:
            dispatcher.utter_message(response="utter_callback_invalid_phone")
            return {"callback_phone": None}
        conversation_id = conversation_key(tracker)
        name = draft_name(settings.db_url(), conversation_id) or _slot_name(tracker)
        request_id = save_callback_request(settings.db_url(), conversation_id, name, phone, language_of(tracker))
        logger.info("callback request %s stored for %s (phone %s)", request_id, conversation_id, mask_phone(phone))
        # Only the masked number stays in the conversation log; the name is set again for the
        # confirmation («Takk, Kari»), which the tracker store then masks along with it.
        return {"callback_phone": mask_phone(phone), **({"callback_name": name} if name else {})}


def _slot_name(tracker: Tracker) -> str:
    name = tracker.get_slot("callback_name")
    return name if isinstance(name, str) and name != NAME_MASK else ""


async def _tell_reception(conversation_id: str) -> None:
    webhook = settings.reception_webhook_url()
    request_id = latest_request_id(settings.db_url(), conversation_id) if webhook else None
    if request_id is not None:
        payload = notice(request_id, settings.default_language(), settings.dashboard_url())
        await notify(webhook, settings.reception_webhook_token(), payload)


class ActionFinishCallback(Action):
    def name(self) -> str:
        return "action_finish_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        if tracker.get_slot("callback_consent") and tracker.get_slot("callback_phone"):
            within = settings.callback_within(language_of(tracker))
            dispatcher.utter_message(response="utter_callback_confirmed", callback_within=within)
            await _tell_reception(conversation_key(tracker))
        else:
            dispatcher.utter_message(response="utter_callback_declined")
        return [SlotSet("callback_consent", None), SlotSet("callback_phone", None)]
