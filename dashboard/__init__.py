"""The clinicians' web dashboard over the conversation logs (Flask, server-rendered pages)."""
