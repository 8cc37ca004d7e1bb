"""The shortcuts found by profiling give Rasa's own answers."""

from __future__ import annotations

import asyncio

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.utils.endpoints import EndpointConfig
from sanic import Sanic, response

from bench.load import RYGGVETT_SCRIPTS
from rasa_extensions import fast_paths, resilient_actions
from tests.servers import free_port

resilient_actions.install()
fast_paths.install()

VALID = [
    {"events": [], "responses": []},
    {},
    {
        "events": [
            {"event": "slot", "name": "language", "value": "nb", "timestamp": None},
            {"event": "bot", "text": "Hei", "data": {"buttons": []}, "metadata": {}},
            {"event": "followup", "name": "action_listen"},
            {"event": "active_loop", "name": None},
        ],
        "responses": [{"text": "Hei", "buttons": [{"title": "Ja", "payload": "/affirm"}]}],
    },
    {"events": [{"event": "user", "text": None, "parse_data": {"intent": {"name": "greet"}}}]},
]
INVALID = [
    [],
    {"events": None},
    {"events": "slot"},
    {"events": [{"event": "slot", "value": 1}]},  # no name
    {"events": [{"event": "slot", "name": 3, "value": 1}]},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": ["slot"]}]},
    {"events": [{"name": "language"}]},
    {"events": ["slot"]},
    {"responses": [1]},
    {"responses": {"text": "x"}},
    {"events": [{"event": "user", "text": 5}]},
]


@pytest.mark.parametrize("result", VALID)
def test_valid_action_results_pass_as_with_the_full_schema(result):
    resilient_actions._response_validator().validate(result)  # Rasa's schema agrees
    assert RemoteAction("action_x", None)._validate_action_result(result)


@pytest.mark.parametrize("result", INVALID)
def test_invalid_action_results_fail_with_the_full_schemas_error(result):
    assert not resilient_actions._response_validator().is_valid(result)
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        RemoteAction("action_x", None)._validate_action_result(result)


def test_event_classes_resolve_as_before():
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("slot") is SlotSet  # from the memo
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("bot") is BotUttered
    assert Event.resolve_by_type("action") is ActionExecuted
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


def test_empty_domains_are_told_as_before(domain):
    from rasa.shared.core.domain import Domain

    candidates = [Domain.empty(), Domain.from_dict({}), Domain.from_dict(domain), Domain.from_dict({"intents": ["x"]})]
    for candidate in candidates:
        assert candidate.is_empty() == Domain.rasa_is_empty(candidate)
        assert candidate.is_empty() == Domain.rasa_is_empty(candidate)  # from the memo
    assert Domain.empty().is_empty() and not Domain.from_dict(domain).is_empty()


@pytest.mark.parametrize("max_event_history", [None, 3])
def test_applied_events_follow_every_change_of_the_events(max_event_history):
    from rasa.shared.core.events import ActiveLoop, Restarted, UserUtteranceReverted
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker.from_events("t", [], max_event_history=max_event_history)
    steps = [ActionExecuted("action_listen"), UserUttered("hei"), ActionExecuted("utter_greet")]
    steps += [UserUtteranceReverted(), UserUttered("igjen"), Restarted(), ActionExecuted("action_listen")]
    # A loop's own executions are undone or kept depending on the loops named anywhere.
    steps += [UserUttered("ring meg"), ActionExecuted("callback_form"), ActiveLoop("callback_form")]
    steps += [ActionExecuted("callback_form"), UserUttered("Kari"), ActionExecuted("callback_form")]
    steps += [ActiveLoop(None), ActionExecuted("exercise_form"), ActiveLoop("exercise_form")]
    for event in steps:
        tracker.update(event)
        assert tracker.applied_events() == DialogueStateTracker.rasa_applied_events(tracker)
        assert tracker.applied_events() == DialogueStateTracker.rasa_applied_events(tracker)  # from the memo
    tracker.events = type(tracker.events)([UserUttered("ny")])  # the deque replaced
    assert tracker.applied_events() == DialogueStateTracker.rasa_applied_events(tracker) == list(tracker.events)


def test_slots_copy_as_copy_copy_did():
    import copy

    from rasa.shared.core.domain import Domain

    from ryggvett.settings import PROJECT_ROOT

    for slot in Domain.load(str(PROJECT_ROOT / "domain.yml")).slots:
        duplicate = copy.copy(slot)
        assert type(duplicate) is type(slot) and duplicate is not slot
        assert duplicate.__dict__ == slot.__dict__
        duplicate.value = "changed"
        assert slot.value != "changed"


@pytest.mark.parametrize("module", fast_paths.COPIES_FOR_DEBUG_LOGS)
def test_deep_copies_are_skipped_only_where_they_feed_debug_logs_alone(module):
    import ast
    import importlib
    import inspect
    import logging

    source = importlib.import_module(module)
    calls = [node for node in ast.walk(ast.parse(inspect.getsource(source))) if isinstance(node, ast.Call)]
    copies = [call for call in calls if ast.unparse(call.func) == "copy.deepcopy"]
    logged = [kw.value for call in calls if ast.unparse(call.func).startswith("structlogger.") for kw in call.keywords]
    assert copies
    assert all(any(copied is value for value in logged) for copied in copies), "a deepcopy outside a debug log"

    value = {"events": [{"text": "hei"}]}
    assert source.copy.deepcopy(value) is value  # debug logging is off
    logger = logging.getLogger(module)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        duplicate = source.copy.deepcopy(value)
    finally:
        logger.setLevel(level)
    assert duplicate == value and duplicate is not value and duplicate["events"] is not value["events"]


def test_rule_states_are_formatted_only_for_debug_logs():
    import ast
    import inspect
    import logging
    from pathlib import Path

    import rasa
    from rasa.core.policies import rule_policy
    from rasa.core.policies.policy import Policy

    callers = [
        path
        for path in Path(rasa.__file__).parent.rglob("*.py")
        if "format_tracker_states(" in path.read_text(encoding="utf-8") and path.name != "policy.py"
    ]
    assert [path.name for path in callers] == ["rule_policy.py"]
    tree = ast.parse(inspect.getsource(rule_policy))
    formatted = [
        node.targets[0].id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and "format_tracker_states" in ast.unparse(node.value)
    ]
    uses = [node for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id in formatted]
    logged = [
        name
        for call in ast.walk(tree)
        if isinstance(call, ast.Call) and ast.unparse(call.func) == "structlogger.debug"
        for keyword in call.keywords
        for name in ast.walk(keyword.value)
        if isinstance(name, ast.Name) and name.id in formatted
    ]
    assert formatted == ["current_states"] and len(uses) == len(logged) + 1  # assigned once, then only logged

    states = [{"user": {"intent": "greet"}}, {"prev_action": {"action_name": "utter_greet"}}]
    assert RulePolicy.format_tracker_states(states) == ""
    logger = logging.getLogger(rule_policy.__name__)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        assert RulePolicy.format_tracker_states(states) == Policy.format_tracker_states(states) != ""
    finally:
        logger.setLevel(level)


def test_a_started_server_freezes_its_long_lived_objects():
    import gc

    from sanic import Blueprint

    from rasa_extensions.long_lived_objects import freeze_once_started

    # Sanic's startup rewrites its HTTP class once per process, so the listeners the
    # channels register are run here as Sanic runs them after the server has started.
    listeners = []
    for name in ("rest", "callback"):  # two channels, one freeze
        blueprint = Blueprint(f"freeze_{name}")
        freeze_once_started(blueprint)
        listeners += [f.listener for f in blueprint._future_listeners if f.event == "after_server_start"]
    assert len(listeners) == 2
    gc.unfreeze()
    try:
        asyncio.run(listeners[0](None, None))
        frozen = gc.get_freeze_count()
        asyncio.run(listeners[1](None, None))
        # A second freeze would add every object made since; a frozen object that dies (the
        # first event loop's) leaves the frozen set, so the count may only fall.
        assert frozen > 10_000 and gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()


def test_endpoint_requests_share_one_kept_alive_connection():
    app = Sanic(f"keepalive_{free_port()}")
    peers: list[int] = []

    @app.post("/webhook")
    async def webhook(request):
        peers.append(request.conn_info.client_port)
        return response.json({"echo": request.json["n"]})

    port = free_port()
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")

    async def scenario():
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await server.startup()
        try:
            answers = [await endpoint.request(json={"n": n}, method="post") for n in range(5)]
        finally:
            server.close()
            await server.wait_closed()
        return answers

    assert asyncio.run(scenario()) == [{"echo": n} for n in range(5)]
    assert len(peers) == 5 and len(set(peers)) == 1  # one TCP connection for all five calls


@pytest.mark.parametrize(("action", "repeated"), [("action_answer_topic", True), ("action_checkin_reply", False)])
def test_a_broken_connection_repeats_a_call_only_if_it_stores_nothing(action, repeated):
    import aiohttp

    seen: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(
            next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")).split(b":")[1]
        )
        seen.append(await reader.readexactly(length))
        if len(seen) > 1:
            body = b'{"events": [], "responses": []}'
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            await writer.drain()
        writer.close()  # the first call was read, perhaps acted on, and its connection broke

    async def scenario():
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        try:
            return await endpoint.request(json={"next_action": action, "tracker": {}}, method="post")
        except aiohttp.ServerDisconnectedError:
            return "disconnected"
        finally:
            server.close()
            await server.wait_closed()

    answer = asyncio.run(scenario())
    assert len(seen) == (2 if repeated else 1)
    assert answer == ({"events": [], "responses": []} if repeated else "disconnected")


async def test_graph_plans_belong_to_their_runner(agent):
    await agent.parse_message("Hjelper Paracet mot vondt i ryggen?")
    runner = agent.processor.graph_runner
    # Kept on the runner itself (a cache keyed on id() could serve a reused id the old model's plans).
    assert runner.__dict__.get(fast_paths.PLANS)


async def test_the_graph_runs_as_with_dask(agent, monkeypatch):
    messages = ["Hjelper Paracet mot vondt i ryggen?", "jeg klarer ikke å holde på urinen", "hei", "/greet", "more"]
    sender = "graph-runner"
    await agent.handle_text("Er det farlig å løfte?", sender_id=sender)

    async def parse_and_predict():
        parsed = [await agent.parse_message(text) for text in messages]
        return parsed, await agent.predict_next_for_sender_id(sender)

    ours = await parse_and_predict()
    monkeypatch.setattr(DaskGraphRunner, "run", DaskGraphRunner.rasa_run)
    assert await parse_and_predict() == ours
    assert ours[0][0]["intent"]["name"] == "ask_medication"


FORM_SCRIPTS = [
    ["Kan noen fra klinikken ringe meg?", "ja", "Kari", "12", "912 34 567"],
    ["Can you give me some exercises for my back?", "yes please", "none of these", "about 6", "no", "stopp"],
    ["Can someone from the clinic call me?", "yes", "I have a high fever and my back hurts a lot", "hei"],
    ["Hjelper Paracet mot ryggsmerter?", "ja", "nei", "hver dag", "paracet og ibux", "cancel", "svar på engelsk"],
]


async def test_rule_matching_as_rasa_matches(agent):
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    policy = next(node._component for node in nodes if isinstance(node._component, RulePolicy))
    tables = [policy.lookup["rules"], policy.lookup["rules_for_loop_unhappy_path"]]
    compared = matched = 0
    for number, script in enumerate(RYGGVETT_SCRIPTS + FORM_SCRIPTS):
        sender = f"rule-memo-{number}"
        for text in script:
            await agent.handle_text(text, sender_id=sender)
        tracker = await agent.tracker_store.retrieve(sender)
        for prior, _ in tracker.generate_all_prior_trackers():
            states = policy._prediction_states(prior, agent.domain, rule_only_data=policy._get_rule_only_data())
            for table in tables:
                for _ in range(2):  # computed, then remembered
                    ours = policy._get_possible_keys(table, states)
                    assert ours == RulePolicy.rasa_get_possible_keys(policy, table, states)
                compared += 1
                matched += bool(ours)
    assert compared > 200 and matched > 50


async def _growing_conversations(agent, prefix: str):
    """For each test conversation: an empty tracker and the events to grow it with, the
    conversation's own, then a revert (which starts the replays over) and its last turn again."""
    from rasa.shared.core.events import UserUtteranceReverted
    from rasa.shared.core.trackers import DialogueStateTracker

    for number, script in enumerate(RYGGVETT_SCRIPTS + FORM_SCRIPTS):
        sender = f"{prefix}-{number}"
        for text in script:
            await agent.handle_text(text, sender_id=sender)
        events = list((await agent.tracker_store.retrieve(sender)).events)
        growing = DialogueStateTracker.from_events(sender, [], slots=agent.domain.slots)
        yield growing, [*events, UserUtteranceReverted(), *events[-4:]]


def _sharing(states: list) -> list:
    """Which sub-states are one object: the same number where they are."""
    numbers: dict = {}
    return [[numbers.setdefault(id(sub), len(numbers)) for sub in state.values()] for state in states]


def test_state_copies_share_sub_states_where_the_originals_do():
    user, action = {"intent": "greet"}, {"action_name": "action_listen"}
    states = [{"user": user, "prev_action": action}, {"user": user, "prev_action": {"action_name": "utter_x"}}]
    copies = fast_paths._fresh_copies(states)
    assert copies == states and _sharing(copies) == _sharing(states) == [[0, 1], [0, 2]]
    assert all(copy[kind] is not state[kind] for copy, state in zip(copies, states, strict=True) for kind in state)


async def test_conversation_states_as_rasa_builds_them(agent):
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    rule_only_data = next(n._component for n in nodes if isinstance(n._component, RulePolicy))._get_rule_only_data()
    arguments = [
        {"omit_unset_slots": omit, "ignore_rule_only_turns": ignore, "rule_only_data": rule_only_data}
        for omit in (False, True)
        for ignore in (False, True)
    ]
    compared = 0
    async for growing, steps in _growing_conversations(agent, "states"):
        # Grown one event at a time, as during a turn: each answer continues the last replay.
        for event in steps:
            growing.update(event)
            applied = growing.applied_events()
            assert applied == DialogueStateTracker.rasa_applied_events(growing)
            applied.clear()  # a caller's change must not reach the next caller
            assert growing.applied_events() == DialogueStateTracker.rasa_applied_events(growing)
            for kwargs in arguments:
                ours = agent.domain.states_for_tracker_history(growing, **kwargs)
                theirs = Domain.rasa_states_for_tracker_history(agent.domain, growing, **kwargs)
                assert ours == theirs
                assert _sharing(ours) == _sharing(theirs)  # a change to one state reaches the same others
                compared += 1
                for state in ours:  # the policies change what they get; the next call must not see it
                    for sub_state in state.values():
                        sub_state.clear()
    assert compared > 1000


@pytest.mark.parametrize("dtypes", [("float64", "float64", "float64"), ("float32", "float64", "int64"), ("float32",)])
def test_sparse_features_combine_as_rasa_combines_them(dtypes):
    import numpy as np
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from scipy import sparse

    generator = np.random.default_rng(7)
    features = [
        Features(
            sparse.random(6, width, density=0.3, format="coo", dtype=dtype, random_state=generator),
            "sequence",
            "text",
            f"featurizer-{number}",
        )
        for number, (width, dtype) in enumerate(zip((40, 70_000, 9), dtypes, strict=False))
    ]
    names = ["a", "b", "c"]
    ours, rasas = Message._combine_features(features, names), Message.rasa_combine_features(features, names)
    assert (ours.type, ours.attribute, ours.origin) == (rasas.type, rasas.attribute, rasas.origin)
    assert ours.features.format == rasas.features.format and ours.features.shape == rasas.features.shape
    for part in ("data", "row", "col"):
        mine, theirs = getattr(ours.features, part), getattr(rasas.features, part)
        assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs), part
    assert features[0].features.shape == (6, 40)  # the inputs are left as they were


def test_tfidf_features_and_probabilities_as_the_pipeline_gives_them():
    import numpy as np

    from ryggvett.text_classifier import predict_proba, tfidf_features, train_tfidf_classifier

    texts = ["hjelper paracet", "er ibux farlig", "kan jeg løfte", "er det trygt å trene", "hei", "hallo der"]
    model = train_tfidf_classifier(texts, ["med", "med", "move", "move", "greet", "greet"])
    asked = ["paracet mot ryggen?", "trene med vondt", "heisann", "", "Paracet paracet PARACET", "æøå zzz"]
    union = model.steps[0][1]
    ours = tfidf_features([v for _, v in union.transformer_list], asked)
    theirs = union.transform(asked).tocsr()
    theirs.sort_indices()
    assert np.array_equal(ours.indptr, theirs.indptr) and np.array_equal(ours.indices, theirs.indices)
    # Summed in another order, the l2 norm may differ in the last bit.
    assert np.allclose(ours.data, theirs.data, rtol=1e-12, atol=0)
    probabilities = predict_proba(model, asked)
    assert probabilities.shape == (6, 3)
    assert np.allclose(probabilities, model.predict_proba(asked), rtol=1e-12, atol=1e-15)
    assert (probabilities.argmax(axis=1) == model.predict_proba(asked).argmax(axis=1)).all()


def _tracker_state(tracker) -> dict:
    from rasa.shared.core.trackers import EventVerbosity

    plain = {k: v for k, v in vars(tracker).items() if k not in ("events", "slots") and not k.startswith("_ryggvett")}
    return {
        **plain,
        "events": list(tracker.events),
        "slots": {name: dict(vars(slot)) for name, slot in tracker.slots.items()},
        "as_sent": tracker.current_state(EventVerbosity.ALL),
    }


async def test_tracker_copies_as_replaying_gives_them(agent):
    from rasa.shared.core.events import ActiveLoop
    from rasa.shared.core.trackers import DialogueStateTracker

    compared = 0
    async for growing, steps in _growing_conversations(agent, "copies"):
        growing.model_id, growing.assistant_id = "model", "ryggvett"  # as the processor sets them
        for event in steps:
            growing.update(event)
            ours, theirs = growing.copy(), DialogueStateTracker.rasa_copy(growing)
            assert _tracker_state(ours) == _tracker_state(theirs)
            compared += 1
        # A copy is its own: what the processor does to it leaves the conversation as it was.
        growing.update(ActiveLoop("callback_form"))
        before = _tracker_state(growing)
        duplicate = growing.copy()
        assert all(duplicate.slots[name] is not slot for name, slot in growing.slots.items())
        duplicate.update(SlotSet("language", "en" if growing.get_slot("language") != "en" else "nb"))
        duplicate.interrupt_loop(True)
        duplicate.reject_action("callback_form")
        duplicate.latest_action["action_name"] = "changed"
        duplicate.update(ActionExecuted("utter_greet"))
        assert _tracker_state(growing) == before
    assert compared > 100
