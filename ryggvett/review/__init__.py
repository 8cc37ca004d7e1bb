"""Clinicians' review of the conversation logs: transcripts, annotations, exports, analytics, privacy.

Plain Python over SQLAlchemy; the web dashboard (dashboard/) is a thin layer on top.
"""
