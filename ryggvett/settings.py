"""Configuration from environment variables, with the documented defaults.

RYGGVETT_SENDER_KEY (no default; at least 32 characters, e.g. `openssl rand -hex 32`): the secret
for the keyed hash (HMAC-SHA256) stored instead of a conversation id that is a phone number
(Twilio SMS "+47...", WhatsApp "whatsapp:+47...", any channel whose ids are numbers). Rasa and the
action server need the same key, and it must stay the same: a new key starts every such
conversation afresh and unlinks it from its callback requests. Unset, such conversations are
refused rather than stored under the number or under a throwaway key: nothing is stored, the
error is logged, and the person gets the channel's technical-problem reply or none. The tracker
store does not start at all while TWILIO_ACCOUNT_SID is set (the Twilio/WhatsApp channel is on)
and the key is not. Conversations with other ids (web chat, most REST clients) need no key.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def db_url() -> str:
    """Reference base (and, later, the project's own tables)."""
    return _env("RYGGVETT_DB_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'ryggvett.db'}")


def content_dir() -> Path:
    return Path(_env("RYGGVETT_CONTENT_DIR", str(PROJECT_ROOT / "content")))


def spacy_model_dir() -> Path:
    return Path(_env("RYGGVETT_SPACY_MODEL", str(PROJECT_ROOT / "build" / "spacy" / "nb_ryggvett")))


def default_language() -> str:
    return _env("RYGGVETT_DEFAULT_LANGUAGE", "nb")


CALLBACK_WITHIN = {"nb": "innen én arbeidsdag", "en": "within one working day"}


def callback_within(language: str) -> str:
    """When reception usually calls back, as the confirmation says it (RYGGVETT_CALLBACK_WITHIN_NB / _EN)."""
    language = language if language in CALLBACK_WITHIN else "nb"
    return _env(f"RYGGVETT_CALLBACK_WITHIN_{language.upper()}", CALLBACK_WITHIN[language])


def public_web_url() -> str:
    """Where patients' browsers reach the web server with the widget and illustrations (RYGGVETT_PUBLIC_URL)."""
    return _env("RYGGVETT_PUBLIC_URL", "http://localhost:8000").rstrip("/")


def illustration_url(filename: str) -> str:
    return f"{public_web_url()}/exercises/{filename}"


def tracker_url() -> str:
    """Rasa's SQL tracker store, which the clinicians' dashboard reads (RYGGVETT_TRACKER_URL)."""
    return _env("RYGGVETT_TRACKER_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}")


def sender_key() -> bytes | None:
    """The secret for hashing phone-number conversation ids (RYGGVETT_SENDER_KEY, see above), or None."""
    value = os.environ.get("RYGGVETT_SENDER_KEY", "").strip()
    if value and len(value) < 32:
        raise ValueError("RYGGVETT_SENDER_KEY must be at least 32 characters")
    return value.encode("utf-8") if value else None


def _env_int(name: str, default: int) -> int:
    try:
        return int(_env(name, str(default)))
    except ValueError:
        raise ValueError(f"{name} must be a whole number") from None


def tracker_cache_size() -> int:
    """Conversations whose latest tracker a Rasa server keeps in memory between messages (0: none)."""
    return max(0, _env_int("RYGGVETT_TRACKER_CACHE", 512))


def retention_days() -> int:
    """Conversations whose last message is older than this are deleted (RYGGVETT_RETENTION_DAYS)."""
    return _env_int("RYGGVETT_RETENTION_DAYS", 180)


def callback_retention_days() -> int:
    """Handled callback requests (with phone numbers) are deleted after this (RYGGVETT_CALLBACK_RETENTION_DAYS)."""
    return _env_int("RYGGVETT_CALLBACK_RETENTION_DAYS", 30)


def open_callback_days() -> int:
    """Callback requests nobody marked done are deleted this long after they came (RYGGVETT_OPEN_CALLBACK_DAYS)."""
    return _env_int("RYGGVETT_OPEN_CALLBACK_DAYS", 30)


def audit_retention_days() -> int:
    """Audit-log rows are deleted after this (RYGGVETT_AUDIT_RETENTION_DAYS)."""
    return _env_int("RYGGVETT_AUDIT_RETENTION_DAYS", 365)


def login_record_days() -> int:
    """Login attempts and ended sessions are deleted after this (RYGGVETT_LOGIN_RECORD_DAYS)."""
    return _env_int("RYGGVETT_LOGIN_RECORD_DAYS", 30)


def low_confidence() -> float:
    """A turn whose intent confidence is below this counts as low confidence (RYGGVETT_LOW_CONFIDENCE)."""
    return float(_env("RYGGVETT_LOW_CONFIDENCE", "0.5"))


def dashboard_secure_cookies() -> bool:
    """Session cookies only over HTTPS (RYGGVETT_DASHBOARD_SECURE_COOKIE); browsers count localhost as secure."""
    return _env("RYGGVETT_DASHBOARD_SECURE_COOKIE", "true").lower() not in {"0", "false", "no"}


def warm_up() -> bool:
    """Build the reference base and the card ranker when the action server starts (RYGGVETT_WARM_UP)."""
    return _env("RYGGVETT_WARM_UP", "true").lower() not in {"0", "false", "no"}


def dashboard_session_minutes() -> int:
    """A dashboard login ends after this many idle minutes (RYGGVETT_DASHBOARD_IDLE_MINUTES)."""
    return _env_int("RYGGVETT_DASHBOARD_IDLE_MINUTES", 60)


def dashboard_url() -> str:
    """Where staff reach the clinicians' dashboard, for links in notices (RYGGVETT_DASHBOARD_URL)."""
    return _env("RYGGVETT_DASHBOARD_URL", "http://localhost:8001").rstrip("/")


def reception_webhook_url() -> str:
    """Reception's messaging system, told of each new callback request (RYGGVETT_RECEPTION_WEBHOOK_URL; empty: off)."""
    return os.environ.get("RYGGVETT_RECEPTION_WEBHOOK_URL", "").strip()


def reception_webhook_token() -> str:
    """Sent as a bearer token with each notice (RYGGVETT_RECEPTION_WEBHOOK_TOKEN)."""
    return os.environ.get("RYGGVETT_RECEPTION_WEBHOOK_TOKEN", "").strip()


def action_secret() -> str:
    """Shared secret Rasa sends to the action server (RYGGVETT_ACTION_SECRET); empty: every call refused."""
    return os.environ.get("RYGGVETT_ACTION_SECRET", "").strip()


def action_host() -> str:
    """Interface the action server listens on (RYGGVETT_ACTION_HOST); a pod's own address in Kubernetes."""
    return _env("RYGGVETT_ACTION_HOST", "127.0.0.1")


def dashboard_trusted_proxies() -> int:
    """Reverse proxies in front of the dashboard whose X-Forwarded-For it believes (RYGGVETT_DASHBOARD_TRUSTED_PROXIES).

    0 (the default): none; the client is the socket's address and X-Forwarded-For is ignored. With 1 or more,
    the dashboard must be reachable only through those proxies, or a client could claim any address.
    """
    return max(0, _env_int("RYGGVETT_DASHBOARD_TRUSTED_PROXIES", 0))


def dashboard_totp_key() -> str:
    """Key the dashboard's TOTP secrets are derived under (RYGGVETT_DASHBOARD_TOTP_KEY; empty by default).

    Set it (from the secret store, not the database) and a copy of the database alone yields no second-factor
    codes; empty, the database alone holds them. Changing it voids every enrolment: each user enrols again.
    """
    return os.environ.get("RYGGVETT_DASHBOARD_TOTP_KEY", "").strip()
