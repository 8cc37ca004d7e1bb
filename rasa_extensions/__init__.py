"""Rasa adapters that are not NLU components: tracker store and channels."""
