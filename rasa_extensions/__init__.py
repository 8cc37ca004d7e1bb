"""Rasa adapters that are not NLU components: tracker store, channels and the patches below."""


def install() -> None:
    """Put Ryggvett's patches into Rasa; every module `rasa run` loads from our configuration calls this."""
    from rasa_extensions import count_vectors, diet_intents, fast_paths, resilient_actions, turn_hook

    resilient_actions.install()
    fast_paths.install()
    turn_hook.install()
    diet_intents.install()
    count_vectors.install()
