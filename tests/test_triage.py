"""The red-flag and crisis rule layer on its own (content/triage.yml)."""

from __future__ import annotations

import pytest

from ryggvett.safety_verdict import assess_message
from ryggvett.triage import assess, crisis, red_flag, word_matches


@pytest.mark.parametrize(
    ("token", "word", "expected"),
    [
        ("blæra", "blær", True),  # inflection
        ("kontrollen", "kontroll", True),
        ("bladdr", "bladder", True),  # typo: one letter missing
        ("nummen", "nummen", True),
        ("numen", "nummen", True),
        ("brystkreft", "*kreft", True),  # compound
        ("every", "fever", False),  # typos keep the first letter
        ("ever", "fever", False),
        ("do", "dose", False),
    ],
)
def test_word_matching(token, word, expected):
    assert word_matches(token, word) is expected


@pytest.mark.parametrize(
    ("text", "urgency"),
    [
        ("Jeg har mistet kontrollen over blæra", "emergency"),
        ("jeg har ikke kontroll over urinen", "emergency"),
        ("numb around my bottom since this morning", "emergency"),
        ("both my legs are getting weaker", "emergency"),
        ("får ikke ereksjon lenger etter at ryggen ble verre", "emergency"),
        ("jeg har feber og vondt i ryggen", "gp_today"),
        ("I had breast cancer five years ago and now my back hurts", "gp_today"),
        ("im on chemo and my back started hurting", "gp_today"),
        ("I have been taking steroid tablets for years", "gp_soon"),
        ("jeg falt ned fra stigen og har sterke smerter", "emergency"),
        ("I fell off a ladder yesterday", "emergency"),
        # Three tiers (docs/evidence.md, revised 2026-12-07)
        ("Ryggen verker og jeg har hatt press i brystet en stund nå", "emergency"),
        ("crushing pain in my chest and my back aches", "emergency"),
        ("my left leg has gone weak since yesterday", "gp_today"),
        ("venstre fot blir bare svakere", "emergency"),
        ("Har beinskjørhet og skled på badegulvet i går", "gp_today"),
        ("jeg er 82 år og falt på isen i går, nå er ryggen vond", "gp_today"),
        ("har gått ned 7 kilo uten å prøve og ryggen verker", "gp_soon"),
        ("lost about a stone in two months without dieting and my back is sore", "gp_soon"),
        ("stiv i ryggen i over en time hver morgen", "gp_soon"),
        ("datteren min på 13 har vondt i ryggen", "gp_soon"),
        ("vondt midt i ryggen mellom skulderbladene", "gp_soon"),
        # Too many painkillers
        ("Tok 6 Paracet i morges og 6 til nå, hjelper ikke", "poison"),
        ("I took a double dose of Ibux yesterday and today", "poison"),
        ("har tatt mer enn det står på pakningen", "poison"),
        ("har tatt 4 Ibux 400 på en gang", "poison"),
        ("been taking 10-12 paracetamol a day for a week", "poison"),
    ],
)
def test_red_flags_and_their_urgency(text, urgency):
    flag = red_flag(assess(text))
    assert flag is not None and flag.urgency == urgency, assess(text)


@pytest.mark.parametrize(
    ("text", "tablets"),
    [
        ("Tok 6 Paracet i morges og 6 til nå", 12),
        ("took 6 paracet at breakfast and another 5 just now", 11),
        ("3 Paracet 500 every 4 hours day and night since Saturday", 18),
    ],
)
def test_tablets_taken_are_counted(text, tablets):
    from ryggvett.overdose import taken_over_limit

    over = taken_over_limit(text)
    assert over is not None and over.medicine == "paracetamol" and over.tablets == tablets


@pytest.mark.parametrize(
    "text",
    ["Tok 2 Paracet i morges og 2 til nå", "I take 2 Ibux 200 three times a day", "kan jeg ta 10 Paracet?"],
)
def test_doses_within_the_leaflet_are_not_overdoses(text):
    from ryggvett.overdose import taken_over_limit

    assert taken_over_limit(text) is None


def test_a_crisis_with_too_many_tablets_keeps_both():
    findings = assess("I took the whole packet of paracet because I want to die")
    assert crisis(findings) is not None and red_flag(findings).urgency == "poison"


@pytest.mark.parametrize(
    "text",
    [
        "ingen feber, bare vondt i ryggen",
        "I have no fever and no numbness",
        "Jeg har ikke mistet kontrollen over blære eller tarm",
        "could back pain be a sign of cancer?",
        "my aunt had cancer and now I'm scared",
        "I fall asleep in the chair every evening",
        "does a slipped disc mean damage?",
        "this pain is killing me",
        "will this ever go away?",
        "What's the weather like tomorrow?",
        "Are steroid injections worth it?",
        "Jeg kjenner en brennende følelse bak på låret. Kan det komme fra ryggen?",
        "My wife thinks I've slipped a disc",
        "Jeg har gjort øvelsene, i alle fall i perioder.",
        "I cancel plans with friends because of the pain",
        "I painted the ceiling in the living room at the weekend",
        "Betyr det at noe er skadet i ryggen, eller kan man ha så sterke smerter uten skade?",
        "Jeg prøver å ligge med bena høyt. Det hjelper litt, men jeg forstår ikke hvorfor.",
        # Mentioned on their own, these are no alarm (docs/evidence.md)
        "jeg har beinskjørhet, hvilke øvelser kan jeg gjøre?",
        "I use prednisolone, which exercises are OK?",
        "snublet litt på trappa i går, ikke vondt, men ryggen er stiv som vanlig",
        # Questions are not reports
        "är min ryggsmärta cancer?",
        "kan ryggsmertene mine være kreft?",
        "Is a muscle relaxant worth the risk of side effects?",
        "hvor mange Paracet kan man ta i døgnet?",
        "what happens if you take too much paracetamol?",
        "Kan jeg ta Paralgin forte og Paracet samtidig?",
        "I took 2 Paracet this morning, can I take more tonight?",
        "I get out of breath when I jog, is running OK for my back?",
        # A plan to lose weight is not weight lost without trying
        "beste treningsprogram for å gå ned 10 kilo før sommeren?",
        "I want to lose weight, is running OK for my back?",
    ],
)
def test_ordinary_messages_raise_nothing(text):
    findings = assess(text)
    assert red_flag(findings) is None and crisis(findings) is None


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("I want to kill myself", "kill myself"),
        ("jeg orker ikke å leve lenger", "orker ikke å leve"),
        ("sometimes I wish I could never wake up", "never wake"),
    ],
)
def test_crisis(text, matched):
    found = crisis(assess(text))
    assert found is not None and found.category == "crisis" and not found.negated
    assert matched in found.matched, found.matched
    # Crisis care, not a red-flag tier: the same words raise no red flag.
    assert red_flag(assess(text)) is None


def test_either_signal_raises_the_alarm():
    assert assess_message("something is very wrong", "report_red_flag").intent == "report_red_flag"
    assert assess_message("jeg har feber", "ask_pain_meaning").intent == "report_red_flag"
    assert assess_message("I want to kill myself", "report_red_flag").intent == "report_crisis"
    assert assess_message("Hjelper Ibux?", "ask_medication").intent is None


@pytest.mark.parametrize(
    ("text", "classified"),
    [
        ("ingen nummenhet, bare vondt i ryggen", "report_red_flag"),
        ("no fever, just a sore back", "report_red_flag"),
        ("jeg holdt på å dø av latter", "report_crisis"),
        ("my back is killing me today", "report_crisis"),
    ],
)
def test_a_denied_sign_or_a_figure_of_speech_overrules_the_classifier(text, classified):
    assessment = assess_message(text, classified)
    assert assessment.intent is None and assessment.overruled


def test_a_reported_sign_wins_over_a_denied_one():
    assessment = assess_message("ingen feber, men jeg har mistet kontrollen over blæra", "report_red_flag")
    assert (assessment.intent, assessment.urgency) == ("report_red_flag", "emergency")


def test_tablets_within_the_leaflet_explain_away_a_classifiers_alarm():
    verdict = assess_message("tok 2 Paracet i morges og 2 nå, hjelper litt, bør jeg også gå tur?", "report_red_flag")
    assert verdict.intent is None and verdict.overruled
    assert assess_message("Tok 6 Paracet i morges og 6 til nå", "ask_medication").urgency == "poison"


@pytest.mark.parametrize(
    ("text", "urgency"),
    [
        # Emptying the bladder is a sign; emptying the dishwasher is housework.
        ("jeg klarer ikke å tømme blæra", "emergency"),
        ("får ikke tømt blæra", "emergency"),
        ("I can't empty my bladder", "emergency"),
        ("Hvordan skal jeg klare å vaske huset, tømme oppvaskmaskinen og re sengene når ryggen er vond?", None),
        # Sexual dysfunction is a sign; less sex because of the pain is daily life.
        ("får ikke ereksjon etter at ryggen ble dårlig", "emergency"),
        ("sexlivet har stoppa helt opp pga ryggen min, noen tips til stillinger?", None),
        # Woken by pain, or waking with it every night, is a pattern; waking sore once is not.
        ("jeg vaknet av smerter i natt", "gp_soon"),
        ("jeg våkner med vondt hver natt", "gp_soon"),
        ("Våknet med vond korsrygg i går uten at jeg vet hvorfor", None),
        # Long-term steroid tablets count; the GP's name and an injection do not.
        ("jeg har brukt kortison i mange år og har vondt i ryggen", "gp_soon"),
        ("Fastlegen vil gi meg kortisontabletter for isjiasen. Har det noen effekt?", None),
        ("fikk kortisonsprøyte i ryggen for et halvt år siden, hvor lenge varer effekten?", None),
        # A child's age, not a bed's.
        ("jeg er 15 år gammel og har vondt i ryggen", "gp_soon"),
        ("Jeg våkner med stiv rygg. Bør jeg kjøpe ny seng? Den jeg har er 15 år gammel.", None),
        # A child's back pain, not a child's backpack.
        ("my 14 year old has back pain", "gp_soon"),
        ("which school backpack is best for my 7 year old?", None),
        ("ryggsekk til skolestart for 6-åring, tips?", None),
        # Cancer had, not cancer read about.
        ("jeg har hatt brystkreft før, og nå har jeg vondt i ryggen", "gp_today"),
        ("googla ryggsmerter og fikk opp beinmargskreft.. er det vanlig??", None),
    ],
)
def test_everyday_words_near_a_sign_are_not_the_sign(text, urgency):
    flag = red_flag(assess(text))
    assert (flag.urgency if flag else None) == urgency


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I want to be dead", True),
        ("wish I was dead", True),
        ("jeg vil være død", True),
        ("I don't want to just stop dead, what's the best way to taper off the tablets?", False),
    ],
)
def test_dead_is_a_crisis_word_only_with_being(text, expected):
    assert (crisis(assess(text)) is not None) is expected


@pytest.mark.parametrize(
    ("confidence", "next_intent", "intent", "unconfirmed"),
    [
        (0.5, "ask_pain_meaning", None, True),  # unsure, on a topic question: answered after the checklist
        (0.9, "ask_pain_meaning", "report_red_flag", False),  # sure: the alarm stands
        (0.5, "out_of_scope", "report_red_flag", False),  # nothing to answer instead
        (0.5, None, "report_red_flag", False),
    ],
)
def test_an_unsure_alarm_of_the_classifier_alone_is_unconfirmed(confidence, next_intent, intent, unconfirmed):
    assessment = assess_message("røyker mye, har det noe å si for ryggen?", "report_red_flag", confidence, next_intent)
    assert (assessment.intent, assessment.unconfirmed) == (intent, unconfirmed)
    # A sign the patterns find is never unconfirmed, however unsure the classifier.
    found = assess_message("har mistet kontrollen over blæra", "report_red_flag", confidence, next_intent)
    assert (found.intent, found.urgency, found.unconfirmed) == ("report_red_flag", "emergency", False)


def test_the_safety_override_takes_an_unconfirmed_alarm_away():
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from nlu_components.safety_override import SafetyOverride

    def parsed(text, ranking):
        intents = [{"name": name, "confidence": confidence} for name, confidence in ranking]
        return Message(data={TEXT: text, INTENT: intents[0], INTENT_RANKING_KEY: intents})

    unsure = parsed("røyker mye, har det noe å si for ryggen?", [("report_red_flag", 0.5), ("ask_pain_meaning", 0.4)])
    sure = parsed("røyker mye, har det noe å si for ryggen?", [("report_red_flag", 0.9), ("ask_pain_meaning", 0.1)])
    SafetyOverride({"threshold": 0.25}).process([unsure, sure])
    assert unsure.get(INTENT)["name"] == "ask_pain_meaning" and unsure.get("safety")["unconfirmed"]
    assert sure.get(INTENT)["name"] == "report_red_flag" and not sure.get("safety")["unconfirmed"]
