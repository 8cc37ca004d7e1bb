"""Recognise a request for a diagnosis ("do I have a prolapse?"), which we never give."""

from __future__ import annotations

import re

ASKING = (
    r"(har (jeg|eg|e)|do i have|have i got|could (it|this) be|might (it|this) be|is (it|this|that)( a| an)?|"
    r"er (det|dette)( en| et| ei)?|kan (det|dette) (være|vere)|tror du (jeg|eg|det)|do you think|"
    r"what do i have|hva (har|feiler) (jeg|meg)|kva (har|feilar) (eg|meg)|am i|diagnos\w*)"
)
CONDITIONS = (
    r"(prolaps\w*|skiveprolaps\w*|slipped|herniat\w*|bulg\w*|disc|disk|isjias|ischias|sciatica|hekseskudd|"
    r"lumbago|slitasje|artrose|arthritis|degenerat\w*|spinal stenos\w*|stenose|bekhterev\w*|spondyl\w*|"
    r"nerve ?rot\w*|nerverot\w*|klemt nerve|pinched nerve|trapped nerve|fibromyalgi\w*|wrong|galt|feil)"
)
DIRECT = r"what('?s| is) wrong with (me|my)|hva (er det som )?feiler (det )?meg|kva feilar (det )?meg|\bdiagnos\w*"
PATTERN = re.compile(rf"\b{ASKING}\b(\W+\w+){{0,4}}?\W+{CONDITIONS}|{DIRECT}", re.IGNORECASE)


def asks_for_diagnosis(text: str) -> bool:
    return bool(PATTERN.search(text))
