"""Curated red-flag and crisis patterns over the text, in bokmål, nynorsk and English.

This is the rule layer beside the intent classifier: either one raising a
red flag gets the urgent reply. Patterns are ordered slots of word stems.
A token matches a stem when it starts with it (so inflections match) or,
for stems of five letters or more, when it is one edit away (so common
typos match). A negation just before a match cancels it ("ingen feber"),
unless the negation is part of the pattern ("ingen kontroll over blæra").
Urgency follows shared/evidence.md: `emergency` means call 113, `gp_today`
means the GP today or legevakt 116 117.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Urgency = Literal["emergency", "gp_today"]

NEGATIONS = frozenset(
    "ikke ikkje ingen inga intet aldri not no never without uten dont doesnt didnt havent hasnt isnt nor neither".split()
)
# A pattern preceded by one of these is a question about a symptom, not a report of it.
QUESTION_OPENERS = frozenset("do does could might kan kunne hva what om if when når".split())


@dataclass(frozen=True)
class Pattern:
    slots: tuple[tuple[tuple[str, ...], ...], ...]  # slot -> alternatives -> consecutive stems
    window: int
    exact: bool  # stems must equal the token (no prefix, no typo tolerance)
    veto_next: frozenset[str] = frozenset()  # "fell asleep" is no fall


@dataclass(frozen=True)
class Rule:
    category: str
    urgency: Urgency | None  # None for crisis
    patterns: tuple[Pattern, ...]
    question_sensitive: bool = False


@dataclass(frozen=True)
class Finding:
    category: str
    urgency: Urgency | None
    matched: str


def _pattern(spec: str, window: int = 5, exact: bool = False, veto_next: str = "") -> Pattern:
    """'a|b c|d e' -> slots (a or b), then (c or d), then e; '_' joins words of one alternative."""
    slots = tuple(tuple(tuple(alternative.split("_")) for alternative in slot.split("|")) for slot in spec.split())
    return Pattern(slots, window, exact, frozenset(veto_next.split()))


BLADDER = "blær|blere|urin|tiss|tisse|bladder|bladdr|pee|peeing|urine|wee|toilet|do"
BOWEL = "tarm|avføring|bæsj|bajs|bowel|bowels|stool|poo|poop|faeces|feces"
SADDLE = (
    "sete|setet|seteregion|skritt|skrittet|kjønn|underliv|rumpe|rumpa|rompe|rompa|anus|endetarm|rumpehull|"
    "saddle|groin|genital|genitals|crotch|bottom|buttocks|back_passage|perineum|privates|vagina|penis|testik|pung|"
    "mellom_beina|between_my_legs|inner_thighs|innsiden_av_lårene|innside_lår"
)
NUMB = "nummen|nummenhet|numen|numb|numbness|prikk|prikker|prikking|tingl|stikk|følelsesløs|dødt|dead|pins_and_needles|nålestikk|følelsen|feeling|sensation|sensasjon"
LEGS = "bein|beina|beinet|ben|bena|benet|leg|legs|fot|foten|føttene|foot|feet|lår|thigh|tær|toes"
WEAK = "svak|svake|svakere|svekket|kraftløs|kraftlaus|weak|weaker|weakness|weakening|lam|lammet|paralys|gir_etter|gives_way|giving_way|buckl|svikter|sviktar"
WORSE = "verre|worse|økende|increasing|more_and_more|mer_og_mer|stadig|steadily|gradually|progressive|forverr"

RULES: tuple[Rule, ...] = (
    Rule(
        "crisis",
        None,
        (
            _pattern("selvmord|sjølvmord|suicid|suicide|suicidal", exact=False),
            _pattern("ta|tar|tok livet_av|livet_mitt|mitt_liv", 3),
            _pattern("end|ending|ende|avslutte|slutt my|mitt|on life|liv|livet|it_all", 3),
            _pattern("kill|killing|drepe|drep myself|meg_selv|meg_sjølv", 2),
            _pattern(
                "vil|ønsker|orker|gidder|lyst|want|wanna|wish ikke|ikkje|not|to|å leve|live|living|dø|die|dead|døy", 4
            ),
            _pattern("dont|dont_want|no_longer|ikke_lenger|ikkje_lenger want|vil to|å live|leve", 3),
            _pattern("rather|heller be|være dead|død|daud"),
            _pattern("better|bedre off|uten|utan dead|without|meg|me", 3),
            _pattern(
                "skade|skader|skada|hurt|hurting|harm|harming|cut|cutting|kutte|kutter meg|myself|meg_selv|meg_sjølv", 2
            ),
            _pattern("selvskad|sjølvskad|self-harm|selfharm|self_harm"),
            _pattern("no|ingen|inga point|reason|grunn|vits|mening to|i|å living|live|leve|livet", 4),
            _pattern("not|ikke|ikkje wake|våkne|vakne up|opp|igjen|again", 3),
            _pattern("overdose|overdosere"),
        ),
    ),
    Rule(
        "cauda_equina",
        "emergency",
        (
            _pattern(
                f"mist|miste|mister|mista|tapt|taper|lost|lose|losing|no|ingen|ikke|ikkje|cant control|kontroll|contol|controll {BLADDER}|{BOWEL}",
                6,
            ),
            _pattern(f"{BLADDER}|{BOWEL} control|kontroll|contol|controll", 4),
            _pattern(f"lekk|lekker|lekkasje|leak|leaking|leaks|renner|dryp|dripp {BLADDER}|{BOWEL}", 4),
            _pattern(f"{BLADDER}|{BOWEL} lekk|lekker|leak|leaking|renner|kommer_av_seg_selv|by_itself|on_its_own", 5),
            _pattern("inkontin|incontin|inkontinent"),
            _pattern(
                "tisset|tissa|tiss|bæsja|bæsjet|wet|wetted|soiled|soil|pissed meg|myself|buksa|buksene|pants|trousers|bed|senga",
                3,
            ),
            _pattern(
                "får|klarer|greier|kan|cant|cannot|unable|can_not|couldnt|struggl|trouble|difficulty|vansk|problem|problemer ikke|ikkje|not|to|å|with|med tisse|urinere|pee|urinate|wee|start|starte|empty|tømme|go",
                4,
            ),
            _pattern(
                "cant|cannot|unable|couldnt|klarer_ikke|greier_ikke|får_ikke|kan_ikke tisse|urinere|pee|urinate|wee|empty|tømme",
                4,
            ),
            _pattern(f"kjenner|merker|føler|feel|tell|notice|know ikke|ikkje|not|cant|when|når {BLADDER}|full|need", 5),
            _pattern(f"{NUMB} {SADDLE}", 6),
            _pattern(f"{SADDLE} {NUMB}", 6),
            _pattern("ereksjon|erection|erectile|impoten|potens|seksuell|sexual|sex_life|sexlivet|orgasm"),
        ),
    ),
    Rule(
        "progressive_weakness",
        "emergency",
        (
            _pattern(f"{LEGS} {WEAK}", 6),
            _pattern(f"{WEAK} {LEGS}", 5),
            _pattern("dropfot|droppfot|footdrop|foot_drop|drop_foot|dropfoot"),
            _pattern(
                f"klarer|greier|får|kan|cant|cannot|unable|can_not ikke|ikkje|not|to|å løfte|lift|bøye|bend|gå_på|walk_on|stand_on {LEGS}",
                5,
            ),
            _pattern(
                "begge|both bein|beina|ben|bena|legs|føttene|feet numb|nummen|nummenhet|svak|svake|weak|prikk|tingl", 4
            ),
            _pattern(f"{NUMB} begge|both", 4),
        ),
    ),
    Rule(
        "major_trauma",
        "emergency",
        (
            _pattern(
                "bilulykke|trafikkulykke|påkjørt|kollisjon|kollidert|krasj|krasjet|crash|crashed|collision|motorbike|motorsykkel|car_accident|hit_by|run_over|påkjørsel"
            ),
            _pattern(
                "falt|fall|fell|fallen|datt|detta|stupte|falling ned|from|fra|off|av|down stige|ladder|tak|taket|roof|trapp|trappa|stairs|stillas|scaffold|høyde|height|hest|horse",
                5,
            ),
            _pattern(
                "falt|fell|fallen|datt|ulykke|accident|skadet|injured|slag|hit|påkjørt sterk|sterke|voldsom|voldsomme|forferdelig|uutholdelig|severe|agony|unbearable|excruciating|terrible|extreme|ekstrem|worst",
                8,
            ),
        ),
    ),
    Rule(
        "trauma",
        "gp_today",
        (
            _pattern(
                "falt|fell|fallen|datt|detta|sklei|skled|slipped|tripped|snublet|snubla|ulykke|accident|traume|trauma",
                veto_next="asleep i_søvn søvn sovne sovnet apart in_love for behind bak",
            ),
        ),
    ),
    Rule(
        "chest_breathless",
        "emergency",
        (
            _pattern(
                "bryst|brystet|brystsmert|chest pust|puste|pusten|breath|breathe|breathing|breathless|andpusten|tungpust",
                8,
            ),
            _pattern("pust|puste|breath|breathless|andpusten bryst|brystet|chest", 8),
        ),
    ),
    Rule(
        "chest_pain",
        "gp_today",
        (_pattern("brystsmert|vondt_i_brystet|smerter_i_brystet|chest_pain|pain_in_my_chest|chest_hurts|chest"),),
    ),
    Rule(
        "fever_unwell",
        "gp_today",
        (
            _pattern(
                "feber|febril|fever|fevre|fevers|feverish|frysninger|frostanfall|chills|shivering|temperatur|temperature"
            ),
            _pattern(
                "føler|kjenner|feel|feeling|feels meg|very|veldig|really|so|skikkelig|generelt syk|sjuk|ill|unwell|dårlig|elendig|poorly",
                4,
            ),
            _pattern("sykdomsfølelse|sjukdomskjensle"),
        ),
    ),
    Rule(
        "cancer_history",
        "gp_today",
        (
            _pattern(
                "kreft|kreften|cancer|cancr|kreftt|tumor|tumour|svulst|lymfom|lymphoma|leukemi|leukaemia|leukemia|myelom|myeloma|metastas|spredning|cellegift|chemo|chemotherapy|strålebehandl|radiotherapy|radiation",
                exact=False,
            ),
        ),
        question_sensitive=True,
    ),
    Rule(
        "weight_loss",
        "gp_today",
        (
            _pattern(
                "ned|mistet|mista|tapt|gått_ned|lost|losing|dropped|dropping|lose vekt|vekten|kilo|kg|weight|pounds|stone",
                4,
            ),
            _pattern("vekttap|weightloss|weight_loss"),
        ),
    ),
    Rule(
        "night_pain",
        "gp_today",
        (
            _pattern(
                "natt|natta|natten|netter|nettene|nattestid|night|nights|nighttime|overnight konstant|konstante|hele_tiden|heile_tida|constant|constantly|all_night|hele_natten|hele_natta|never_eases|aldri|ikke_lindr|no_relief|nonstop|non-stop|continuous|uavbrutt",
                6,
            ),
            _pattern(
                "konstant|konstante|hele_tiden|heile_tida|constant|constantly|continuous|nonstop|non-stop|døgnet_rundt|around_the_clock|day_and_night|dag_og_natt",
                6,
            ),
            _pattern(
                "hvile|kvile|ro|rest|resting|ligge|ligger|lying hjelper|helps|letter|lindrer|eases|relieves|relief ikke|ikkje|not|never|aldri",
                4,
            ),
            _pattern(
                "ikke|ikkje|not|never|aldri|no hjelper|helps|lindr|eases|relief|bedre|better hvile|ro|rest|resting|ligge|lying",
                4,
            ),
            _pattern("våkner|vaknar|wake|waking|woken hver|every|kvar natt|night|time|hour", 4),
        ),
    ),
    Rule(
        "steroids_immune",
        "gp_today",
        (
            _pattern(
                "prednisolon|prednisolone|prednison|prednisone|steroider|steroids|steroid|kortisontabletter|kortisontablettar|immundempende|immunsuppr|immunosuppr|immune_suppress|biologisk_medisin|methotrexat|metotreksat|methotrexate",
                exact=False,
            ),
            _pattern("bruker|brukt|tar|tatt|taking|taken|on|used|use kortison|cortisone", 3),
        ),
    ),
    Rule(
        "worsening",
        "gp_today",
        (
            _pattern(
                "verre_og_verre|worse_and_worse|stadig_verre|steadily_worse|worse_every_day|verre_for_hver_dag|verre_kvar_dag|gradually_worse|blir_bare_verre|keeps_getting_worse|worse_by_the_day"
            ),
            _pattern(
                "morgenstiv|stiv|stiff|stiffness om|in morgen|morgenen|morning mer|over|more_than|longer_than|over_an|over_ein|over_en time|timer|hour|hours",
                8,
            ),
        ),
    ),
)


def normalise(text: str) -> list[str]:
    """Lower-case word tokens; apostrophes dropped so "can't" is "cant"."""
    text = unicodedata.normalize("NFC", text.lower()).replace("’", "'").replace("'", "")
    return re.findall(r"[a-zæøåäöüéèêóòôá0-9-]+", text)


def _distance_at_most_one(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y]
        # one substitution, or two neighbours swapped ("bladdre" ~ "bladder")
        return len(diffs) <= 1 or (
            len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
        )
    shorter, longer = sorted((a, b), key=len)
    return any(longer[:i] + longer[i + 1:] == shorter for i in range(len(longer)))


@lru_cache(maxsize=65536)
def _token_matches(token: str, stem: str, exact: bool) -> bool:
    if token == stem:
        return True
    if exact:
        return False
    if len(stem) <= 3:
        return token == stem
    if token.startswith(stem):
        return True
    if len(stem) >= 5:
        return any(
            _distance_at_most_one(token[: len(stem) + d], stem) for d in (-1, 0, 1) if len(token) >= len(stem) + d
        )
    return False


def _alternative_at(tokens: list[str], start: int, words: tuple[str, ...], exact: bool) -> int | None:
    """End index when the consecutive `words` match from `start`, else None."""
    if start + len(words) > len(tokens):
        return None
    for offset, word in enumerate(words):
        if not _token_matches(tokens[start + offset], word, exact):
            return None
    return start + len(words)


def _match(tokens: list[str], pattern: Pattern) -> tuple[int, int] | None:
    for begin in range(len(tokens)):
        position, first = begin, None
        for index, slot in enumerate(pattern.slots):
            limit = position + 1 if index == 0 else min(len(tokens), position + pattern.window + 1)
            found = None
            for at in range(position, limit):
                for words in slot:
                    end = _alternative_at(tokens, at, words, pattern.exact)
                    if end is not None:
                        found = (at, end)
                        break
                if found:
                    break
            if not found:
                break
            if first is None:
                first = found[0]
            position = found[1]
        else:
            following = tokens[position] if position < len(tokens) else ""
            if following in pattern.veto_next:
                continue
            return first, position
    return None


def assess(text: str) -> list[Finding]:
    """Every red-flag or crisis category the text reports, most urgent first."""
    tokens = normalise(text)
    findings: list[Finding] = []
    for rule in RULES:
        for pattern in rule.patterns:
            span = _match(tokens, pattern)
            if span is None:
                continue
            before = tokens[max(0, span[0] - 3) : span[0]]
            if any(word in NEGATIONS for word in before):
                continue
            if rule.question_sensitive and _is_question_about(tokens, span[0]):
                continue
            findings.append(Finding(rule.category, rule.urgency, " ".join(tokens[span[0] : span[1]])))
            break
    order = {None: 0, "emergency": 1, "gp_today": 2}
    return sorted(findings, key=lambda f: order[f.urgency])


def _is_question_about(tokens: list[str], start: int) -> bool:
    """'Could it be cancer?' asks about a fear; 'I had cancer' reports a history."""
    history = {
        "hatt",
        "had",
        "history",
        "tidligere",
        "previous",
        "previously",
        "behandlet",
        "treated",
        "survivor",
        "overlevd",
        "diagnosed",
        "diagnostisert",
        "operert",
        "fjernet",
        "removed",
        "har",
        "have",
        "got",
        "fikk",
    }
    head = tokens[:start]
    return not (any(word in history for word in head) and not (head and head[0] in QUESTION_OPENERS))


def red_flag(findings: list[Finding]) -> Finding | None:
    return next((f for f in findings if f.urgency is not None), None)


def crisis(findings: list[Finding]) -> Finding | None:
    return next((f for f in findings if f.category == "crisis"), None)
