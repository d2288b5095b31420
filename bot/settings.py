"""One settings object for every Calx process, read from the environment.

Variables carry the prefix ``CALX_`` (``CALX_DATABASE_URL``, ``CALX_API_TOKEN``...).
A ``.env`` file in the working directory is read if present. Defaults serve a
laptop; with ``CALX_ENV=production`` placeholder or empty secrets are refused.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseSettings, validator

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var"

#: Values that mark a secret as "not set for real".
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "dev-rasa-token", "dev-api-token", "dev-secret-key"}
)
SECRET_FIELDS = ("rasa_token", "api_token", "secret_key")


class Settings(BaseSettings):
    """Calx settings; every field maps to ``CALX_<FIELD>``."""

    env: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{VAR_DIR / 'calx.db'}"
    rasa_token: str = "dev-rasa-token"
    api_token: str = "dev-api-token"
    secret_key: str = "dev-secret-key"
    host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_port: int = 5055
    web_port: int = 8000
    rasa_url: str = "http://127.0.0.1:5005"
    web_url: str = "http://127.0.0.1:8000"
    log_level: str = "INFO"
    #: ``Secure`` console cookies: None = automatic (off only for plain-http loopback
    #: development); always on in production, whatever is set.
    cookie_secure: bool | None = None
    # Channels (bot/channels, docs/channels.md): empty secrets switch a channel off (401).
    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_api_url: str = "https://slack.com/api"
    teams_app_id: str = ""
    teams_app_password: str = ""
    teams_openid_url: str = "https://login.botframework.com/v1/.well-known/openidconfiguration"
    teams_jwks_url: str = ""  # overrides the OpenID document's jwks_uri when set
    teams_issuer: str = "https://api.botframework.com"
    teams_token_url: str = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
    teams_token_scope: str = "https://api.botframework.com/.default"
    widget_server_url: str = ""  # Rasa's URL as the browser sees it (default: rasa_url)
    # Cluster mode (`make run-cluster`, bot/cluster, docs/deploy.md).
    replicas: int = 2  # Rasa servers behind the load balancer
    redis_url: str = "redis://127.0.0.1:6379/0"  # Rasa's lock store
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"  # Rasa's event broker (RabbitMQ)

    class Config:
        env_prefix = "CALX_"
        env_file = ".env"

    @validator("database_url")
    def _normalise_db_url(cls, value: str) -> str:
        """Accept ``postgres://`` as SQLAlchemy 1.4 does not."""
        if value.startswith("postgres://"):
            return "postgresql://" + value[len("postgres://") :]
        return value

    def check_production(self) -> None:
        """Raise ``ValueError`` if a production deployment still has placeholder secrets."""
        if self.env != "production":
            return
        weak = [
            f"CALX_{name.upper()}"
            for name in SECRET_FIELDS
            if getattr(self, name).strip().lower() in PLACEHOLDER_SECRETS
            or len(getattr(self, name)) < 16
        ]
        if weak:
            raise ValueError(
                "refusing to start in production with placeholder or short secrets: "
                + ", ".join(weak)
                + " (set each to a random value of at least 16 characters)"
            )

    @property
    def secure_cookies(self) -> bool:
        """Whether console cookies are ``Secure`` (HTTPS only); never off in production."""
        if self.env == "production":
            return True
        if self.cookie_secure is not None:
            return self.cookie_secure
        url = urlsplit(self.web_url)
        return not (url.scheme == "http" and url.hostname in ("127.0.0.1", "localhost", "::1"))

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is a SQLite file."""
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, validated for production use."""
    settings = Settings()
    settings.check_production()
    return settings
