"""Two Rasa servers behind nginx on PostgreSQL and Redis: every message answered once, in order; faults survived."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from collections import Counter

import aiohttp
import pytest
import sqlalchemy as sa

from ryggvett.message_guard import system_message
from ryggvett.reference.loader import load_content
from ryggvett.review.events import EVENTS
from tests.chat import REPORT_LINES
from tests.cluster import start_cluster
from tests.conftest import PROJECT_ROOT
from tests.servers import REST_TOKEN

pytestmark = pytest.mark.cluster
SCRIPTS = {
    "nb": ["Hei", "Hjelper Paracet mot vondt i ryggen?", "fortell mer", "Er det farlig å løfte?", "takk", "ha det"],
    "en": ["Hello", "Is ibuprofen OK for back pain?", "tell me more", "Can I keep working?", "thanks", "bye"],
}
APOLOGIES = {system_message("technical_problem", "nb"), system_message("technical_problem", "en")}


@pytest.fixture(scope="module")
def cluster(postgres_url, content, tmp_path_factory, callback_receiver):
    load_content(content, postgres_url)
    try:
        running = start_cluster(postgres_url, tmp_path_factory.mktemp("cluster"), callback_receiver.url)
    except RuntimeError as error:
        pytest.fail(f"the cluster did not start: {error}")
    yield running
    running.stop()


async def send(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> tuple[int, list[str], str]:
    """Status, reply texts and the request id nginx logs with the server that took it."""
    request_id = uuid.uuid4().hex
    headers = {"Authorization": f"Bearer {REST_TOKEN}", "X-Request-Id": request_id}
    async with session.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, headers=headers
    ) as r:
        body = await r.text()
        replies = [m.get("text", "") for m in json.loads(body)] if r.status == 200 else []
        return r.status, replies, request_id


def upstreams(cluster) -> dict[str, str]:
    """Request id -> the Rasa server nginx handed it to, from nginx's access log."""
    found = {}
    for line in (cluster.nginx.workdir / "nginx-access.log").read_text().splitlines():
        fields = dict(part.split("=", 1) for part in line.split() if part.startswith(("upstream=", "request=")))
        if fields.get("request", "-") != "-":
            found[fields["request"]] = fields["upstream"]
    return found


def stored_user_texts(pg_url: str, sender: str) -> list[str]:
    engine = sa.create_engine(pg_url)
    query = (
        sa.select(EVENTS.c.data).where(EVENTS.c.sender_id == sender, EVENTS.c.type_name == "user").order_by(EVENTS.c.id)
    )
    with engine.connect() as connection:
        texts = [json.loads(row.data)["text"] for row in connection.execute(query)]
    engine.dispose()
    return texts


def stored_types(pg_url: str, sender: str) -> list[str]:
    engine = sa.create_engine(pg_url)
    query = (
        sa.select(EVENTS.c.type_name, EVENTS.c.action_name).where(EVENTS.c.sender_id == sender).order_by(EVENTS.c.id)
    )
    with engine.connect() as connection:
        kinds = [f"{kind}:{action or ''}" for kind, action in connection.execute(query)]
    engine.dispose()
    return kinds


async def converse(session, url: str, sender: str, script: list[str]) -> list[tuple[int, list[str], str]]:
    return [await send(session, url, sender, text) for text in script]


async def test_every_message_is_answered_once_in_order_across_both_servers(cluster):
    senders = {
        f"cluster-{language}-{n}-{uuid.uuid4().hex[:6]}": SCRIPTS[language] for n in range(10) for language in SCRIPTS
    }
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session:
        results = await asyncio.gather(
            *(converse(session, cluster.nginx.url, s, script) for s, script in senders.items())
        )
    upstream_of = upstreams(cluster)
    upstreams_per_conversation = []
    for (sender, script), answers in zip(senders.items(), results, strict=False):
        assert [status for status, _, _ in answers] == [200] * len(script), sender
        assert all(replies and not APOLOGIES & set(replies) for _, replies, _ in answers), (sender, answers)
        assert stored_user_texts(cluster.pg_url, sender) == script  # each once, in the order sent
        upstreams_per_conversation.append({upstream_of[request] for _, _, request in answers})
    both = sum(len(used) == 2 for used in upstreams_per_conversation)
    assert {u for used in upstreams_per_conversation for u in used} == {f"127.0.0.1:{p}" for p in cluster.rasa_ports}
    assert both >= len(senders) * 0.75, upstreams_per_conversation


async def test_simultaneous_messages_of_one_conversation_are_handled_one_at_a_time(cluster):
    # Rasa's own Redis lock store lost 2 of 6 such messages in 2 of 3 runs (rasa_extensions/redis_lock_store.py).
    senders = [f"cluster-burst-{n}-{uuid.uuid4().hex[:6]}" for n in range(3)]
    texts = [f"Hjelper Paracet? ({n})" for n in range(6)]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session:
        bursts = [send(session, cluster.nginx.url, sender, text) for sender in senders for text in texts]
        answers = await asyncio.gather(*bursts)
    assert [status for status, _, _ in answers] == [200] * len(bursts), answers
    assert all(replies and not APOLOGIES & set(replies) for _, replies, _ in answers), answers
    upstream_of = upstreams(cluster)
    assert len({upstream_of[request] for _, _, request in answers}) == 2
    for sender in senders:
        assert sorted(stored_user_texts(cluster.pg_url, sender)) == sorted(texts)
        kinds = stored_types(cluster.pg_url, sender)
        turns = [i for i, kind in enumerate(kinds) if kind.startswith("user:")]
        # Under the lock each message's turn ends (action_listen) before the next message starts.
        for start, end in zip(turns, turns[1:], strict=False):
            assert "action:action_listen" in kinds[start:end], kinds[start:end]


def restart_postgres() -> None:
    script = PROJECT_ROOT / "scripts" / "test-postgres.sh"
    subprocess.run([str(script), "stop"], check=True, timeout=120)
    subprocess.run([str(script), "start"], check=True, timeout=120, capture_output=True)


async def test_a_postgres_restart_loses_no_acknowledged_message(cluster):
    senders = [f"cluster-pg-{n}-{uuid.uuid4().hex[:6]}" for n in range(4)]
    texts = [f"Hjelper Paracet mot vondt i ryggen? {n}" for n in range(12)]

    async def steady(session, sender):
        answers = []
        for text in texts:
            answers.append((text, *await send(session, cluster.nginx.url, sender, text)))
            await asyncio.sleep(0.2)
        return answers

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session:
        load = asyncio.gather(*(steady(session, sender) for sender in senders))
        await asyncio.sleep(1.5)
        await asyncio.get_running_loop().run_in_executor(None, restart_postgres)
        results = await load
        after = await send(session, cluster.nginx.url, senders[0], "takk")
    outcome = Counter()
    for sender, answers in zip(senders, results, strict=False):
        assert all(status == 200 for _, status, _, _ in answers), answers  # never a 5xx
        acknowledged = [text for text, _, replies, _ in answers if replies and not APOLOGIES & set(replies)]
        stored = stored_user_texts(cluster.pg_url, sender)
        assert [text for text in acknowledged if text not in stored] == []
        outcome["acknowledged"] += len(acknowledged)
        outcome["apologised"] += len(answers) - len(acknowledged)
    assert after[0] == 200 and after[1] and not APOLOGIES & set(after[1])  # the servers reconnected
    REPORT_LINES.append(
        f"PostgreSQL restart under load: {outcome['acknowledged']} messages answered and stored, "
        f"{outcome['apologised']} answered with the apology, 0 acknowledged messages lost"
    )
    assert outcome["acknowledged"] >= len(texts) * len(senders) // 2, outcome


async def test_an_unreachable_redis_gives_a_clear_log_line_and_a_polite_reply(cluster):
    sender = f"cluster-redis-{uuid.uuid4().hex[:6]}"
    cluster.redis.stop()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
            status, replies, _ = await send(session, cluster.nginx.url, sender, "Is it safe to lift with back pain?")
    finally:
        cluster.redis.start()
    assert status == 200 and replies == [system_message("technical_problem", "en")]
    logs = "".join(server.log.read_text(errors="replace") for server in cluster.rasa)
    assert "Redis lock store unreachable" in logs
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        status, replies, _ = await send(session, cluster.nginx.url, sender, "Is it safe to lift with back pain?")
    assert status == 200 and replies and not APOLOGIES & set(replies)
