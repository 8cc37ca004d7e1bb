"""The exercise coach: tailoring questions, suggestions, ratings and the week plan.

Rules live in ryggvett/exercise_coach.py, answer reading in ryggvett/answer_parsing.py,
storage in ryggvett/exercise_progress.py; these classes only connect them to Rasa.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Mapping, Sequence

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.answer_reading_form import AnswerReadingForm
from actions.reference import reference_base
from actions.tracker_utils import conversation_key, language_of
from ryggvett import settings
from ryggvett.answer_parsing import (
    ACTIVITY_OPTIONS,
    CONFIDENCE_OPTIONS,
    parse_choice,
    parse_rating,
    parse_scale,
    parse_yes_no,
)
from ryggvett.answers import exercise_should_wait
from ryggvett.exercise_coach import HIGH_PAIN, RATINGS, Choice, Profile, choose_exercises, week_plan
from ryggvett.exercise_progress import Progress, load_progress, save_ratings, save_suggestion
from ryggvett.reference.exercise_library import Exercise
from ryggvett.responses import render
from ryggvett.triage import holds_back_exercise

FORM_SLOTS = ("exercise_screen", "exercise_pain", "exercise_leg_pain", "exercise_activity", "exercise_confidence")
PAIN_GUIDANCE_SOURCE = "thomee-1997"


def _red_flag_open(tracker: Tracker) -> bool:
    return bool(tracker.get_slot("red_flag_raised")) and holds_back_exercise(tracker.get_slot("red_flag_tier"))


def _ended_early(tracker: Tracker) -> bool:
    """The person left the questions, or the safety check said a clinician should see them first."""
    return tracker.get_slot("exercise_stopped") is True or tracker.get_slot("exercise_screen") is True


def _reset_form() -> List[EventType]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("exercise_stopped", False)]


class ValidateExerciseForm(AnswerReadingForm):
    """Each answer is read from the typed text or the button's text; "stopp" leaves the form."""

    stopped_slot = "exercise_stopped"

    def name(self) -> str:
        return "validate_exercise_form"

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        # Nothing more is asked once the person leaves, a red flag is open, or the safety check says wait.
        # `is True`: before validation the slot still holds the raw answer ("Nei").
        if _ended_early(tracker) or _red_flag_open(tracker):
            return []
        return domain_slots

    def validate_exercise_screen(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._read("exercise_screen", value, parse_yes_no, "utter_exercise_invalid_choice", dispatcher)

    def validate_exercise_pain(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._read("exercise_pain", value, parse_scale, "utter_exercise_invalid_number", dispatcher)

    def validate_exercise_leg_pain(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._read("exercise_leg_pain", value, parse_yes_no, "utter_exercise_invalid_choice", dispatcher)

    def validate_exercise_activity(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._read(
            "exercise_activity",
            value,
            lambda text: parse_choice(text, ACTIVITY_OPTIONS),
            "utter_exercise_invalid_choice",
            dispatcher,
        )

    def validate_exercise_confidence(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._read(
            "exercise_confidence",
            value,
            lambda text: parse_choice(text, CONFIDENCE_OPTIONS),
            "utter_exercise_invalid_choice",
            dispatcher,
        )


def _profile_of(raw: Any) -> Profile | None:
    if not isinstance(raw, Mapping):
        return None
    try:
        return Profile(int(raw["pain_now"]), bool(raw["leg_pain"]), str(raw["activity"]), str(raw["confidence"]))
    except (KeyError, TypeError, ValueError):
        return None


def _profile_slot(profile: Profile) -> Dict[str, Any]:
    return {
        "pain_now": profile.pain_now,
        "leg_pain": profile.leg_pain,
        "activity": profile.activity,
        "confidence": profile.confidence,
    }


def _dose(exercise: Exercise, responses: Mapping[str, Any], language: str) -> str:
    dose = exercise.dose
    if "minutes" in dose:
        return render(responses, "utter_dose_minutes", language, minutes=dose["minutes"])["text"]
    if "seconds" in dose:
        return render(responses, "utter_dose_seconds", language, sets=dose["sets"], seconds=dose["seconds"])["text"]
    return render(responses, "utter_dose_reps", language, sets=dose["sets"], reps=dose["reps"])["text"]


def _present(
    dispatcher: CollectingDispatcher,
    domain: DomainDict,
    language: str,
    profile: Profile,
    choices: Sequence[Choice],
) -> None:
    """Today's exercises as cards with illustrations, the pain traffic light, sources and the rating question."""
    responses = domain.get("responses", {})
    dispatcher.utter_message(
        response="utter_exercise_intro_high_pain" if profile.pain_now >= HIGH_PAIN else "utter_exercise_intro"
    )
    if profile.leg_pain:
        dispatcher.utter_message(response="utter_exercise_intro_leg_pain")
    for choice in choices:
        exercise = choice.exercise
        text = exercise.texts[language]
        dispatcher.utter_message(
            response="utter_exercise_card",
            name=text.name,
            dose=_dose(exercise, responses, language),
            steps="\n".join(f"{number}. {step}" for number, step in enumerate(text.steps, start=1)),
            feel=text.feel,
            stop=text.stop,
            cautions=text.cautions,
            image_url=settings.illustration_url(exercise.illustration),
        )
    _guidance_and_sources(dispatcher, [choice.exercise for choice in choices])
    dispatcher.utter_message(response="utter_ask_exercise_rating")


def _guidance_and_sources(dispatcher: CollectingDispatcher, exercises: Sequence[Exercise]) -> None:
    """The pain traffic light, then the sources of the exercises and of the traffic light."""
    base = reference_base()
    dispatcher.utter_message(response="utter_exercise_pain_guidance")
    source_keys = dict.fromkeys(key for exercise in exercises for key in exercise.sources)
    source_keys.setdefault(PAIN_GUIDANCE_SOURCE)
    sources = "; ".join(base.sources[key].short for key in source_keys if key in base.sources)
    dispatcher.utter_message(response="utter_exercise_source", sources=sources)


def _suggest(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
    profile: Profile,
    progress: Progress,
    previous: Sequence[str],
) -> List[EventType]:
    choices = choose_exercises(reference_base().exercises, profile, progress.ratings, previous)
    keys = [choice.exercise.key for choice in choices]
    _present(dispatcher, domain, language_of(tracker), profile, choices)
    save_suggestion(settings.db_url(), conversation_key(tracker), profile, keys)
    return [SlotSet("exercise_profile", _profile_slot(profile)), SlotSet("exercise_set", keys)]


class ActionOfferExercises(Action):
    """After an answer about exercise or movement: offer tailored exercises, unless a red flag is open."""

    def name(self) -> str:
        return "action_offer_exercises"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        if exercise_should_wait(reference_base().card(tracker.get_slot("last_card") or "")):
            return []  # the answer already sent the person to their surgeon, midwife or GP
        dispatcher.utter_message(
            response="utter_exercise_blocked" if _red_flag_open(tracker) else "utter_offer_exercises"
        )
        return []


class ActionSuggestExercises(Action):
    """Runs when the tailoring questions end, however they ended."""

    def name(self) -> str:
        return "action_suggest_exercises"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        if _red_flag_open(tracker):
            dispatcher.utter_message(response="utter_exercise_blocked")
            return _reset_form()
        if tracker.get_slot("exercise_stopped") is True:
            dispatcher.utter_message(response="utter_exercise_stopped")
            return _reset_form()
        if tracker.get_slot("exercise_screen") is True:
            dispatcher.utter_message(response="utter_exercise_screen_positive")
            return _reset_form()
        profile = _profile_of(
            {
                "pain_now": tracker.get_slot("exercise_pain"),
                "leg_pain": tracker.get_slot("exercise_leg_pain"),
                "activity": tracker.get_slot("exercise_activity"),
                "confidence": tracker.get_slot("exercise_confidence"),
            }
        )
        if profile is None:
            dispatcher.utter_message(response="utter_exercise_stopped")
            return _reset_form()
        progress = load_progress(settings.db_url(), conversation_key(tracker))
        return _suggest(dispatcher, tracker, domain, profile, progress, progress.previous) + _reset_form()


def _known_exercises(tracker: Tracker, progress: Progress) -> tuple[Profile | None, list[str]]:
    """Today's profile and last set: from this conversation, else from the person's earlier ones."""
    profile = _profile_of(tracker.get_slot("exercise_profile")) or progress.profile
    previous = list(tracker.get_slot("exercise_set") or progress.previous)
    return profile, previous


class _AfterSuggestion(Action, ABC):
    """Ratings and the week plan: no exercise while a red flag is open, and the questions first if needed."""

    missing_response: str
    needs_previous_set: bool

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        if _red_flag_open(tracker):
            dispatcher.utter_message(response="utter_exercise_blocked")
            return []
        progress = load_progress(settings.db_url(), conversation_key(tracker))
        profile, previous = _known_exercises(tracker, progress)
        if profile is None or (self.needs_previous_set and not previous):
            dispatcher.utter_message(response=self.missing_response)
            return [FollowupAction("exercise_form")]
        return self.answer(dispatcher, tracker, domain, profile, previous, progress)

    @abstractmethod
    def answer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        profile: Profile,
        previous: list[str],
        progress: Progress,
    ) -> List[EventType]: ...


class ActionRateExercises(_AfterSuggestion):
    """Too easy, right, too hard or worse: stored, acknowledged, and the next set follows at once."""

    missing_response = "utter_exercise_nothing_to_rate"
    needs_previous_set = True

    def name(self) -> str:
        return "action_rate_exercises"

    def answer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        profile: Profile,
        previous: list[str],
        progress: Progress,
    ) -> List[EventType]:
        given = next(
            (
                e.get("value")
                for e in tracker.latest_message.get("entities") or ()
                if e.get("entity") == "exercise_rating"
            ),
            None,
        )
        rating = given if given in RATINGS else parse_rating(tracker.latest_message.get("text") or "")
        if rating is None:
            dispatcher.utter_message(response="utter_ask_exercise_rating")
            return []
        url = settings.db_url()
        save_ratings(url, conversation_key(tracker), previous, rating)
        dispatcher.utter_message(response=f"utter_exercise_rated_{rating}")
        return _suggest(dispatcher, tracker, domain, profile, load_progress(url, conversation_key(tracker)), previous)


class ActionWeekPlan(_AfterSuggestion):
    """Three sessions of today's exercises and a daily walking goal, by the same rules."""

    missing_response = "utter_exercise_first_questions"
    needs_previous_set = False

    def name(self) -> str:
        return "action_week_plan"

    def answer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        profile: Profile,
        previous: list[str],
        progress: Progress,
    ) -> List[EventType]:
        language = language_of(tracker)
        responses = domain.get("responses", {})
        plan = week_plan(reference_base().exercises, profile, progress.ratings, previous)
        days = render(responses, "utter_week_plan_days", language)["text"].split("|")
        sessions = "\n".join(
            render(
                responses,
                "utter_week_plan_session",
                language,
                number=number,
                day=days[(number - 1) % len(days)],
                exercises=", ".join(f"{e.texts[language].name} ({_dose(e, responses, language)})" for e in session),
            )["text"]
            for number, session in enumerate(plan.sessions, start=1)
        )
        dispatcher.utter_message(response="utter_week_plan", sessions=sessions, walking_minutes=plan.walking_minutes)
        _guidance_and_sources(dispatcher, plan.sessions[0])
        return []
