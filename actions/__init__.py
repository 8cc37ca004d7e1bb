"""Rasa custom actions: thin adapters over the `ryggvett` package."""
