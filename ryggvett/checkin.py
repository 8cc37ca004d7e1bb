"""The painkiller-habits check-in: which answer cards a reply is built from, and change over time.

Nothing here knows about Rasa. The rules, in order of the reply:
1. Daily use for more than two weeks -> talk to the GP or a pharmacist (never "stop your
   medicine"). More than the leaflet allows is asked on its own and answered at once with
   Giftinformasjonen (actions/actions_checkin.py), before anything else.
2. Any opioid -> opioids are not for long-lasting back pain; talk to the prescriber.
3. No painkillers in the last 7 days -> encouragement; otherwise the main reason picks the card:
   habit or "just in case" -> what painkillers can and cannot do, and an alternative to try;
   fear -> hurt does not mean harm, graded activity; strong pain -> limited effect, keep moving,
   when to see the GP; work or sleep -> staying at work and sleeping well, not pills.
4. Confidence 0-4 out of 10 -> what a programme or a clinician can offer, and a callback.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

REASONS: tuple[str, ...] = ("strong_pain", "habit", "fear", "work_sleep")
KINDS: tuple[str, ...] = ("paracetamol", "nsaid", "opioid", "other")
LOW_CONFIDENCE = 4
# Days out of 7 from which the check-in asks about use over more than two weeks.
NEAR_DAILY = 6
REASON_CARDS = {
    "habit": "checkin_habit",
    "fear": "checkin_fear",
    "strong_pain": "checkin_strong_pain",
    "work_sleep": "checkin_work_sleep",
}


@dataclass(frozen=True)
class Checkin:
    days: int
    confidence: int
    kinds: tuple[str, ...] = ()
    reason: str | None = None
    long_use: bool = False
    when: dt.datetime | None = None


@dataclass(frozen=True)
class Reply:
    cards: tuple[str, ...]
    offer_exercise: bool
    offer_callback: bool


@dataclass(frozen=True)
class Change:
    previous: Checkin
    current: Checkin

    @property
    def days(self) -> int:
        """Painkiller days now minus then: negative is fewer."""
        return self.current.days - self.previous.days

    @property
    def confidence(self) -> int:
        return self.current.confidence - self.previous.confidence


def reply_for(checkin: Checkin) -> Reply:
    cards: list[str] = []
    if checkin.days > 0 and checkin.long_use:
        cards.append("checkin_see_gp")
    if checkin.days > 0 and "opioid" in checkin.kinds:
        cards.append("checkin_opioid")
    if checkin.days == 0:
        cards.append("checkin_no_painkillers")
    elif checkin.reason in REASON_CARDS:
        cards.append(REASON_CARDS[checkin.reason])
    low_confidence = checkin.confidence <= LOW_CONFIDENCE
    if low_confidence:
        cards.append("checkin_low_confidence")
    return Reply(
        cards=tuple(cards),
        offer_exercise=checkin.days > 0 and checkin.reason == "habit",
        offer_callback=low_confidence,
    )


def questions_needed(days: int | None) -> tuple[str, ...]:
    """Which follow-up questions the number of painkiller days calls for."""
    if days is None or days == 0:
        return ()
    if days >= NEAR_DAILY:
        return ("kinds", "reason", "long_use", "over_leaflet")
    return ("kinds", "reason", "over_leaflet")


def change_since(history: Sequence[Checkin], current: Checkin) -> Change | None:
    """The change from the person's latest stored check-in, if there is one."""
    return Change(history[-1], current) if history else None


def trend_word(delta: int, fewer_is_better: bool = True) -> str:
    """better | same | worse, for a change in days (fewer is better) or confidence (more is better)."""
    if delta == 0:
        return "same"
    improved = delta < 0 if fewer_is_better else delta > 0
    return "better" if improved else "worse"
