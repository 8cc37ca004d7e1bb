"""Reading typed or button answers to the exercise questions (ryggvett.answer_parsing), table-driven."""

from __future__ import annotations

import pytest

from ryggvett.answer_parsing import (
    ACTIVITY_OPTIONS,
    CONFIDENCE_OPTIONS,
    RATING_OPTIONS,
    is_stop_request,
    parse_choice,
    parse_rating,
    parse_scale,
    parse_yes_no,
)

# --- parse_scale ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("6", 6, id="digit"),
        pytest.param("  6 ", 6, id="digit-spaces"),
        pytest.param("0", 0, id="zero_digit"),
        pytest.param("10", 10, id="ten_digit"),
        pytest.param("ca 6", 6, id="ca"),
        pytest.param("about six", 6, id="about_six"),
        pytest.param("around 6/10", 6, id="slash_10"),
        pytest.param("6 av 10", 6, id="av_10"),
        pytest.param("7 out of 10", 7, id="out_of_10"),
        pytest.param("10/10", 10, id="ten_out_of_10"),
        pytest.param("5-6", 6, id="range-upper_end"),
        pytest.param("5 – 6", 6, id="range-en_dash"),
        pytest.param("5 til 6", 6, id="range-til"),
        pytest.param("3 or 4", 4, id="range-or"),
        pytest.param("4 eller 5", 5, id="range-eller"),
        pytest.param("6,5", 7, id="decimal_comma-rounds_half_up"),
        pytest.param("6.4", 6, id="decimal_point-rounds_down"),
        pytest.param("7.5", 8, id="decimal_point-rounds_half_up"),
        pytest.param("seks", 6, id="seks"),
        pytest.param("sju", 7, id="sju"),
        pytest.param("syv", 7, id="syv"),
        pytest.param("ti", 10, id="ti"),
        pytest.param("null", 0, id="null"),
        pytest.param("zero", 0, id="zero"),
        pytest.param("en", 1, id="en-alone"),
        pytest.param("one", 1, id="one-alone"),
        pytest.param("fire", 4, id="fire-alone"),
        pytest.param("Kanskje fire", 4, id="kanskje_fire-filler"),
        pytest.param("en smerte på fem", 5, id="en_smerte_pa_fem-en_is_not_a_number"),
        pytest.param("i think it's a seven", 7, id="i_think_its_a_seven"),
        pytest.param("seven out of ten", 7, id="seven_out_of_ten"),
        pytest.param("11", None, id="11-above_scale"),
        pytest.param("100", None, id="100-above_scale"),
        # The minus sign is not read: "-1" reads as 1, not as an out-of-range answer.
        pytest.param("-1", 1, id="minus_1-sign_ignored-reads_as_1"),
        pytest.param("vondt", None, id="no_number"),
        pytest.param("", None, id="empty"),
        pytest.param("to the knee", None, id="to_the_knee-ambiguous_word_not_alone"),
        pytest.param("en del", None, id="en_del-ambiguous_word_not_alone"),
        # A mention of the scale itself is not the answer.
        pytest.param("6 on a 0-10 scale", 6, id="scale_mention_0_10-is_not_a_range"),
    ],
)
def test_parse_scale(text, expected):
    assert parse_scale(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("3", 3, id="inside"),
        pytest.param("1", 1, id="low_end"),
        pytest.param("5", 5, id="high_end"),
        pytest.param("0", None, id="below"),
        pytest.param("6", None, id="above"),
    ],
)
def test_parse_scale_custom_bounds(text, expected):
    assert parse_scale(text, low=1, high=5) == expected


# --- parse_yes_no --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("ja", True, id="ja"),
        pytest.param("Ja", True, id="Ja-button_payload"),
        pytest.param("jo", True, id="jo"),
        pytest.param("yes", True, id="yes"),
        pytest.param("yep", True, id="yep"),
        pytest.param("Ja, noe av dette", True, id="ja_noe_av_dette-button_title"),
        pytest.param("/affirm", True, id="affirm_payload"),
        pytest.param(" /affirm ", True, id="affirm_payload-spaces"),
        pytest.param("nei", False, id="nei"),
        pytest.param("Nei", False, id="Nei-button_payload"),
        pytest.param("no", False, id="no"),
        pytest.param("Nei, ingenting av dette", False, id="nei_ingenting_av_dette-button_title"),
        pytest.param("ingen", False, id="ingen"),
        pytest.param("/deny", False, id="deny_payload"),
        pytest.param("kanskje", None, id="kanskje-neither"),
        pytest.param("", None, id="empty"),
        pytest.param("ja nei", None, id="ja_nei-both"),
        pytest.param("yes and no", None, id="yes_and_no-both"),
    ],
)
def test_parse_yes_no(text, expected):
    assert parse_yes_no(text) is expected


# --- parse_choice --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("lite aktiv", "low", id="button-lite_aktiv"),
        pytest.param("litt aktiv", "some", id="button-litt_aktiv"),
        pytest.param("trener jevnlig", "high", id="button-trener_jevnlig"),
        pytest.param("mostly sitting", "low", id="button-mostly_sitting"),
        pytest.param("somewhat active", "some", id="button-somewhat_active"),
        pytest.param("train regularly", "high", id="button-train_regularly"),
        pytest.param("Lite aktiv", "low", id="button-case_insensitive"),
        pytest.param("jeg sitter mest", "low", id="typed-jeg_sitter_mest"),
        pytest.param("not very active", "low", id="typed-not_very_active-longest_keyword_wins"),
        pytest.param("very active", "high", id="typed-very_active"),
        pytest.param("a bit", "some", id="typed-a_bit"),
        pytest.param("banana", None, id="typed-banana"),
        pytest.param("", None, id="empty"),
    ],
)
def test_parse_choice_activity(text, expected):
    assert parse_choice(text, ACTIVITY_OPTIONS) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("lite trygg", "low", id="lite_trygg"),
        pytest.param("ganske trygg", "medium", id="ganske_trygg"),
        pytest.param("veldig trygg", "high", id="veldig_trygg"),
        pytest.param("not confident", "low", id="not_confident"),
        pytest.param("fairly confident", "medium", id="fairly_confident"),
        pytest.param("very confident", "high", id="very_confident"),
        pytest.param("ikke trygg", "low", id="ikke_trygg-beats_trygg"),
        pytest.param("trygg", "high", id="trygg"),
        pytest.param("banana", None, id="banana"),
    ],
)
def test_parse_choice_confidence(text, expected):
    assert parse_choice(text, CONFIDENCE_OPTIONS) == expected


@pytest.mark.parametrize(
    ("options", "text", "expected"),
    [
        pytest.param({"a": ("x",), "b": ("x y",)}, "x y", "b", id="longer_keyword_wins"),
        pytest.param({"a": ("x",), "b": ("y",)}, "x y", "a", id="equal_length-first_option_wins"),
        pytest.param({"a": ("bit",)}, "a bitter taste", None, id="whole_words_only"),
        pytest.param({"a": ("x y",)}, "X,  y!", "a", id="punctuation_and_spaces_ignored"),
    ],
)
def test_parse_choice_matching(options, text, expected):
    assert parse_choice(text, options) == expected


# --- parse_rating --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("for lett", "too_easy", id="for_lett"),
        pytest.param("too easy", "too_easy", id="too_easy"),
        pytest.param("øvelsene var for lette", "too_easy", id="ovelsene_var_for_lette"),
        pytest.param("passe", "right", id="passe"),
        pytest.param("just right", "right", id="just_right"),
        pytest.param("for tungt", "too_hard", id="for_tungt"),
        pytest.param("too hard", "too_hard", id="too_hard"),
        pytest.param("it hurt more", "worse", id="it_hurt_more"),
        pytest.param("det ble vondere", "worse", id="det_ble_vondere"),
        pytest.param("the exercises made my pain worse", "worse", id="made_my_pain_worse"),
        pytest.param("hei", None, id="hei"),
        pytest.param("", None, id="empty"),
        # Negated: the person says the pain did NOT get worse; reading "worse" would drop the exercise for good.
        pytest.param("det ble ikke vondere", None, id="ikke_vondere-negation_is_not_worse"),
    ],
)
def test_parse_rating(text, expected):
    assert parse_rating(text) == expected


def test_rating_values():
    assert set(RATING_OPTIONS) == {"too_easy", "right", "too_hard", "worse"}


# --- is_stop_request -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("stopp", True, id="stopp"),
        pytest.param("Avbryt", True, id="Avbryt-case_insensitive"),
        pytest.param("cancel", True, id="cancel"),
        pytest.param("stop", True, id="stop"),
        pytest.param("  stop please", True, id="stop_please-leading_spaces"),
        pytest.param("jeg vil ikke mer", True, id="jeg_vil_ikke_mer"),
        pytest.param("hopp over", True, id="hopp_over"),
        pytest.param("nok nå", True, id="nok_na"),
        pytest.param("never mind", True, id="never_mind"),
        # "stopp" followed by more letters is another word (a question about walking), not a stop request.
        pytest.param("stopper det å gå tur?", False, id="stopper_det-question_not_stop"),
        pytest.param("stopped", False, id="stopped-not_stop"),
        pytest.param("6", False, id="number"),
        pytest.param("nei", False, id="nei"),
        pytest.param("jeg vil stoppe", False, id="stop_word_not_first"),
        # Ordinary answers that merely start with "ikke mer" / "no more" are not requests to leave.
        pytest.param("ikke mer enn før", False, id="ikke_mer_enn_for-answer_not_stop"),
        pytest.param("no more than a 3", False, id="no_more_than_a_3-answer_not_stop"),
    ],
)
def test_is_stop_request(text, expected):
    assert is_stop_request(text) is expected
