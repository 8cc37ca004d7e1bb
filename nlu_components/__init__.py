"""Custom Rasa NLU components: thin adapters over the `ryggvett` package."""
