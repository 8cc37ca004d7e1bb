"""Ryggvett domain logic: plain Python, independent of Rasa."""
