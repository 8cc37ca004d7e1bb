"""Plugins of the action server: rasa_sdk imports this package by name when it starts.

rasa_sdk 3.6 looks for a top-level `rasa_sdk_plugins` with `init_hooks(manager)`
(rasa_sdk/plugin.py) and calls its `attach_sanic_app_extensions` hooks on the app.
"""

from __future__ import annotations

import pluggy


def init_hooks(manager: pluggy.PluginManager) -> None:
    from rasa_extensions import action_server_guard

    manager.register(action_server_guard)
