"""Rasa 3.6 work repeated on every message that gives the same result each time, done once.

Found by profiling `rasa run` under load (make bench); each change keeps Rasa's behaviour:
- The graph runner worked out the same sub-graph for the same targets on every call, and
  dask's scheduler its order; the nodes now run in an order computed once (one thread, as
  dask.get ran them).
- Reading a stored event looked for its class among all Event subclasses, recursively.
- Every copy of a conversation (the policies make several per prediction) copied each slot
  through `copy.copy`'s generic protocol; slots now copy their attributes directly.
- The message processor and the two policies deep-copy events and states for their debug
  logs whether or not debug logging is on, and the rule policy formats all states for one;
  the copies and the text are now made only when it is.
- Both policies rebuild the conversation's states from its first event for each prediction,
  replaying every event into a fresh copy; the replay now continues from where the last one
  stopped, as long as the conversation has only grown since (a revert or restart starts over).
- The events a conversation applies (without reverted ones) were worked out from all its events
  several times per prediction; they are remembered, and extended while the conversation only
  gains events that Rasa would simply append (no restart, revert or new loop).
- Copying a conversation (the processor copies it before every action) replayed all its
  events into a fresh tracker; the copy now takes the replayed state directly.
- Combining a message's sparse features deep-copied the first and stacked the others one
  at a time through scipy's general block builder; they are now laid side by side at once.
- The rule policy matched every rule against the conversation's states on each prediction;
  a rule only looks as far back as it is long, so the matching rules for the same latest
  states are remembered.
- Each parsed message built an empty Domain to check that the assistant's domain is not
  empty; the empty domain's data is now built once.
- Every call to the action server opened a new HTTP client session and TCP connection;
  one kept-alive session per endpoint serves them all (a closed connection is retried once,
  except for an action that stores something: actions.STORING_ACTIONS),
  and encodes the request with ujson (already Sanic's JSON library).
"""

from __future__ import annotations

import asyncio
import copy
import importlib
import itertools
import json
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Dict, List, Set, Tuple, Type

import aiohttp
import numpy as np
import ujson
from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.constants import DEFAULT_SENDER_ID
from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, ClientResponseError, EndpointConfig, concat_url
from scipy import sparse

logger = logging.getLogger(__name__)
# Modules whose every copy.deepcopy is an argument of a structlog debug call (tests/test_fast_paths.py).
COPIES_FOR_DEBUG_LOGS = ("rasa.core.processor", "rasa.core.policies.memoization", "rasa.core.policies.rule_policy")
# Distinct latest states remembered per rule table; real conversations reach a few hundred.
RULE_MEMO_SIZE = 20_000
# Below Sanic's default keep-alive timeout (5 s), so the client drops an idle connection first.
KEEP_ALIVE_SECONDS = 4.0


def install() -> None:
    if getattr(DaskGraphRunner.run, "memoised", False):
        return
    _memoise_graph_schemas()
    _memoise_event_classes()
    _memoise_rule_matching()
    _copy_slots_directly()
    _copy_for_debug_logs_only()
    _continue_state_histories()
    _combine_sparse_features_at_once()
    _memoise_empty_domain()
    _memoise_applied_events()
    _copy_trackers_directly()
    EndpointConfig.request = _request  # type: ignore[method-assign]


PLANS = "_ryggvett_plans"


def _memoise_graph_schemas() -> None:
    original = DaskGraphRunner._build_dask_graph

    def run(
        self: DaskGraphRunner, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
    ) -> dict[str, Any]:
        from rasa.engine.exceptions import GraphRunError

        run_targets = targets if targets else self._graph_schema.target_names
        # The plans live on the runner itself: a new model's runner starts with none, even at a
        # reused id() (a cache keyed on id() could run the old model's nodes after a model swap).
        plans: dict[tuple, tuple[dict[str, Any], list[str]]] = self.__dict__.setdefault(PLANS, {})
        key = (tuple(run_targets), tuple(sorted(inputs or ())))
        if key not in plans:
            graph = original(self, self._graph_schema.minimal_graph_schema(run_targets))
            with_inputs = dict(graph)
            self._add_inputs_to_graph(inputs, with_inputs)
            plans[key] = graph, _execution_order(with_inputs, run_targets)
        graph, order = plans[key]
        run_graph = dict(graph)  # inputs are added per call
        if inputs:
            self._add_inputs_to_graph(inputs, run_graph)
        try:
            results = _execute(run_graph, order)
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in run_targets)

    run.memoised = True  # type: ignore[attr-defined]
    DaskGraphRunner.rasa_run = DaskGraphRunner.run  # type: ignore[attr-defined]
    DaskGraphRunner.run = run  # type: ignore[method-assign]


def _is_task(value: Any) -> bool:
    return type(value) is tuple and bool(value) and callable(value[0])


def _execution_order(graph: dict[str, Any], targets: list[str]) -> list[str]:
    """The graph's keys, each after the keys its task needs (what dask's local scheduler works out per call)."""
    order: list[str] = []
    placed: set[str] = set()

    def place(key: str, path: tuple[str, ...]) -> None:
        if key in placed or key not in graph:  # not a key: dask passes it on as it is
            return
        if key in path:
            raise RuntimeError(f"cycle in the graph at {key}")
        task = graph[key]
        for needed in task[1:] if _is_task(task) else ():
            place(needed, (*path, key))
        placed.add(key)
        order.append(key)

    for target in targets:
        place(target, ())
    return order


def _execute(graph: dict[str, Any], order: list[str]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for key in order:
        task = graph[key]
        if _is_task(task):
            results[key] = task[0](*[results.get(arg, arg) for arg in task[1:]])
        else:
            results[key] = task
    return results


def _memoise_event_classes() -> None:
    classes: Dict[str, Type[Event]] = {}
    original = Event.resolve_by_type

    def resolve_by_type(type_name: str, default: Type[Event] | None = None) -> Type[Event] | None:
        if type_name in classes:
            return classes[type_name]
        found = original(type_name, default)
        if found is not None and found is not default:
            classes[type_name] = found
        return found

    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]


def _memoise_rule_matching() -> None:
    original = RulePolicy._get_possible_keys
    # Per rule table: the table itself (held, so its id is not reused by a reloaded model's),
    # its longest rule, and the matching rules found for each run of latest states.
    tables: Dict[int, Tuple[Dict[str, str], int, Dict[str, Set[str]]]] = {}

    def _get_possible_keys(self: RulePolicy, lookup: Dict[str, str], states: List[Dict[str, Any]]) -> Set[str]:
        table = tables.get(id(lookup))
        if table is None or table[0] is not lookup:
            depth = max((len(RulePolicy._rule_key_to_state(key)) for key in lookup), default=0)
            table = tables[id(lookup)] = (lookup, depth, {})
        _, depth, memo = table
        # States further back than the longest rule never change which rules apply.
        latest = json.dumps(states[-depth:] if depth else [], sort_keys=True, default=repr)
        if latest not in memo:
            if len(memo) >= RULE_MEMO_SIZE:
                memo.clear()
            memo[latest] = original(self, lookup, states)
        return set(memo[latest])

    RulePolicy.rasa_get_possible_keys = original  # type: ignore[attr-defined]
    RulePolicy._get_possible_keys = _get_possible_keys  # type: ignore[method-assign]


def _copy_slots_directly() -> None:
    # What copy.copy does for a plain object (a new instance sharing the attributes),
    # without looking up and running its __reduce_ex__ protocol.
    def __copy__(self: Slot) -> Slot:
        duplicate = self.__class__.__new__(self.__class__)
        duplicate.__dict__.update(self.__dict__)
        return duplicate

    Slot.__copy__ = __copy__  # type: ignore[attr-defined]


class DebugLogCopies:
    """Stands in for `copy` in a module that deep-copies only what it logs at debug level."""

    def __init__(self, module: str) -> None:
        self._logger = logging.getLogger(module)  # structlog filters by this logger's level

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        return copy.deepcopy(value, memo) if self._logger.isEnabledFor(logging.DEBUG) else value

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _copy_for_debug_logs_only() -> None:
    for name in COPIES_FOR_DEBUG_LOGS:
        importlib.import_module(name).copy = DebugLogCopies(name)  # type: ignore[attr-defined]
    # The rule policy also formats all states for one debug line (its only use, see the tests).
    rule_logger = logging.getLogger(RulePolicy.__module__)
    formatted = Policy.format_tracker_states

    def format_tracker_states(states: List[Dict]) -> str:
        return formatted(states) if rule_logger.isEnabledFor(logging.DEBUG) else ""

    RulePolicy.format_tracker_states = staticmethod(format_tracker_states)  # type: ignore[method-assign]


@dataclass(frozen=True)
class _Point:
    """What Domain.states_for_tracker_history reads from the conversation before one action."""

    hide_rule_turn: bool
    followup: bool
    loop_was_latest: bool
    previous_action: Dict[str, Any] | None
    state: Dict[str, Any]


@dataclass
class _Built:
    """Rasa's states for a run of points, and its loop's variables after the last of them."""

    states: List[Dict[str, Any]] = field(default_factory=list)
    last_ml_action_sub_state: Dict[str, Any] | None = None
    turn_was_hidden: bool = False


@dataclass
class _History:
    domain: Domain
    replay: Any  # the conversation replayed up to `applied`
    applied: List[Event] = field(default_factory=list)
    points: List[_Point] = field(default_factory=list)
    now: _Point | None = None  # the point for the replay as it stands
    # Per way of building (ignore_rule_only_turns, the rule-only data held by its id): the
    # states built from the first `done[0]` points (hidden turns give none); each state
    # depends only on the points up to its own.
    built: Dict[Tuple[bool, int], Tuple[Any, _Built, List[int]]] = field(default_factory=dict)


def _point(domain: Domain, tracker: Any, hide_rule_turn: bool, omit_unset_slots: bool) -> _Point:
    return _Point(
        hide_rule_turn,
        bool(tracker.followup_action),
        tracker.latest_action_name == tracker.active_loop_name,
        domain._get_prev_action_sub_state(tracker),
        domain.get_active_state(tracker, omit_unset_slots=omit_unset_slots),
    )


def _history(domain: Domain, tracker: Any, omit_unset_slots: bool) -> _History:
    """One point per action so far and one for now; the points before earlier actions are kept."""
    events = tracker.applied_events()
    histories = tracker.__dict__.setdefault("_ryggvett_state_histories", {})
    history = histories.get((id(domain), omit_unset_slots))
    grown = history is not None and len(events) >= len(history.applied)
    if not (
        grown
        and history.domain is domain
        and all(a is b for a, b in zip(history.applied, events[: len(history.applied)], strict=True))
    ):
        history = histories[(id(domain), omit_unset_slots)] = _History(domain, tracker.init_copy())
    for event in events[len(history.applied) :]:
        if isinstance(event, ActionExecuted):
            history.points.append(_point(domain, history.replay, event.hide_rule_turn, omit_unset_slots))
        history.replay.update(event)
        history.applied.append(event)
        history.now = None
    if history.now is None:
        history.now = _point(domain, history.replay, False, omit_unset_slots)
    return history


def _state_at(
    domain: Domain, built: _Built, point: _Point, ignore_rule_only_turns: bool, rule_only_data: Dict[str, Any] | None
) -> Dict[str, Any] | None:
    """One step of Rasa's loop in Domain.states_for_tracker_history; None for a hidden turn."""
    previous = dict(point.previous_action) if point.previous_action is not None else None
    if ignore_rule_only_turns:
        if not built.turn_was_hidden:
            built.last_ml_action_sub_state = previous
        if not point.followup and not point.loop_was_latest:
            built.turn_was_hidden = point.hide_rule_turn
        if built.turn_was_hidden:
            return None
    state = {
        kind: previous if kind == PREVIOUS_ACTION and sub is point.previous_action else dict(sub)
        for kind, sub in point.state.items()
    }
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if built.states:
            domain._substitute_rule_only_user_input(state, built.states[-1])
        if built.last_ml_action_sub_state:
            state[PREVIOUS_ACTION] = built.last_ml_action_sub_state
    return domain._clean_state(state)


def _fresh_copies(states: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    # The policies change the states they get: each call gets its own sub-states, shared
    # between its states exactly where Rasa's loop shares them.
    copies: Dict[int, Dict[str, Any]] = {}
    fresh = []
    for state in states:
        copied = {}
        for kind, sub in state.items():
            twin = copies.get(id(sub))
            if twin is None:
                twin = copies[id(sub)] = dict(sub)
            copied[kind] = twin
        fresh.append(copied)
    return fresh


def _continue_state_histories() -> None:
    def states_for_tracker_history(
        self: Domain,
        tracker: Any,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: Dict[str, Any] | None = None,
    ) -> List[Dict[str, Any]]:
        history = _history(self, tracker, omit_unset_slots)
        way = (ignore_rule_only_turns, id(rule_only_data))
        held = history.built.get(way)
        if held is None or held[0] is not rule_only_data:
            held = history.built[way] = (rule_only_data, _Built(), [0])
        built, done = held[1], held[2]
        for point in history.points[done[0] :]:
            state = _state_at(self, built, point, ignore_rule_only_turns, rule_only_data)
            if state is not None:
                built.states.append(state)
        done[0] = len(history.points)
        # The current point may still change: its step runs on a copy of the loop's variables.
        now = _state_at(
            self,
            _Built(built.states, built.last_ml_action_sub_state, built.turn_was_hidden),
            history.now,
            ignore_rule_only_turns,
            rule_only_data,
        )
        return _fresh_copies(built.states if now is None else [*built.states, now])

    Domain.rasa_states_for_tracker_history = Domain.states_for_tracker_history  # type: ignore[attr-defined]
    Domain.states_for_tracker_history = states_for_tracker_history  # type: ignore[method-assign]


def _combine_sparse_features_at_once() -> None:
    original = Message._combine_features

    def _combine_features(features: List[Features], featurizers: List[str]) -> Features | None:
        blocks = [f.features for f in features]
        if len(blocks) < 2 or not all(isinstance(block, sparse.coo_matrix) for block in blocks):
            return original(features, featurizers)
        rows = blocks[0].shape[0]
        if any(block.shape[0] != rows for block in blocks):
            return original(features, featurizers)  # Rasa's own error
        # What scipy's hstack gives for COO blocks: data in block order, columns shifted.
        offsets = np.cumsum([0, *(block.shape[1] for block in blocks[:-1])])
        shape = (rows, sum(block.shape[1] for block in blocks))
        # As scipy's hstack: 32-bit indices unless a dimension needs more, data in the common dtype.
        index_dtype = np.int32 if max(shape) <= np.iinfo(np.int32).max else np.int64
        data = np.concatenate([block.data for block in blocks]).astype(
            np.result_type(*(b.dtype for b in blocks)), copy=False
        )
        row = np.concatenate([block.row for block in blocks]).astype(index_dtype, copy=False)
        col = np.concatenate([block.col + offset for block, offset in zip(blocks, offsets, strict=True)])
        matrix = sparse.coo_matrix((data, (row, col.astype(index_dtype, copy=False))), shape=shape)
        return Features(matrix, features[0].type, features[0].attribute, featurizers)

    Message.rasa_combine_features = staticmethod(original)  # type: ignore[attr-defined]
    Message._combine_features = staticmethod(_combine_features)  # type: ignore[method-assign]


@dataclass
class _Applied:
    events: Any  # the tracker's deque these were worked out from
    length: int
    last: Event | None
    loop_names: Set[str]
    applied: List[Event]


# Events after which Rasa's applied_events does more than append: those start over from
# scratch (an ActiveLoop only when it names a loop not seen before).
_REWINDING = (Restarted, SessionStarted, ActionReverted, UserUtteranceReverted)


def _only_appends(event: Event, loop_names: Set[str]) -> bool:
    if isinstance(event, _REWINDING):
        return False
    if isinstance(event, ActiveLoop):
        return not event.name or event.name in loop_names
    return not (isinstance(event, ActionExecuted) and event.action_name in loop_names)


def _memoise_applied_events() -> None:
    original = DialogueStateTracker.applied_events

    def applied_events(self: DialogueStateTracker) -> List[Event]:
        # A tracker's events are only ever appended to (or the deque replaced): the same deque
        # and the same event at the last known position mean the same events before it.
        events = self.events
        length = len(events)
        last = events[-1] if events else None
        known: _Applied | None = self.__dict__.get("_ryggvett_applied_events")
        if known is not None and known.events is events and events.maxlen is None:
            if known.length == length and known.last is last:
                return list(known.applied)  # callers may change the list they get
            if length > known.length > 0 and events[known.length - 1] is known.last:
                added = list(itertools.islice(events, known.length, None))
                if all(_only_appends(event, known.loop_names) for event in added):
                    known.applied.extend(added)
                    known.length, known.last = length, last
                    return list(known.applied)
        loop_names = {e.name for e in events if isinstance(e, ActiveLoop) and e.name}
        known = _Applied(events, length, last, loop_names, original(self))
        self.__dict__["_ryggvett_applied_events"] = known
        return list(known.applied)

    DialogueStateTracker.rasa_applied_events = original  # type: ignore[attr-defined]
    DialogueStateTracker.applied_events = applied_events  # type: ignore[method-assign]


def _copy_trackers_directly() -> None:
    original = DialogueStateTracker.copy

    def copy_tracker(self: DialogueStateTracker) -> DialogueStateTracker:
        # What replaying every event into `init_copy()` gives: the same state, own mutable parts.
        if type(self) is not DialogueStateTracker or type(self.slots) is not dict:
            return original(self)
        duplicate = DialogueStateTracker.__new__(DialogueStateTracker)
        duplicate.__dict__.update((k, v) for k, v in self.__dict__.items() if not k.startswith("_ryggvett"))
        duplicate.events = deque(self.events, self._max_event_history)
        duplicate.sender_id = self.sender_id or DEFAULT_SENDER_ID
        duplicate.slots = {name: slot.__copy__() for name, slot in self.slots.items()}
        duplicate.sender_source = None
        duplicate.model_id = None
        duplicate.assistant_id = None
        duplicate.latest_action = dict(self.latest_action) if self.latest_action is not None else None
        duplicate.active_loop = copy.copy(self.active_loop)
        # Without a user or bot message among the events, the replay starts from fresh empty ones.
        if not _among(self.latest_message, self.events):
            duplicate.latest_message = UserUttered.empty()
        if not _among(self.latest_bot_utterance, self.events):
            duplicate.latest_bot_utterance = BotUttered.empty()
        return duplicate

    DialogueStateTracker.rasa_copy = original  # type: ignore[attr-defined]
    DialogueStateTracker.copy = copy_tracker  # type: ignore[method-assign]


def _among(event: Event | None, events: Any) -> bool:
    return any(e is event for e in reversed(events))


def _memoise_empty_domain() -> None:
    empty: list[Dict[str, Any]] = []

    def is_empty(self: Domain) -> bool:
        if not empty:
            empty.append(Domain.empty().as_dict())
        return self.as_dict() == empty[0]

    Domain.rasa_is_empty = Domain.is_empty  # type: ignore[attr-defined]
    Domain.is_empty = is_empty  # type: ignore[method-assign]


def _shared_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    loop = asyncio.get_running_loop()
    session: aiohttp.ClientSession | None = getattr(endpoint, "_shared_session", None)
    if session is None or session.closed or getattr(endpoint, "_shared_session_loop", None) is not loop:
        auth = None
        if endpoint.basic_auth:
            auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
        session = aiohttp.ClientSession(
            headers=endpoint.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEP_ALIVE_SECONDS),
            json_serialize=ujson.dumps,  # the whole conversation goes with each call; ujson is 2-3x faster
        )
        endpoint._shared_session = session  # type: ignore[attr-defined]
        endpoint._shared_session_loop = loop  # type: ignore[attr-defined]
    return session


def _safe_to_repeat(body: Any) -> bool:
    """A call may be sent again unless it runs an action that stores something (actions.STORING_ACTIONS)."""
    from actions import STORING_ACTIONS

    action = body.get("next_action") if isinstance(body, dict) else None
    return action not in STORING_ACTIONS


async def _request(
    self: EndpointConfig,
    method: str = "post",
    subpath: str | None = None,
    content_type: str | None = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Any | None:
    """Rasa's EndpointConfig.request over a kept-alive session."""
    import ssl

    headers = {"Content-Type": content_type} if content_type else {}
    headers.update(kwargs.pop("headers", {}))
    headers.update(self.headers)
    sslcontext = ssl.create_default_context(cafile=self.cafile) if self.cafile else None
    params = self.combine_parameters(kwargs)
    url = concat_url(self.url, subpath)
    for attempt in (1, 2):
        session = _shared_session(self)
        try:
            async with session.request(
                method, url, headers=headers, params=params, compress=compress, ssl=sslcontext, **kwargs
            ) as response:
                if response.status >= 400:
                    raise ClientResponseError(response.status, response.reason, await response.content.read())
                try:
                    return await response.json()
                except aiohttp.ContentTypeError:
                    return None
        except aiohttp.ServerDisconnectedError:
            # The server closed a kept-alive connection (it restarted): once more on a new one, unless
            # the action stores something: it may have been stored before the connection broke.
            if attempt == 2 or not _safe_to_repeat(kwargs.get("json")):
                raise
            logger.debug("%s closed a kept-alive connection; retrying on a new one", url)
    return None
