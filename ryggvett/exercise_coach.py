"""Exercise selection and progression: explicit rules over the curated library.

Nothing here knows about Rasa. The rules, in order:
1. Pain 7 or more out of 10 caps every exercise at the easy level and picks gentle
   categories (mobility, walking, relaxation); pain 4-6 caps at medium.
2. The starting level follows activity and confidence: low activity or low
   confidence starts easy, active and confident starts hard, anything else medium,
   never above the pain cap.
3. Pain below the knee leaves out exercises that take the back to the end of its range.
4. An exercise rated earlier steps up (too easy), stays (right), steps down (too
   hard) or is swapped for a gentler one (made the pain worse; never suggested again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from ryggvett.reference.exercise_library import LEVELS, Exercise, ExerciseLibrary

RATINGS: tuple[str, ...] = ("too_easy", "right", "too_hard", "worse")
ACTIVITY_LEVELS: tuple[str, ...] = ("low", "some", "high")
CONFIDENCE_LEVELS: tuple[str, ...] = ("low", "medium", "high")
HIGH_PAIN = 7
MODERATE_PAIN = 4
GENTLE_CATEGORIES: tuple[str, ...] = ("mobility", "aerobic", "relaxation")
CAUTIOUS_CATEGORIES: tuple[str, ...] = ("mobility", "trunk", "aerobic")
STANDARD_CATEGORIES: tuple[str, ...] = ("trunk", "hip_leg", "aerobic")
EASY, MEDIUM, HARD = range(3)


@dataclass(frozen=True)
class Profile:
    """How the person is today, from the tailoring questions."""

    pain_now: int
    leg_pain: bool
    activity: str
    confidence: str


@dataclass(frozen=True)
class Choice:
    exercise: Exercise
    # new | step_up | same | step_down | swap | at_cap (too easy, but pain keeps the level)
    reason: str


@dataclass(frozen=True)
class WeekPlan:
    sessions: tuple[tuple[Exercise, ...], ...]
    walking_minutes: int


def level_cap(profile: Profile) -> int:
    if profile.pain_now >= HIGH_PAIN:
        return EASY
    if profile.pain_now >= MODERATE_PAIN:
        return MEDIUM
    return HARD


def target_level(profile: Profile) -> int:
    if profile.activity == "low" or profile.confidence == "low":
        start = EASY
    elif profile.activity == "high" and profile.confidence == "high":
        start = HARD
    else:
        start = MEDIUM
    return min(start, level_cap(profile))


def categories_for(profile: Profile) -> tuple[str, ...]:
    if profile.pain_now >= HIGH_PAIN:
        return GENTLE_CATEGORIES
    if profile.confidence == "low":
        return CAUTIOUS_CATEGORIES
    return STANDARD_CATEGORIES


def _allowed(exercise: Exercise, profile: Profile, ratings: Mapping[str, str]) -> bool:
    if profile.leg_pain and exercise.end_range:
        return False
    return ratings.get(exercise.key) != "worse" and exercise.level_rank <= level_cap(profile)


def _closest(candidates: Iterable[Exercise], rank: int) -> Exercise | None:
    """The candidate nearest `rank`, preferring the easier side; library order breaks ties."""
    ordered = sorted(
        enumerate(candidates),
        key=lambda item: (abs(item[1].level_rank - rank), item[1].level_rank > rank, item[0]),
    )
    return ordered[0][1] if ordered else None


def _progress(previous: Exercise, rating: str | None, pool: list[Exercise], profile: Profile) -> Choice | None:
    """The next exercise in `previous`'s category, given how the person rated it."""
    cap = level_cap(profile)
    rank = previous.level_rank
    others = [e for e in pool if e.key != previous.key]
    kept = previous if previous in pool else None
    if rating == "too_easy":
        if rank >= cap:
            return Choice(kept, "at_cap") if kept else None
        harder = [e for e in others if e.level_rank == rank + 1]
        return Choice(harder[0], "step_up") if harder else (Choice(kept, "same") if kept else None)
    if rating == "too_hard":
        easier = [e for e in others if e.level_rank < rank]
        if easier:
            return Choice(_closest(easier, rank - 1), "step_down")
        alike = [e for e in others if e.level_rank == rank]
        return Choice(alike[0], "swap") if alike else (Choice(kept, "same") if kept else None)
    if rating == "worse":
        gentler = [e for e in others if e.level_rank <= max(rank - 1, EASY)]
        chosen = _closest(gentler, max(rank - 1, EASY))
        return Choice(chosen, "step_down" if chosen.level_rank < rank else "swap") if chosen else None
    if kept:
        return Choice(kept, "same")
    return None


def choose_exercises(
    library: ExerciseLibrary,
    profile: Profile,
    ratings: Mapping[str, str] | None = None,
    previous: Sequence[str] = (),
) -> list[Choice]:
    """Up to three exercises for today, one per category the profile calls for.

    Fewer only when a person has rated so many exercises as making the pain worse that
    a category has nothing left.
    """
    ratings = ratings or {}
    chosen: list[Choice] = []
    used: set[str] = set()

    def pool(category: str) -> list[Exercise]:
        return [
            e
            for e in library.exercises
            if e.category == category and e.key not in used and _allowed(e, profile, ratings)
        ]

    for category in categories_for(profile):
        candidates = pool(category)
        earlier = next(
            (e for key in previous if (e := library.get(key)) and e.category == category and e.key not in used),
            None,
        )
        choice = _progress(earlier, ratings.get(earlier.key), candidates, profile) if earlier else None
        if choice is None and earlier is not None and ratings.get(earlier.key) == "worse":
            # Nothing gentler left in this category: relaxation instead.
            fallback = _closest(pool("relaxation"), EASY)
            choice = Choice(fallback, "swap") if fallback else None
        if choice is None:
            fresh = _closest(candidates, target_level(profile))
            choice = Choice(fresh, "new") if fresh else None
        if choice is not None:
            chosen.append(choice)
            used.add(choice.exercise.key)
    return chosen


def week_plan(
    library: ExerciseLibrary,
    profile: Profile,
    ratings: Mapping[str, str] | None = None,
    previous: Sequence[str] = (),
) -> WeekPlan:
    """Three sessions of today's exercises and a daily walking goal at the walking exercise's level."""
    choices = choose_exercises(library, profile, ratings, previous)
    exercises = tuple(choice.exercise for choice in choices)
    walking = next((e for e in exercises if e.category == "aerobic"), None)
    # No walking exercise left means walking made the pain worse: the goal drops to the easiest level.
    level = LEVELS[walking.level_rank if walking else EASY]
    minutes = library.walking_goal_minutes.get(level) or min(library.walking_goal_minutes.values(), default=0)
    return WeekPlan(sessions=(exercises, exercises, exercises), walking_minutes=int(minutes))


def latest_ratings(ratings: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Exercise key -> the latest rating, from (key, rating) pairs in time order.

    A "worse" rating stays: an exercise that made the pain worse is not suggested again.
    """
    latest: dict[str, str] = {}
    for key, rating in ratings:
        if latest.get(key) != "worse":
            latest[key] = rating
    return latest
