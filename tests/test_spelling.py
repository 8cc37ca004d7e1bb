"""Spelling repair against the training vocabulary."""

from __future__ import annotations

from ryggvett.spelling_repair import Vocabulary, one_edit

VOCABULARY = Vocabulary.from_words(("ryggen " * 5 + "vondt " * 5 + "løfte " * 4 + "løse " * 3 + "gjøre " * 1).split())


def test_one_edit_covers_dropped_doubled_swapped_and_wrong_letters():
    for typo in ("rygen", "ryggenn", "rygegn", "ryfgen"):
        assert "ryggen" in one_edit(typo)


def test_a_misspelled_word_reads_as_the_frequent_training_word():
    assert VOCABULARY.correct("rygen") == "ryggen"
    assert VOCABULARY.correct("vonndt") == "vondt"
    assert VOCABULARY.correct("løfet") == "løfte"


def test_known_short_rare_and_unlike_words_stay_as_written():
    assert VOCABULARY.correct("vondt") == "vondt"
    assert VOCABULARY.correct("Ibux") == "Ibux"  # short
    assert VOCABULARY.correct("gjøer") == "gjøer"  # "gjøre" seen once is no trusted target
    assert VOCABULARY.correct("sykkel") == "sykkel"  # nothing one slip away
    assert VOCABULARY.correct("113") == "113"


def test_the_first_letter_is_never_changed():
    vocabulary = Vocabulary.from_words(["bilder"] * 9)
    assert vocabulary.correct("kilder") == "kilder"
    assert vocabulary.correct("bildr") == "bilder"


def test_the_most_frequent_candidate_wins():
    vocabulary = Vocabulary.from_words(["løfte"] * 3 + ["løste"] * 9)
    assert vocabulary.correct("løtte") == "løste"


def test_the_vocabulary_round_trips_through_its_saved_form():
    assert Vocabulary.from_counts(VOCABULARY.as_dict()).correct("rygen") == "ryggen"
