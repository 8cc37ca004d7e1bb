"""The dashboard's settings (from the environment unless a test passes its own) and the intents it knows."""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from flask import current_app

from ryggvett import settings
from ryggvett.review.retention import Periods


@dataclass(frozen=True)
class DashboardConfig:
    tracker_url: str
    db_url: str
    secure_cookies: bool = True
    idle_minutes: int = 60
    low_confidence: float = 0.5
    retention_days: int = 180
    callback_retention_days: int = 30
    open_callback_days: int = 30
    audit_retention_days: int = 365
    login_record_days: int = 30
    trusted_proxies: int = 0  # X-Forwarded-For is believed only from this many proxies in front

    @classmethod
    def from_environment(cls) -> DashboardConfig:
        return cls(
            tracker_url=settings.tracker_url(),
            db_url=settings.db_url(),
            secure_cookies=settings.dashboard_secure_cookies(),
            idle_minutes=settings.dashboard_session_minutes(),
            low_confidence=settings.low_confidence(),
            retention_days=settings.retention_days(),
            callback_retention_days=settings.callback_retention_days(),
            open_callback_days=settings.open_callback_days(),
            audit_retention_days=settings.audit_retention_days(),
            login_record_days=settings.login_record_days(),
            trusted_proxies=settings.dashboard_trusted_proxies(),
        )

    def periods(self) -> Periods:
        return Periods(
            self.retention_days, self.callback_retention_days, self.open_callback_days, self.audit_retention_days,
            self.login_record_days,
        )  # fmt: skip


def known_intents() -> list[str]:
    """The domain's intents: the only ones a reviewer may give as the right one."""
    domain = yaml.safe_load((settings.PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return sorted(str(intent) for intent in domain["intents"])


def get_config() -> DashboardConfig:
    """The running app's settings."""
    return current_app.config["DASHBOARD"]
