"""SQL tracker store that masks personal data in what patients wrote before it is stored.

Configured in endpoints.yml as `type: rasa_extensions.masking_tracker_store.MaskingSQLTrackerStore`.
The masking runs when the tracker is saved, after the turn's actions have run,
so the callback form still sees the number it validates and stores.
"""

from __future__ import annotations

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from ryggvett.privacy import mask_personal_data


def mask_personal_events(tracker: DialogueStateTracker) -> None:
    for event in tracker.events:
        if isinstance(event, UserUttered) and event.text:
            masked = mask_personal_data(event.text)
            if masked != event.text:
                event.text = masked
                event.parse_data = {**event.parse_data, "text": masked}
        # A form's from_text slot holds the raw message until validation replaces it.
        elif isinstance(event, SlotSet) and isinstance(event.value, str):
            event.value = mask_personal_data(event.value)


class MaskingSQLTrackerStore(SQLTrackerStore):
    async def save(self, tracker: DialogueStateTracker) -> None:
        mask_personal_events(tracker)
        await super().save(tracker)
