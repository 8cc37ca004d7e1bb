"""What lies outside low back pain (content/scope.yml) becomes out_of_scope; back questions stay."""

from __future__ import annotations

import pytest

from ryggvett.scope import default_scope


@pytest.mark.parametrize(
    "text",
    [
        "jeg har vondt i nakken etter jobb",
        "Eg har fått livmorframfall etter fødselen",
        "bad period cramps, what should i take",
        "my dachshund has back problems, what can I do?",
        "how do I get rid of back acne?",
        "tennisalbue, hva hjelper?",
    ],
)
def test_other_complaints_are_outside(text):
    assert default_scope().is_outside(text)


@pytest.mark.parametrize(
    "text",
    [
        "vondt i nakken og korsryggen, hva gjør jeg?",
        "Kan jeg ta Paracet mens jeg ammer?",  # «mens» is "while"
        "Smertene stråler ned til kneet på høyre side når jeg sitter lenge",
        "my foot is floppy and i cant walk on my heels",
        "Kan jeg gå tur med hunden selv om ryggen er vond?",
        "Do heavy backpacks cause back problems in kids?",
        "er knekking like bra som trening?",
    ],
)
def test_back_questions_stay_in_scope(text):
    assert not default_scope().is_outside(text)
