"""The clinicians' dashboard over real conversations: list, filters, transcript, annotation, exports, analytics."""

from __future__ import annotations

import datetime as dt
import html
import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ryggvett.review.models import AuditRow, TurnAnnotationRow, review_engine
from tests.seeding import EN, NB, PERSONAL_DATA

LINK = re.compile(r'href="/conversations/([^"/]+)"')


def listed(browser, query: str = "") -> list[str]:
    response = browser.get(f"/conversations?{query}")
    assert response.status_code == 200
    return LINK.findall(response.text)


def audit_rows(seeded, action: str, conversation_id: str | None = None) -> list[AuditRow]:
    with Session(review_engine(seeded.db_url)) as session:
        query = sa.select(AuditRow).where(AuditRow.action == action)
        if conversation_id:
            query = query.where(AuditRow.conversation_id == conversation_id)
        return list(session.scalars(query))


def test_red_flags_and_crises_come_first_and_stand_out(clinician, seeded):
    page = clinician.get("/conversations").text
    ids = LINK.findall(page)
    urgent = {seeded.ids["red_flag"], seeded.ids["crisis"]}
    assert urgent <= set(ids)
    first_ordinary = min(ids.index(seeded.ids[name]) for name in ("medication", "lifting", "fallback"))
    assert max(ids.index(i) for i in urgent) < first_ordinary
    assert 'class="crisis"' in page and 'class="red-flag"' in page


def test_filters_by_flag_language_channel_fallback_feedback_and_confidence(clinician, seeded):
    ids = seeded.ids
    flagged = set(listed(clinician, "flag=any"))
    assert {ids["red_flag"], ids["crisis"]} <= flagged and ids["medication"] not in flagged
    assert ids["red_flag"] in listed(clinician, "flag=red_flag") and ids["crisis"] not in listed(
        clinician, "flag=red_flag"
    )
    assert ids["crisis"] in listed(clinician, "flag=crisis")
    english = set(listed(clinician, "language=en"))
    assert {ids[name] for name in EN} <= english and not {ids[name] for name in NB} & english
    assert {ids[name] for name in NB} <= set(listed(clinician, "language=nb"))
    assert set(ids.values()) <= set(listed(clinician, "channel=rest"))
    assert not set(ids.values()) & set(listed(clinician, "channel=socketio"))
    assert ids["fallback"] in listed(clinician, "fallback=1") and ids["lifting"] not in listed(clinician, "fallback=1")
    negative = listed(clinician, "negative=1")
    assert ids["medication"] in negative and ids["lifting"] not in negative
    assert ids["fallback"] in listed(clinician, "low_confidence=1")


def test_filters_by_date_range(clinician, seeded):
    today = dt.datetime.now(dt.timezone.utc).date()
    assert seeded.ids["medication"] in listed(clinician, f"from={today}&to={today}")
    assert listed(clinician, f"from={today + dt.timedelta(days=1)}") == []
    assert listed(clinician, f"to={today - dt.timedelta(days=1)}") == []


def test_the_transcript_shows_what_was_asked_understood_and_answered(clinician, seeded):
    conversation_id = seeded.ids["medication"]
    page = html.unescape(clinician.get(f"/conversations/{conversation_id}").text)
    assert "Hjelper Paracet mot vondt i ryggen?" in page
    assert "ask_medication" in page and "medication=paracetamol" in page
    assert re.search(r'class="confidence">(?:0\.\d\d|1\.00)<', page)
    assert "Kort: <code>" in page  # the answer card it used
    assert "svaret var ikke nyttig" in page  # the feedback, on the answer it rated
    [view] = [row for row in audit_rows(seeded, "view", conversation_id) if row.username == "clinician-test"][-1:]
    assert view.at is not None


def test_red_flag_and_crisis_turns_are_marked(clinician, seeded):
    page = clinician.get(f"/conversations/{seeded.ids['red_flag']}").text
    assert "Rødt flagg: assistenten ga råd om akutt hjelp" in page and "113" in page
    page = clinician.get(f"/conversations/{seeded.ids['crisis']}").text
    assert "Krise: assistenten ga krisehjelp" in page and "116 123" in page


def test_personal_data_is_masked_in_transcripts_lists_and_exports(clinician, seeded):
    for name in ("callback", "personal"):
        conversation_id = seeded.ids[name]
        page = html.unescape(clinician.get(f"/conversations/{conversation_id}").text)
        story = clinician.get(f"/conversations/{conversation_id}/story.yml").text
        for secret in PERSONAL_DATA:
            assert secret not in page and secret not in story, (name, secret)
        assert "[navn]" in page
    lists = html.unescape(clinician.get("/conversations").text)
    assert not [secret for secret in PERSONAL_DATA if secret in lists]


def test_a_reviewer_corrects_an_intent_tags_and_marks_reviewed_and_it_exports(clinician, seeded):
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    conversation_id = seeded.ids["personal"]
    page = clinician.get(f"/conversations/{conversation_id}").text
    event_id = int(re.search(r'id="turn-(\d+)"', page.replace('id="turn-0"', ""))[1])
    response = clinician.post(
        f"/conversations/{conversation_id}/turns/{event_id}",
        {"verdict": "wrong", "intent": "ask_pain_meaning", "note": "asks what the pain means"},
    )
    assert response.status_code == 302
    assert (
        clinician.post(
            f"/conversations/{conversation_id}/turns/{event_id}", {"verdict": "wrong", "intent": "nope"}
        ).status_code
        == 400
    )
    assert clinician.post(f"/conversations/{conversation_id}/tags", {"tag": "Personvern"}).status_code == 302
    assert clinician.post(f"/conversations/{conversation_id}/review", {"reviewed": "1"}).status_code == 302

    with Session(review_engine(seeded.db_url)) as session:
        row = session.scalars(
            sa.select(TurnAnnotationRow)
            .where(TurnAnnotationRow.event_id == event_id)
            .order_by(TurnAnnotationRow.id.desc())
        ).first()
    assert (row.reviewer, row.verdict, row.corrected_intent) == ("clinician-test", "wrong", "ask_pain_meaning")
    assert row.created_at is not None and "01019912345" not in row.text
    page = html.unescape(clinician.get(f"/conversations/{conversation_id}").text)
    assert "→ <strong>ask_pain_meaning</strong>" in page and "gjennomgått av clinician-test" in page
    assert conversation_id in listed(clinician, "tag=personvern")
    assert conversation_id in listed(clinician, "reviewed=yes") and conversation_id not in listed(
        clinician, "reviewed=no"
    )

    exported = clinician.get("/exports/corrections.yml")
    training = RasaYAMLReader().reads(exported.text)
    examples = [m.get("text") for m in training.intent_examples if m.get("intent") == "ask_pain_meaning"]
    assert any("har vondt i ryggen" in text for text in examples)
    assert not [secret for secret in PERSONAL_DATA if secret in exported.text]
    csv_text = clinician.get("/exports/corrections.csv").text
    assert conversation_id in csv_text and "ask_pain_meaning" in csv_text and "clinician-test" in csv_text
    story = clinician.get(f"/conversations/{conversation_id}/story.yml").text
    assert "intent: ask_pain_meaning" in story
    assert {row.action for row in audit_rows(seeded, "annotate", conversation_id)} == {"annotate"}
    assert audit_rows(seeded, "export_yml") and audit_rows(seeded, "export_story", conversation_id)


def test_the_exported_story_is_a_valid_rasa_test_story(clinician, seeded):
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    from ryggvett.settings import PROJECT_ROOT

    story = clinician.get(f"/conversations/{seeded.ids['lifting']}/story.yml").text
    steps = YAMLStoryReader(Domain.load(str(PROJECT_ROOT / "domain.yml"))).read_from_string(story)
    assert steps and "intent: ask_movement_safety" in story and "user: |-" in story


def test_analytics_counts_the_seeded_conversations(clinician, seeded):
    from ryggvett.reference.models import make_engine
    from ryggvett.review.analytics import analytics

    page = clinician.get("/analytics?days=7")
    assert page.status_code == 200 and page.text.count("<svg") == 5
    figures = analytics(review_engine(seeded.db_url), make_engine(seeded.tracker_url), 7)
    assert figures.red_flags >= 1 and figures.crises >= 1
    assert dict(figures.languages).keys() >= {"nb", "en"}
    assert figures.positive >= 1 and figures.negative >= 1
    assert sum(figures.conversations_per_day) == figures.conversations >= len(seeded.ids)
    assert figures.fallback_rate and 0 < figures.fallback_rate < 1
    assert f"<strong>{figures.red_flags}</strong><span>samtaler med rødt flagg" in page.text


def test_the_callback_worklist_shows_the_phone_number_and_marks_done(reception, seeded):
    page = reception.get("/callbacks").text
    assert "+4791234567" in page and "Kari" in page
    assert 'href="/conversations' not in page  # reception sees the worklist, not the conversations
    request_id = re.search(r'action="/callbacks/(\d+)/done"', page)[1]
    assert reception.post(f"/callbacks/{request_id}/done").status_code == 302
    assert f"/callbacks/{request_id}/done" not in reception.get("/callbacks").text
    assert "ringt (reception-test" in reception.get("/callbacks?done=1").text


def test_each_role_sees_only_its_pages_in_the_menu(reception, clinician, admin):
    menus = {
        name: re.findall(r'<a href="(/[a-z/]*)">', browser.get("/", follow_redirects=True).text.split("</nav>")[0])
        for name, browser in (("reception", reception), ("clinician", clinician), ("admin", admin))
    }
    assert menus["reception"] == ["/callbacks"]
    assert menus["clinician"] == ["/conversations", "/analytics", "/exports"]
    assert menus["admin"] == [
        "/conversations", "/analytics", "/exports", "/callbacks", "/admin/users", "/admin/audit", "/admin/privacy",
    ]  # fmt: skip
    assert (
        reception.get("/").headers["Location"] == "/callbacks"
        and clinician.get("/").headers["Location"] == "/conversations"
    )


def test_the_pages_come_in_english_too_and_the_choice_is_remembered(clinician, seeded):
    english = clinician.get("/conversations?lang=en").text
    assert "Conversations" in english and ">Filter<" in english and "Filtrer" not in english
    assert 'lang="en"' in clinician.get("/analytics").text  # remembered in a cookie
    page = html.unescape(clinician.get(f"/conversations/{seeded.ids['red_flag']}").text)
    assert "Red flag: the assistant advised urgent help" in page
    norwegian = clinician.get("/conversations?lang=nb").text
    assert ">Filtrer<" in norwegian and 'lang="nb"' in norwegian


def test_every_text_a_template_asks_for_exists_in_both_languages():
    from dashboard.texts import texts
    from ryggvett.settings import PROJECT_ROOT

    asked = set()
    for template in (PROJECT_ROOT / "dashboard" / "templates").glob("*.html"):
        asked |= set(re.findall(r"\bt\('([a-z_]+)'[,)]", template.read_text(encoding="utf-8")))
    asked |= {f"lang_{code}" for code in ("nb", "en")} | {f"channel_{c}" for c in ("socketio", "rest", "callback")}
    assert len(asked) > 100
    assert sorted(asked - set(texts())) == []
    assert all(set(both) == {"nb", "en"} and all(both.values()) for both in texts().values())
