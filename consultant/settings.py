"""All settings in one place: defaults in config/defaults.toml, overridden by CC_* environment variables.

Secrets (passwords, session key) come from the environment only.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
TEMPLATES_DIR = PROJECT_ROOT / "templates"


def _defaults_file() -> Path:
    return Path(os.environ.get("CC_CONFIG_FILE", CONFIG_DIR / "defaults.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CC_", extra="ignore")

    # where state lives in the embedded default
    data_dir: Path = Path("var")
    database_url: str | None = None  # default: sqlite:///<data_dir>/caseconsultant.sqlite3
    broker_url: str | None = None  # unset: embedded (Celery eager mode, no broker server)
    code_data_dir: Path | None = None  # where `codes load` looks for CMS files by name

    # the consult address and who may write to it
    consult_address: str = "consult@caseconsultant.test"
    consult_display_name: str = "CaseConsultant"
    allowed_senders: list[str] = Field(default_factory=list)  # addresses or @domains; empty = open
    sender_daily_quota: int = 50
    max_message_bytes: int = 10 * 1024 * 1024

    # IMAP ingestion
    imap_host: str | None = None
    imap_port: int = 993
    imap_user: str | None = None
    imap_password: str | None = None
    imap_ssl: bool = True
    imap_starttls: bool = False
    imap_ca_file: Path | None = None
    imap_folder: str = "INBOX"
    imap_folders: list[str] = Field(default_factory=list)  # several folders; default [imap_folder]
    imap_processed_folder: str | None = "Processed"  # None: flag \Seen instead of moving
    imap_failed_folder: str | None = "Failed"
    imap_sent_folder: str | None = None  # APPEND a copy of every reply here
    imap_idle_seconds: int = 29 * 60 - 60  # re-IDLE before the 29-minute server limit
    imap_poll_seconds: int = 30
    imap_idle: bool = True  # False: poll every imap_poll_seconds even when the server offers IDLE
    imap_timeout_seconds: float = 60.0
    oauth2_token_command: str | None = None  # prints an access token (XOAUTH2); IMAP and SMTP

    # SMTP sending
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_tls: Literal["none", "starttls", "ssl"] = "starttls"
    smtp_ca_file: Path | None = None
    smtp_timeout_seconds: float = 60.0
    smtp_reuse_seconds: float = 15.0  # keep the connection open this long for a burst (0 = never)
    message_id_domain: str | None = None  # default: the consult address's domain

    # SMTP/LMTP ingress (caseconsultant smtpd)
    smtpd_host: str = "127.0.0.1"
    smtpd_port: int = 8025
    smtpd_lmtp: bool = False

    # workers
    sweep_after_seconds: int = 60
    send_max_attempts: int = 8
    send_backoff_seconds: float = 30.0
    send_backoff_max_seconds: float = 3600.0  # exponential backoff is capped here
    send_stuck_after_seconds: int = 600  # a row in `sending` this long is a crashed send (> any send)

    # web
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    secret_key: str | None = None  # session signing; generated into data_dir when unset
    secure_cookies: bool = False  # True behind TLS
    login_max_failures: int = 5
    login_lockout_seconds: int = 900

    log_level: str = "INFO"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_defaults_file())
        return (init_settings, env_settings, toml)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'caseconsultant.sqlite3').resolve()}"

    @property
    def effective_imap_folders(self) -> list[str]:
        return self.imap_folders or [self.imap_folder]

    @property
    def consult_domain(self) -> str:
        return self.consult_address.rpartition("@")[2].lower()

    @property
    def effective_message_id_domain(self) -> str:
        return self.message_id_domain or self.consult_domain


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests and the demo change CC_* variables)."""
    get_settings.cache_clear()
