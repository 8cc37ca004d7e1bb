"""The painkiller-habits check-in: reply cards, follow-up questions, change over time, answer parsing and storage."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest

from ryggvett.answer_parsing import parse_days, parse_kinds, parse_reason
from ryggvett.checkin import (
    REASON_CARDS,
    REASONS,
    Change,
    Checkin,
    Reply,
    change_since,
    questions_needed,
    reply_for,
    trend_word,
)
from ryggvett.checkin_store import aggregate, history, save_checkin
from ryggvett.reference.content import read_terms
from ryggvett.settings import PROJECT_ROOT

# --------------------------------------------------------------------------------------------------------------------
# reply_for: hand-written rows first (literal tuples), then every combination against the rules in the docstring.
# --------------------------------------------------------------------------------------------------------------------

GP = "checkin_see_gp"
OPIOID = "checkin_opioid"
NONE_USED = "checkin_no_painkillers"
LOW = "checkin_low_confidence"


@pytest.mark.parametrize(
    ("checkin", "cards", "offer_exercise", "offer_callback"),
    [
        pytest.param(Checkin(0, 10), (NONE_USED,), False, False, id="no-days-confident"),
        pytest.param(Checkin(0, 4), (NONE_USED, LOW), False, True, id="no-days-low-confidence"),
        pytest.param(
            Checkin(0, 0, ("opioid",), "habit", long_use=True),
            (NONE_USED, LOW),
            False,
            True,
            id="no-days-ignores-long-use-opioid-and-habit",
        ),
        pytest.param(Checkin(3, 5, ("nsaid",), "habit"), ("checkin_habit",), True, False, id="habit-3-days"),
        pytest.param(Checkin(3, 5, ("nsaid",), "fear"), ("checkin_fear",), False, False, id="fear-3-days"),
        pytest.param(
            Checkin(3, 5, ("nsaid",), "strong_pain"), ("checkin_strong_pain",), False, False, id="strong-pain-3-days"
        ),
        pytest.param(
            Checkin(3, 5, ("nsaid",), "work_sleep"), ("checkin_work_sleep",), False, False, id="work-sleep-3-days"
        ),
        pytest.param(Checkin(3, 5, ("nsaid",), None), (), False, False, id="no-reason-no-reason-card"),
        pytest.param(Checkin(3, 4, ("nsaid",), None), (LOW,), False, True, id="no-reason-low-confidence"),
        pytest.param(
            Checkin(7, 10, ("paracetamol",), "fear", long_use=True), (GP, "checkin_fear"), False, False, id="long-use"
        ),
        pytest.param(
            Checkin(3, 10, ("paracetamol", "opioid"), "strong_pain"),
            (OPIOID, "checkin_strong_pain"),
            False,
            False,
            id="opioid",
        ),
        pytest.param(
            Checkin(7, 0, ("opioid",), "habit", long_use=True),
            (GP, OPIOID, "checkin_habit", LOW),
            True,
            True,
            id="everything-in-order",
        ),
        pytest.param(
            Checkin(7, 5, ("opioid",), "work_sleep", long_use=True),
            (GP, OPIOID, "checkin_work_sleep"),
            False,
            False,
            id="confidence-5-is-not-low",
        ),
        pytest.param(Checkin(1, 4, (), "habit"), ("checkin_habit", LOW), True, True, id="one-day-habit-low"),
        pytest.param(Checkin(3, 5, ("nsaid",), "unknown"), (), False, False, id="unknown-reason-no-card"),
    ],
)
def test_reply_for_examples(checkin, cards, offer_exercise, offer_callback):
    assert reply_for(checkin) == Reply(cards=cards, offer_exercise=offer_exercise, offer_callback=offer_callback)


REASON_CARD_NAMES = {
    "strong_pain": "checkin_strong_pain",
    "habit": "checkin_habit",
    "fear": "checkin_fear",
    "work_sleep": "checkin_work_sleep",
}
CONFIDENCES = (0, 4, 5, 10)


COMBINATIONS = list(itertools.product((*REASONS, None), (0, 3, 7), (False, True), (False, True), CONFIDENCES))


@pytest.mark.parametrize(("reason", "days", "long_use", "opioid", "confidence"), COMBINATIONS)
def test_each_rule_of_the_reply_holds_in_every_combination(reason, days, long_use, opioid, confidence):
    """The rules one by one (the literal replies are in test_reply_for_examples), not the function again."""
    kinds = ("paracetamol", "opioid") if opioid else ("paracetamol", "nsaid")
    reply = reply_for(Checkin(days=days, confidence=confidence, kinds=kinds, reason=reason, long_use=long_use))
    cards = list(reply.cards)
    low = confidence <= 4
    # Low confidence: its card last, and a callback offered; otherwise neither.
    assert (LOW in cards) is low and reply.offer_callback is low
    if low:
        assert cards[-1] == LOW
    if days == 0:
        assert cards == [NONE_USED, *([LOW] if low else [])] and not reply.offer_exercise
        return
    # Painkiller days: the GP for long use and the opioid card come first, then the reason's own card.
    assert (GP in cards) is long_use and (OPIOID in cards) is opioid and NONE_USED not in cards
    reason_cards = [card for card in cards if card in REASON_CARD_NAMES.values()]
    assert reason_cards == ([REASON_CARD_NAMES[reason]] if reason else [])
    safety = [card for card in cards if card in (GP, OPIOID)]
    assert cards[: len(safety)] == safety and safety == sorted(safety, key=(GP, OPIOID).index)
    assert reply.offer_exercise is (reason == "habit")


def test_reason_cards_cover_every_reason():
    assert REASON_CARDS == REASON_CARD_NAMES
    assert set(REASONS) == set(REASON_CARDS)


# --------------------------------------------------------------------------------------------------------------------
# questions_needed
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "questions"),
    [
        pytest.param(None, (), id="unknown"),
        pytest.param(0, (), id="0-days"),
        pytest.param(1, ("kinds", "reason", "over_leaflet"), id="1-day"),
        pytest.param(5, ("kinds", "reason", "over_leaflet"), id="5-days"),
        pytest.param(6, ("kinds", "reason", "long_use", "over_leaflet"), id="6-days-near-daily"),
        pytest.param(7, ("kinds", "reason", "long_use", "over_leaflet"), id="7-days"),
    ],
)
def test_questions_needed(days, questions):
    assert questions_needed(days) == questions


# --------------------------------------------------------------------------------------------------------------------
# change_since, Change and trend_word
# --------------------------------------------------------------------------------------------------------------------


def test_change_since_without_history_is_none():
    assert change_since([], Checkin(3, 5)) is None
    assert change_since((), Checkin(3, 5)) is None


def test_change_since_compares_with_the_latest_stored_checkin():
    oldest, latest, current = Checkin(7, 2), Checkin(5, 4), Checkin(3, 6)
    change = change_since([oldest, latest], current)
    assert change == Change(previous=latest, current=current)
    assert change.previous is latest
    assert change.current is current


@pytest.mark.parametrize(
    ("previous", "current", "days", "confidence"),
    [
        pytest.param(Checkin(5, 4), Checkin(3, 6), -2, 2, id="fewer-days-more-confidence"),
        pytest.param(Checkin(3, 6), Checkin(5, 4), 2, -2, id="more-days-less-confidence"),
        pytest.param(Checkin(4, 5), Checkin(4, 5), 0, 0, id="same"),
        pytest.param(Checkin(7, 0), Checkin(0, 10), -7, 10, id="extremes"),
    ],
)
def test_change_signs(previous, current, days, confidence):
    change = Change(previous, current)
    assert change.days == days
    assert change.confidence == confidence


@pytest.mark.parametrize(
    ("delta", "fewer_is_better", "word"),
    [
        pytest.param(-2, True, "better", id="days-fewer"),
        pytest.param(3, True, "worse", id="days-more"),
        pytest.param(0, True, "same", id="days-same"),
        pytest.param(2, False, "better", id="confidence-more"),
        pytest.param(-1, False, "worse", id="confidence-less"),
        pytest.param(0, False, "same", id="confidence-same"),
    ],
)
def test_trend_word(delta, fewer_is_better, word):
    assert trend_word(delta, fewer_is_better=fewer_is_better) == word


def test_trend_word_defaults_to_fewer_is_better():
    assert trend_word(-1) == "better"
    assert trend_word(1) == "worse"
    assert trend_word(0) == "same"


def test_change_and_trend_word_together():
    change = change_since([Checkin(6, 3)], Checkin(2, 7))
    assert trend_word(change.days) == "better"
    assert trend_word(change.confidence, fewer_is_better=False) == "better"


# --------------------------------------------------------------------------------------------------------------------
# parse_days
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days"),
    [
        pytest.param("hver dag", 7, id="hver-dag"),
        pytest.param("daglig", 7, id="daglig"),
        pytest.param("every day", 7, id="every-day"),
        pytest.param("daily", 7, id="daily"),
        pytest.param("nesten hver dag", 6, id="nesten-hver-dag"),
        pytest.param("almost every day", 6, id="almost-every-day"),
        pytest.param("de fleste dagene", 5, id="de-fleste-dagene"),
        pytest.param("most days", 5, id="most-days"),
        pytest.param("annenhver dag", 4, id="annenhver-dag"),
        pytest.param("3 dager", 3, id="3-dager"),
        pytest.param("3 days", 3, id="3-days"),
        pytest.param("noen dager", 3, id="noen-dager"),
        pytest.param("a couple of days", 2, id="a-couple-of-days"),
        pytest.param("en dag", 1, id="en-dag"),
        pytest.param("about 5", 5, id="about-5"),
        pytest.param("ca 4", 4, id="ca-4"),
        pytest.param("2-3 days", 3, id="range-upper-end"),
        pytest.param("ingen", 0, id="ingen"),
        pytest.param("none", 0, id="none"),
        pytest.param("aldri", 0, id="aldri"),
        pytest.param("0", 0, id="zero-digit"),
        pytest.param("ikke hver dag, kanskje 3", 3, id="negated-phrase-skipped"),
        pytest.param("8", None, id="more-than-7"),
        pytest.param("vet ikke", None, id="vet-ikke"),
        pytest.param("", None, id="empty"),
    ],
)
def test_parse_days(text, days):
    assert parse_days(text) == days


# --------------------------------------------------------------------------------------------------------------------
# parse_kinds
# --------------------------------------------------------------------------------------------------------------------

SYNONYMS = {
    "paracet": "paracetamol",
    "paracetamol": "paracetamol",
    "pinex": "paracetamol",
    "pinex forte": "opioid",
    "ibux": "nsaid",
    "ibuprofen": "nsaid",
    "voltaren": "nsaid",
    "kodein": "opioid",
    "codeine": "opioid",
    "tramadol": "opioid",
}


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        pytest.param("Paracet og Ibux", ("paracetamol", "nsaid"), id="paracet-og-ibux"),
        pytest.param("pinex forte", ("opioid",), id="longer-name-wins"),
        pytest.param("kodein", ("opioid",), id="kodein"),
        pytest.param("paracetamol and ibuprofen", ("paracetamol", "nsaid"), id="english"),
        pytest.param("vet ikke", ("other",), id="vet-ikke"),
        pytest.param("don't know", ("other",), id="dont-know"),
        pytest.param("annet", ("other",), id="annet"),
        pytest.param("ingenting", None, id="ingenting"),
        pytest.param("", None, id="empty"),
    ],
)
def test_parse_kinds(text, kinds):
    assert parse_kinds(text, SYNONYMS) == kinds


@pytest.fixture(scope="module")
def real_medication_synonyms():
    terms = read_terms(PROJECT_ROOT / "content" / "terms.yml")
    return {term.synonym: term.value for term in terms if term.entity == "medication"}


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        pytest.param("Paracet og Ibux", ("paracetamol", "nsaid"), id="paracet-og-ibux"),
        pytest.param("Voltaren", ("nsaid",), id="voltaren"),
        pytest.param("tramadol", ("opioid",), id="tramadol"),
        pytest.param("Pinex Forte", ("opioid",), id="pinex-forte"),
    ],
)
def test_parse_kinds_with_the_real_terms(real_medication_synonyms, text, kinds):
    assert parse_kinds(text, real_medication_synonyms) == kinds


# --------------------------------------------------------------------------------------------------------------------
# parse_reason
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("sterke smerter", "strong_pain", id="button-sterke-smerter"),
        pytest.param("vane", "habit", id="button-vane"),
        pytest.param("redd", "fear", id="button-redd"),
        pytest.param("jobb eller søvn", "work_sleep", id="button-jobb-eller-sovn"),
        pytest.param("strong pain", "strong_pain", id="button-strong-pain"),
        pytest.param("habit", "habit", id="button-habit"),
        pytest.param("afraid", "fear", id="button-afraid"),
        pytest.param("work or sleep", "work_sleep", id="button-work-or-sleep"),
        pytest.param("for sikkerhets skyld", "habit", id="typed-for-sikkerhets-skyld"),
        pytest.param("just in case", "habit", id="typed-just-in-case"),
        pytest.param("jeg var redd for å gjøre det verre", "fear", id="typed-redd-for-verre"),
        pytest.param("for å klare jobben", "work_sleep", id="typed-klare-jobben"),
        pytest.param("so I could sleep", "work_sleep", id="typed-so-i-could-sleep"),
        pytest.param("hei", None, id="unrelated"),
    ],
)
def test_parse_reason(text, reason):
    assert parse_reason(text) == reason


# --------------------------------------------------------------------------------------------------------------------
# checkin_store on a real SQLite file
# --------------------------------------------------------------------------------------------------------------------


@pytest.fixture()
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'c.db'}"


ANNE_FIRST = Checkin(5, 3, ("paracetamol", "nsaid"), "habit", long_use=False)
ANNE_LATEST = Checkin(2, 6, ("opioid",), "fear", long_use=True)
BJORN = Checkin(0, 8)


@pytest.fixture()
def saved(url):
    """Two check-ins for anne, one for bjorn; returns the time window they were saved in."""
    before = dt.datetime.now(dt.timezone.utc)
    save_checkin(url, "anne", ANNE_FIRST)
    save_checkin(url, "bjorn", BJORN)
    save_checkin(url, "anne", ANNE_LATEST)
    after = dt.datetime.now(dt.timezone.utc)
    return before, after


def _without_when(checkin):
    return dataclasses.replace(checkin, when=None)


def test_history_returns_the_senders_checkins_oldest_first(url, saved):
    stored = history(url, "anne")
    assert [_without_when(checkin) for checkin in stored] == [ANNE_FIRST, ANNE_LATEST]
    assert [_without_when(checkin) for checkin in history(url, "bjorn")] == [BJORN]


def test_history_when_is_timezone_aware_and_in_the_save_window(url, saved):
    before, after = saved
    stored = history(url, "anne") + history(url, "bjorn")
    for checkin in stored:
        assert checkin.when is not None
        assert checkin.when.tzinfo is not None
        assert checkin.when.utcoffset() == dt.timedelta(0)
        assert before <= checkin.when <= after
    anne = history(url, "anne")
    assert anne[0].when <= anne[1].when


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        pytest.param(1, [ANNE_LATEST], id="limit-1-latest-only"),
        pytest.param(2, [ANNE_FIRST, ANNE_LATEST], id="limit-2"),
        pytest.param(6, [ANNE_FIRST, ANNE_LATEST], id="limit-above-count"),
    ],
)
def test_history_limit(url, saved, limit, expected):
    assert [_without_when(checkin) for checkin in history(url, "anne", limit=limit)] == expected


def test_history_of_an_unknown_sender_is_empty(url, saved):
    assert history(url, "nobody") == []


def test_history_feeds_change_since(url, saved):
    change = change_since(history(url, "anne"), Checkin(1, 8))
    assert _without_when(change.previous) == ANNE_LATEST
    assert change.days == -1
    assert change.confidence == 2


def test_aggregate(url, saved):
    figures = aggregate(url)
    assert figures.checkins == 3
    assert figures.people == 2
    assert figures.mean_days == pytest.approx((5 + 2 + 0) / 3)
    assert figures.mean_confidence == pytest.approx((3 + 6 + 8) / 3)
    assert figures.reasons == {"habit": 1, "fear": 1, "none": 1}
    assert figures.returning_people == 1
    assert figures.fewer_days == 1
    assert figures.more_confidence == 1


def test_aggregate_counts_only_improvements_among_returning_people(url, saved):
    # carl comes back with more days and less confidence; dina the same; anne (fixture) improved on both.
    save_checkin(url, "carl", Checkin(2, 6, reason="work_sleep"))
    save_checkin(url, "carl", Checkin(4, 5, reason="strong_pain"))
    save_checkin(url, "dina", Checkin(3, 5, reason="habit"))
    save_checkin(url, "dina", Checkin(3, 5, reason="habit"))
    figures = aggregate(url)
    assert figures.checkins == 7
    assert figures.people == 4
    assert figures.reasons == {"habit": 3, "fear": 1, "none": 1, "work_sleep": 1, "strong_pain": 1}
    assert figures.returning_people == 3
    assert figures.fewer_days == 1
    assert figures.more_confidence == 1


def test_aggregate_compares_first_with_latest_not_neighbours(url):
    save_checkin(url, "erik", Checkin(6, 2))
    save_checkin(url, "erik", Checkin(1, 9))
    save_checkin(url, "erik", Checkin(4, 4))
    figures = aggregate(url)
    assert figures.returning_people == 1
    assert figures.fewer_days == 1  # 6 -> 4
    assert figures.more_confidence == 1  # 2 -> 4


def test_aggregate_since_the_future_is_empty(url, saved):
    figures = aggregate(url, since=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
    assert figures.checkins == 0
    assert figures.people == 0
    assert figures.mean_days == 0.0
    assert figures.mean_confidence == 0.0
    assert figures.reasons == {}
    assert figures.returning_people == 0
    assert figures.fewer_days == 0
    assert figures.more_confidence == 0


def test_aggregate_since_the_past_counts_everything(url, saved):
    before, _ = saved
    assert aggregate(url, since=before - dt.timedelta(minutes=1)).checkins == 3


def test_aggregate_of_an_empty_store(url):
    figures = aggregate(url)
    assert (figures.checkins, figures.people, figures.returning_people) == (0, 0, 0)
    assert figures.reasons == {}


OSLO_SUMMER = dt.timezone(dt.timedelta(hours=2), "CEST")
NEW_YORK = dt.timezone(dt.timedelta(hours=-5), "EST")


@pytest.mark.parametrize(
    ("offset", "zone", "expected"),
    [
        pytest.param(dt.timedelta(minutes=-5), OSLO_SUMMER, 3, id="5-minutes-ago-in-oslo-time-includes-all"),
        pytest.param(dt.timedelta(minutes=30), NEW_YORK, 0, id="in-30-minutes-in-new-york-time-includes-none"),
    ],
)
def test_aggregate_since_respects_the_timezone(url, saved, offset, zone, expected):
    """`since` is an instant: the same instant in another timezone must select the same rows."""
    since = (dt.datetime.now(dt.timezone.utc) + offset).astimezone(zone)
    assert aggregate(url, since=since).checkins == expected
