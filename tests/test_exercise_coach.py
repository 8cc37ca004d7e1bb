"""Exercise selection and progression rules (ryggvett.exercise_coach), table-driven.

Most tests use a small synthetic library built so that every rule and fallback is reachable;
the last ones sweep the real curated library.
"""

from __future__ import annotations

import itertools

import pytest

from ryggvett.exercise_coach import (
    ACTIVITY_LEVELS,
    CAUTIOUS_CATEGORIES,
    CONFIDENCE_LEVELS,
    EASY,
    GENTLE_CATEGORIES,
    HARD,
    MEDIUM,
    RATINGS,
    STANDARD_CATEGORIES,
    Profile,
    categories_for,
    choose_exercises,
    latest_ratings,
    level_cap,
    target_level,
    week_plan,
)
from ryggvett.reference.exercise_library import LEVELS, Exercise, ExerciseLibrary, ExerciseText

WALKING_GOALS = {"easy": 10, "medium": 20, "hard": 30}


def ex(key: str, category: str, level: str, end_range: bool = False) -> Exercise:
    text = ExerciseText(name=key, steps=(f"do {key}",), feel="fine", stop="if it hurts", cautions="none")
    return Exercise(
        key=key,
        category=category,
        level=level,
        end_range=end_range,
        dose={"sets": 2, "reps": 10},
        sources=("owen-2020",),
        illustration=f"{key}.svg",
        texts={"nb": text, "en": text},
    )


# Library order matters: the first of equally good candidates wins.
LIBRARY = ExerciseLibrary(
    exercises=[
        ex("mob_easy_a", "mobility", "easy"),
        ex("mob_easy_b", "mobility", "easy"),
        ex("mob_medium_er", "mobility", "medium", end_range=True),
        ex("trunk_easy", "trunk", "easy"),
        ex("trunk_medium", "trunk", "medium"),
        ex("trunk_hard", "trunk", "hard"),
        ex("hip_easy", "hip_leg", "easy"),
        ex("hip_medium_er", "hip_leg", "medium", end_range=True),
        ex("hip_medium", "hip_leg", "medium"),
        ex("hip_hard", "hip_leg", "hard"),
        ex("walk_easy", "aerobic", "easy"),
        ex("walk_medium", "aerobic", "medium"),
        ex("walk_hard", "aerobic", "hard"),
        ex("relax_easy", "relaxation", "easy"),
    ],
    walking_goal_minutes=dict(WALKING_GOALS),
)

# Categories with a missing level, to reach the fallbacks.
GAPPY = ExerciseLibrary(
    exercises=[
        ex("mob_easy", "mobility", "easy"),
        ex("trunk_easy", "trunk", "easy"),
        ex("trunk_hard", "trunk", "hard"),  # no medium trunk exercise
        ex("hip_easy", "hip_leg", "easy"),
        ex("hip_medium", "hip_leg", "medium"),  # no hard hip_leg exercise
        ex("walk_easy", "aerobic", "easy"),
        ex("walk_hard", "aerobic", "hard"),  # no medium aerobic exercise
        ex("relax_easy", "relaxation", "easy"),
    ],
    walking_goal_minutes=dict(WALKING_GOALS),
)


def profile(pain: int = 2, leg_pain: bool = False, activity: str = "some", confidence: str = "medium") -> Profile:
    return Profile(pain_now=pain, leg_pain=leg_pain, activity=activity, confidence=confidence)


def keys(choices) -> list[str]:
    return [choice.exercise.key for choice in choices]


# Standard (trunk, hip_leg, aerobic) profiles starting easy / medium / hard, and a cautious one.
EASY_START = profile(activity="low", confidence="medium")
MEDIUM_START = profile(activity="some", confidence="medium")
HARD_START = profile(activity="high", confidence="high")
CAUTIOUS = profile(activity="some", confidence="low")


# --- level_cap, target_level, categories_for -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pain", "cap"),
    [
        pytest.param(0, HARD, id="pain0-hard"),
        pytest.param(3, HARD, id="pain3-hard"),
        pytest.param(4, MEDIUM, id="pain4-medium"),
        pytest.param(6, MEDIUM, id="pain6-medium"),
        pytest.param(7, EASY, id="pain7-easy"),
        pytest.param(10, EASY, id="pain10-easy"),
    ],
)
def test_level_cap(pain, cap):
    assert level_cap(profile(pain=pain)) == cap


@pytest.mark.parametrize(
    ("activity", "confidence", "pain", "level"),
    [
        pytest.param("low", "low", 0, EASY, id="low-low-easy"),
        pytest.param("low", "medium", 0, EASY, id="low_activity-easy"),
        pytest.param("low", "high", 0, EASY, id="low_activity_confident-easy"),
        pytest.param("some", "low", 0, EASY, id="low_confidence-easy"),
        pytest.param("high", "low", 0, EASY, id="active_not_confident-easy"),
        pytest.param("some", "medium", 0, MEDIUM, id="some-medium-medium"),
        pytest.param("some", "high", 0, MEDIUM, id="some-high-medium"),
        pytest.param("high", "medium", 0, MEDIUM, id="high-medium-medium"),
        pytest.param("high", "high", 0, HARD, id="high-high-hard"),
        pytest.param("high", "high", 3, HARD, id="high-high-pain3-hard"),
        pytest.param("high", "high", 4, MEDIUM, id="high-high-pain4-capped_medium"),
        pytest.param("high", "high", 7, EASY, id="high-high-pain7-capped_easy"),
        pytest.param("some", "medium", 6, MEDIUM, id="some-medium-pain6-medium"),
        pytest.param("some", "medium", 7, EASY, id="some-medium-pain7-capped_easy"),
        pytest.param("low", "low", 10, EASY, id="low-low-pain10-easy"),
    ],
)
def test_target_level(activity, confidence, pain, level):
    assert target_level(profile(pain=pain, activity=activity, confidence=confidence)) == level


@pytest.mark.parametrize(
    ("pain", "confidence", "categories"),
    [
        pytest.param(7, "high", GENTLE_CATEGORIES, id="pain7-gentle"),
        pytest.param(10, "low", GENTLE_CATEGORIES, id="pain10_low_confidence-gentle"),
        pytest.param(6, "low", CAUTIOUS_CATEGORIES, id="pain6_low_confidence-cautious"),
        pytest.param(0, "low", CAUTIOUS_CATEGORIES, id="pain0_low_confidence-cautious"),
        pytest.param(6, "medium", STANDARD_CATEGORIES, id="pain6_medium_confidence-standard"),
        pytest.param(0, "high", STANDARD_CATEGORIES, id="pain0_high_confidence-standard"),
    ],
)
def test_categories_for(pain, confidence, categories):
    assert categories_for(profile(pain=pain, confidence=confidence)) == categories


def test_category_sets():
    assert GENTLE_CATEGORIES == ("mobility", "aerobic", "relaxation")
    assert CAUTIOUS_CATEGORIES == ("mobility", "trunk", "aerobic")
    assert STANDARD_CATEGORIES == ("trunk", "hip_leg", "aerobic")


# --- choose_exercises without history ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("library", "who", "ratings", "expected"),
    [
        pytest.param(LIBRARY, EASY_START, {}, ["trunk_easy", "hip_easy", "walk_easy"], id="standard-easy"),
        pytest.param(LIBRARY, MEDIUM_START, {}, ["trunk_medium", "hip_medium_er", "walk_medium"], id="standard-medium"),
        pytest.param(LIBRARY, HARD_START, {}, ["trunk_hard", "hip_hard", "walk_hard"], id="standard-hard"),
        pytest.param(
            LIBRARY,
            profile(pain=5, activity="high", confidence="high"),
            {},
            ["trunk_medium", "hip_medium_er", "walk_medium"],
            id="hard_start-pain5-capped_medium",
        ),
        pytest.param(LIBRARY, CAUTIOUS, {}, ["mob_easy_a", "trunk_easy", "walk_easy"], id="cautious-easy"),
        pytest.param(
            LIBRARY,
            profile(pain=8, activity="high", confidence="high"),
            {},
            ["mob_easy_a", "walk_easy", "relax_easy"],
            id="pain8-gentle-easy",
        ),
        pytest.param(
            LIBRARY,
            profile(leg_pain=True),
            {},
            ["trunk_medium", "hip_medium", "walk_medium"],
            id="leg_pain-skips_end_range_hip",
        ),
        pytest.param(
            LIBRARY,
            MEDIUM_START,
            {"trunk_medium": "worse"},
            ["trunk_easy", "hip_medium_er", "walk_medium"],
            id="worse_never_again-nearest_easier_wins_tie",
        ),
        pytest.param(
            LIBRARY,
            CAUTIOUS,
            {"mob_easy_a": "worse"},
            ["mob_easy_b", "trunk_easy", "walk_easy"],
            id="worse_never_again-other_easy",
        ),
        pytest.param(
            LIBRARY,
            CAUTIOUS,
            {"mob_easy_a": "worse", "mob_easy_b": "worse"},
            ["mob_medium_er", "trunk_easy", "walk_easy"],
            id="only_end_range_mobility_left-chosen_without_leg_pain",
        ),
        pytest.param(
            LIBRARY,
            profile(leg_pain=True, confidence="low"),
            {"mob_easy_a": "worse", "mob_easy_b": "worse"},
            ["trunk_easy", "walk_easy"],
            id="only_end_range_mobility_left-leg_pain-no_mobility",
        ),
        pytest.param(
            LIBRARY,
            MEDIUM_START,
            {"walk_easy": "worse", "walk_medium": "worse", "walk_hard": "worse"},
            ["trunk_medium", "hip_medium_er"],
            id="category_exhausted-two_exercises",
        ),
        pytest.param(GAPPY, MEDIUM_START, {}, ["trunk_easy", "hip_medium", "walk_easy"], id="gappy-medium-easier_side"),
        pytest.param(GAPPY, HARD_START, {}, ["trunk_hard", "hip_medium", "walk_hard"], id="gappy-hard-closest_easier"),
    ],
)
def test_choose_without_history(library, who, ratings, expected):
    choices = choose_exercises(library, who, ratings)
    assert keys(choices) == expected
    assert all(choice.reason == "new" for choice in choices)


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(Profile(pain, leg, activity, confidence), id=f"pain{pain}-leg{leg}-{activity}-{confidence}")
        for pain, leg, activity, confidence in itertools.product(
            (0, 3, 5, 8), (False, True), ACTIVITY_LEVELS, CONFIDENCE_LEVELS
        )
    ],
)
def test_choose_without_history_invariants(who):
    choices = choose_exercises(LIBRARY, who)
    chosen = [choice.exercise for choice in choices]
    assert [e.category for e in chosen] == list(categories_for(who))  # one per category, in order
    assert len(set(keys(choices))) == len(chosen)
    assert all(e.level_rank <= level_cap(who) for e in chosen)
    assert all(e.level_rank == target_level(who) for e in chosen)
    if who.leg_pain:
        assert not any(e.end_range for e in chosen)


# --- progression (_progress through choose_exercises) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("library", "who", "previous", "rating", "expected_key", "reason"),
    [
        # too easy
        pytest.param(LIBRARY, MEDIUM_START, "trunk_medium", "too_easy", "trunk_hard", "step_up", id="too_easy-step_up"),
        pytest.param(
            LIBRARY,
            EASY_START,
            "hip_easy",
            "too_easy",
            "hip_medium_er",
            "step_up",
            id="too_easy-step_up-first_in_order",
        ),
        pytest.param(
            LIBRARY,
            profile(leg_pain=True),
            "hip_easy",
            "too_easy",
            "hip_medium",
            "step_up",
            id="too_easy-step_up-skips_end_range_with_leg_pain",
        ),
        pytest.param(
            LIBRARY, profile(pain=5), "trunk_medium", "too_easy", "trunk_medium", "at_cap", id="too_easy-pain5-at_cap"
        ),
        pytest.param(LIBRARY, HARD_START, "trunk_hard", "too_easy", "trunk_hard", "at_cap", id="too_easy-hard-at_cap"),
        pytest.param(
            LIBRARY,
            profile(pain=8),
            "walk_easy",
            "too_easy",
            "walk_easy",
            "at_cap",
            id="too_easy-pain8-easy_is_the_cap",
        ),
        pytest.param(
            LIBRARY,
            profile(pain=8),
            "walk_medium",
            "too_easy",
            "walk_easy",
            "new",
            id="too_easy-above_new_cap-new",
        ),
        pytest.param(
            LIBRARY,
            profile(leg_pain=True, confidence="low"),
            "mob_easy_a",
            "too_easy",
            "mob_easy_a",
            "same",
            id="too_easy-harder_is_end_range_with_leg_pain-same",
        ),
        pytest.param(
            LIBRARY,
            CAUTIOUS,
            "mob_easy_a",
            "too_easy",
            "mob_medium_er",
            "step_up",
            id="too_easy-end_range_harder_without_leg_pain-step_up",
        ),
        pytest.param(
            GAPPY, EASY_START, "trunk_easy", "too_easy", "trunk_easy", "same", id="too_easy-no_next_level-same"
        ),
        # right
        pytest.param(LIBRARY, MEDIUM_START, "trunk_medium", "right", "trunk_medium", "same", id="right-same"),
        pytest.param(LIBRARY, MEDIUM_START, "trunk_hard", None, "trunk_hard", "same", id="unrated-same"),
        pytest.param(
            LIBRARY, profile(pain=8), "walk_medium", "right", "walk_easy", "new", id="right-pain_rose_to_8-new_easy"
        ),
        pytest.param(
            LIBRARY,
            profile(pain=5, activity="high", confidence="high"),
            "trunk_hard",
            "right",
            "trunk_medium",
            "new",
            id="right-pain_rose_to_5-new_medium",
        ),
        pytest.param(
            LIBRARY,
            profile(leg_pain=True),
            "hip_medium_er",
            "right",
            "hip_medium",
            "new",
            id="right-end_range_with_new_leg_pain-new",
        ),
        # too hard
        pytest.param(
            LIBRARY, MEDIUM_START, "trunk_medium", "too_hard", "trunk_easy", "step_down", id="too_hard-step_down"
        ),
        pytest.param(
            LIBRARY, HARD_START, "hip_hard", "too_hard", "hip_medium_er", "step_down", id="too_hard-hard-step_down"
        ),
        pytest.param(
            LIBRARY, CAUTIOUS, "mob_easy_a", "too_hard", "mob_easy_b", "swap", id="too_hard-easy-swap_other_easy"
        ),
        pytest.param(
            LIBRARY, CAUTIOUS, "trunk_easy", "too_hard", "trunk_easy", "same", id="too_hard-no_alternative-same"
        ),
        pytest.param(
            LIBRARY,
            profile(pain=8),
            "relax_easy",
            "too_hard",
            "relax_easy",
            "same",
            id="too_hard-only_relaxation-same",
        ),
        # Rule 4: "too hard" steps down. Here the only medium trunk exercise is missing, but an easy one is allowed.
        pytest.param(
            GAPPY,
            HARD_START,
            "trunk_hard",
            "too_hard",
            "trunk_easy",
            "step_down",
            id="too_hard-hard-no_medium-steps_down_to_easy",
        ),
        # worse
        pytest.param(
            LIBRARY, HARD_START, "trunk_hard", "worse", "trunk_medium", "step_down", id="worse-hard-step_down"
        ),
        pytest.param(
            LIBRARY, MEDIUM_START, "trunk_medium", "worse", "trunk_easy", "step_down", id="worse-medium-step_down"
        ),
        pytest.param(
            GAPPY, HARD_START, "trunk_hard", "worse", "trunk_easy", "step_down", id="worse-hard-no_medium-step_down"
        ),
        pytest.param(LIBRARY, CAUTIOUS, "mob_easy_a", "worse", "mob_easy_b", "swap", id="worse-easy-swap_other_easy"),
        pytest.param(
            LIBRARY, EASY_START, "trunk_easy", "worse", "relax_easy", "swap", id="worse-nothing_gentler-relaxation"
        ),
        pytest.param(
            LIBRARY, profile(pain=8), "walk_easy", "worse", "relax_easy", "swap", id="worse-gentle_walk-relaxation"
        ),
    ],
)
def test_progression(library, who, previous, rating, expected_key, reason):
    category = library.get(previous).category
    ratings = {previous: rating} if rating else {}
    choices = choose_exercises(library, who, ratings, [previous])
    position = list(categories_for(who)).index(category)
    choice = choices[position]
    assert (choice.exercise.key, choice.reason) == (expected_key, reason)
    if rating == "worse":
        assert previous not in keys(choices)


def test_progression_of_a_whole_session():
    previous = ["trunk_medium", "hip_medium", "walk_medium"]
    ratings = {"trunk_medium": "too_easy", "hip_medium": "right", "walk_medium": "too_hard"}
    choices = choose_exercises(LIBRARY, MEDIUM_START, ratings, previous)
    assert [(c.exercise.key, c.reason) for c in choices] == [
        ("trunk_hard", "step_up"),
        ("hip_medium", "same"),
        ("walk_easy", "step_down"),
    ]


def test_worse_twice_leaves_relaxation_once():
    """Both gentle slots falling back to relaxation share the single relaxation exercise: no duplicates."""
    ratings = {"mob_easy_a": "worse", "mob_easy_b": "worse", "walk_easy": "worse"}
    choices = choose_exercises(LIBRARY, profile(pain=8), ratings, ["mob_easy_b", "walk_easy"])
    assert [(c.exercise.key, c.reason) for c in choices] == [("relax_easy", "swap")]


def test_previous_from_another_category_is_ignored():
    choices = choose_exercises(LIBRARY, MEDIUM_START, {"relax_easy": "too_easy"}, ["relax_easy", "unknown_key"])
    assert [(c.exercise.key, c.reason) for c in choices] == [
        ("trunk_medium", "new"),
        ("hip_medium_er", "new"),
        ("walk_medium", "new"),
    ]


# --- week_plan -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "ratings", "previous", "minutes"),
    [
        pytest.param(EASY_START, {}, [], 10, id="easy_start-10"),
        pytest.param(MEDIUM_START, {}, [], 20, id="medium_start-20"),
        pytest.param(HARD_START, {}, [], 30, id="hard_start-30"),
        pytest.param(profile(pain=8, activity="high", confidence="high"), {}, [], 10, id="pain8-10"),
        pytest.param(MEDIUM_START, {"walk_medium": "too_easy"}, ["walk_medium"], 30, id="too_easy-steps_up-30"),
        pytest.param(MEDIUM_START, {"walk_medium": "too_hard"}, ["walk_medium"], 10, id="too_hard-steps_down-10"),
        pytest.param(HARD_START, {"walk_hard": "too_hard"}, ["walk_hard"], 20, id="hard_too_hard-steps_down-20"),
        pytest.param(HARD_START, {"walk_hard": "worse"}, ["walk_hard"], 20, id="hard_worse-steps_down-20"),
        pytest.param(MEDIUM_START, {"walk_medium": "worse"}, ["walk_medium"], 10, id="medium_worse-steps_down-10"),
        # The easy walk made the pain worse: relaxation replaces it, and the walking goal must not go up.
        pytest.param(MEDIUM_START, {"walk_easy": "worse"}, ["walk_easy"], 10, id="easy_walk_worse-stays_at_10"),
    ],
)
def test_week_plan_walking_minutes(who, ratings, previous, minutes):
    assert week_plan(LIBRARY, who, ratings, previous).walking_minutes == minutes


@pytest.mark.parametrize(
    ("who", "ratings", "previous"),
    [
        pytest.param(MEDIUM_START, {}, [], id="no_history"),
        pytest.param(CAUTIOUS, {"mob_easy_a": "worse"}, ["mob_easy_a"], id="after_worse"),
        pytest.param(HARD_START, {"trunk_hard": "too_hard"}, ["trunk_hard"], id="after_too_hard"),
    ],
)
def test_week_plan_is_three_sessions_of_todays_choices(who, ratings, previous):
    plan = week_plan(LIBRARY, who, ratings, previous)
    today = tuple(c.exercise for c in choose_exercises(LIBRARY, who, ratings, previous))
    assert plan.sessions == (today, today, today)


@pytest.mark.parametrize(
    ("goals", "minutes"),
    [
        pytest.param({"easy": 15, "hard": 40}, 15, id="missing_level-smallest_goal"),
        pytest.param({}, 0, id="no_goals-0"),
    ],
)
def test_week_plan_walking_goal_fallback(goals, minutes):
    library = ExerciseLibrary(exercises=LIBRARY.exercises, walking_goal_minutes=goals)
    assert week_plan(library, MEDIUM_START).walking_minutes == minutes


# --- latest_ratings ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        pytest.param([], {}, id="empty"),
        pytest.param([("a", "right")], {"a": "right"}, id="single"),
        pytest.param([("a", "too_hard"), ("a", "right"), ("a", "too_easy")], {"a": "too_easy"}, id="latest_wins"),
        pytest.param([("a", "worse"), ("a", "right")], {"a": "worse"}, id="worse_sticks"),
        pytest.param([("a", "too_easy"), ("a", "worse"), ("a", "too_easy")], {"a": "worse"}, id="worse_sticks_later"),
        pytest.param(
            [("a", "right"), ("b", "worse"), ("a", "too_hard"), ("b", "right")],
            {"a": "too_hard", "b": "worse"},
            id="per_exercise",
        ),
    ],
)
def test_latest_ratings(history, expected):
    assert latest_ratings(history) == expected


# --- the real curated library ---------------------------------------------------------------------------------------


def assert_sensible(choices, who: Profile) -> None:
    chosen = [choice.exercise for choice in choices]
    assert 2 <= len(chosen) <= 3, keys(choices)
    assert len({e.key for e in chosen}) == len(chosen), keys(choices)
    assert all(e.level_rank <= level_cap(who) for e in chosen), keys(choices)
    assert any(e.category == "aerobic" for e in chosen), keys(choices)
    if who.leg_pain:
        assert not any(e.end_range for e in chosen), keys(choices)


def test_real_library_has_every_level_where_needed(content):
    library = content.exercises
    assert set(library.walking_goal_minutes) == set(LEVELS)
    for category in ("trunk", "hip_leg", "aerobic"):
        assert {e.level for e in library.exercises if e.category == category} == set(LEVELS), category


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(Profile(pain, leg, activity, confidence), id=f"pain{pain}-leg{leg}-{activity}-{confidence}")
        for pain, leg, activity, confidence in itertools.product(
            range(11), (False, True), ACTIVITY_LEVELS, CONFIDENCE_LEVELS
        )
    ],
)
def test_real_library_every_profile(content, who):
    assert_sensible(choose_exercises(content.exercises, who), who)


@pytest.mark.parametrize("rating", RATINGS)
@pytest.mark.parametrize(
    "who",
    [
        pytest.param(profile(pain=pain, leg_pain=leg), id=f"medium-pain{pain}-leg{leg}")
        for pain, leg in itertools.product((0, 3, 5), (False, True))
    ],
)
def test_real_library_one_round_of_progression(content, who, rating):
    library = content.exercises
    first = choose_exercises(library, who)
    ratings = {key: rating for key in keys(first)}
    second = choose_exercises(library, who, ratings, keys(first))
    assert_sensible(second, who)
    if rating == "worse":
        assert not set(keys(first)) & set(keys(second))
    if rating == "right":
        assert keys(second) == keys(first)
