"""Rasa custom actions: thin adapters over the `ryggvett` package."""

# The actions that store something or tell someone (a callback request, a check-in, exercise
# ratings, the reception's notice): a call to them is never sent twice, since the action server
# may have stored before the connection broke (rasa_extensions/fast_paths.py retries the others
# once on a closed kept-alive connection). tests/test_storing_actions.py finds them in the code.
STORING_ACTIONS = frozenset(
    {
        "validate_callback_form",
        "action_finish_callback",
        "action_checkin_reply",
        "action_suggest_exercises",
        "action_rate_exercises",
    }
)
