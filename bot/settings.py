"""One settings object for every Calx process, read from the environment.

Variables carry the prefix ``CALX_`` (``CALX_DATABASE_URL``, ``CALX_API_TOKEN``...).
A ``.env`` file in the working directory is read if present. Defaults serve a
laptop; with ``CALX_ENV=production`` or ``CALX_CLUSTER=1`` placeholder or empty
secrets, default passwords in service URLs and a ``DEBUG`` log level (Rasa logs
message text at ``DEBUG``) are refused.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseSettings, validator
from pydantic.fields import ModelField

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var"

#: Values that mark a secret as "not set for real".
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "dev-rasa-token", "dev-api-token", "dev-secret-key"}
)
SECRET_FIELDS = ("rasa_token", "api_token", "secret_key")
#: Service URLs whose password is checked in production (only for hosts that are not local).
URL_FIELDS = ("database_url", "redis_url", "amqp_url")
#: Well-known default passwords of the services (RabbitMQ's ``guest``...).
DEFAULT_PASSWORDS = frozenset({"guest", "postgres", "password", "redis", "rabbitmq", "admin"})
#: Shortest secret accepted in production.
MIN_SECRET_CHARS = 16
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


#: A wildcard listen address, and the address a browser or a link uses for it.
LOOPBACK_FOR = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104


def split_list(value: str) -> list[str]:
    """``"a, b c"`` as ``["a", "b", "c"]`` (comma- or space-separated)."""
    return [item for item in value.replace(",", " ").split() if item]


def log_level_number(level: str) -> int:
    """``"INFO"``, ``"info"`` or ``"20"`` as a number (0 for anything unknown)."""
    text = level.strip().upper()
    if text.isdigit():
        return int(text)
    number = logging.getLevelName(text)
    return number if isinstance(number, int) else 0


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
    #: Where Rasa and the web app are reached; default ``http://<host>:<port>`` of the above.
    rasa_url: str = ""
    web_url: str = ""
    #: Origins allowed to call Rasa from a browser (``rasa run --cors``), comma-separated,
    #: e.g. ``https://portal.example.org``; empty = ``*`` in development and test; the Rasa
    #: server refuses to start in production without it (``check_cors``).
    cors_origins: str = ""
    log_level: str = "INFO"
    #: Where ``make run`` writes its processes' JSON logs (relative to the checkout);
    #: ``-`` keeps them on the terminal. The terminal shows progress and the ready block.
    run_log: str = "var/log/calx.log"
    #: ``make run-cluster``: production checks apply whatever ``env`` says.
    cluster: bool = False
    # Rate limits (bot.ratelimit): messages per second and burst; 0 switches a limit off.
    rate_sender_per_s: float = 10.0
    rate_sender_burst: int = 30
    rate_ip_per_s: float = 30.0
    rate_ip_burst: int = 120
    #: Client networks the per-IP limit leaves alone (comma-separated; loopback by default).
    rate_exempt: str = "127.0.0.0/8,::1"
    #: Proxies whose ``X-Forwarded-For`` is believed (comma-separated addresses or networks).
    trusted_proxies: str = ""
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
    #: Slack workspaces (team ids, comma-separated) whose members are staff: only their
    #: messages are taken, as a clinician's (``Who may be a clinician respondent``).
    slack_team_ids: str = ""
    #: Microsoft Entra tenants whose Teams users are staff (comma-separated tenant ids).
    teams_tenant_ids: str = ""
    widget_server_url: str = ""  # Rasa's URL as the browser sees it (default: rasa_url)
    #: Where the patients are (BCP 47, e.g. en-GB, en-US, en-AU): the emergency number and
    #: words of the emergency advice (bot/interview/emergency.yaml); unknown: the generic ones.
    locale: str = "en-GB"
    #: Overrides the locale's emergency number (e.g. "112"); empty: the locale's own.
    emergency_number: str = ""
    # Cluster mode (`make run-cluster`, bot/cluster, docs/deploy.md).
    replicas: int = 2  # Rasa servers behind the load balancer
    # Rasa's lock store; rate limits (bot.ratelimit) are kept there too in cluster mode or
    # when CALX_REDIS_URL is set, else in each process's memory.
    redis_url: str = "redis://127.0.0.1:6379/0"
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

    @property
    def strict(self) -> bool:
        """Whether production checks apply (``CALX_ENV=production`` or cluster mode)."""
        return self.env == "production" or self.cluster

    def problems(self) -> list[str]:
        """What a production deployment must not run with (empty: nothing)."""
        found = [
            f"CALX_{name.upper()} is a placeholder, empty or shorter than {MIN_SECRET_CHARS}"
            for name in SECRET_FIELDS
            if getattr(self, name).strip().lower() in PLACEHOLDER_SECRETS
            or len(getattr(self, name).strip()) < MIN_SECRET_CHARS
        ]
        for name in URL_FIELDS:
            url = urlsplit(getattr(self, name))
            if url.password is not None and (url.hostname or "") not in LOOPBACK_HOSTS:
                password = url.password.strip().lower()
                if password in PLACEHOLDER_SECRETS or password in DEFAULT_PASSWORDS:
                    found.append(f"CALX_{name.upper()} has a default password")
        if log_level_number(self.log_level) < logging.INFO:
            found.append("CALX_LOG_LEVEL must be INFO or above (DEBUG logs message text)")
        found += self.staff_problems()
        return found

    def staff_problems(self) -> list[str]:
        """Channels switched on without saying whose users are staff (they take no message)."""
        found = []
        if self.slack_signing_secret and not split_list(self.slack_team_ids):
            found.append("CALX_SLACK_TEAM_IDS is empty: Slack is on but no workspace is staff")
        if self.teams_app_id and not split_list(self.teams_tenant_ids):
            found.append("CALX_TEAMS_TENANT_IDS is empty: Teams is on but no tenant is staff")
        return found

    def check_secrets(self) -> None:
        """Raise ``ValueError`` naming every placeholder secret, whatever the mode.

        ``make run-cluster`` calls this before it starts anything.
        """
        found = self.problems()
        if found:
            mode = "in cluster mode" if self.cluster else "in production"
            raise ValueError(
                f"refusing to start {mode}: "
                + "; ".join(found)
                + f" (set each secret to a random value of at least {MIN_SECRET_CHARS} characters)"
            )

    @validator("rasa_url", "web_url", always=True)
    def _default_url(cls, value: str, values: dict[str, Any], field: ModelField) -> str:
        """An unset URL follows ``CALX_HOST`` and the port (a wildcard host as loopback)."""
        if value.strip():
            return value.strip().rstrip("/")
        host = str(values.get("host") or "127.0.0.1")
        host = LOOPBACK_FOR.get(host, host)
        if ":" in host:
            host = f"[{host}]"
        port = values.get("rasa_port" if field.name == "rasa_url" else "web_port")
        return f"http://{host}:{port}"

    @validator("cors_origins")
    def _check_origins(cls, value: str) -> str:
        """Each origin is ``*`` or ``scheme://host[:port]`` (what browsers send)."""
        for origin in split_list(value):
            url = urlsplit(origin)
            bare = url.scheme in ("http", "https") and url.hostname and not url.path.strip("/")
            if origin != "*" and not (bare and not url.query and not url.fragment):
                raise ValueError(
                    f"CALX_CORS_ORIGINS: {origin!r} is not an origin like https://host"
                )
        return value

    @property
    def cors_origin_list(self) -> list[str]:
        """The origins for ``rasa run --cors`` (``["*"]`` when unset outside production)."""
        origins = [o.rstrip("/") for o in split_list(self.cors_origins)]
        if origins or self.env == "production":
            return origins
        return ["*"]

    def check_cors(self) -> None:
        """Raise ``ValueError`` if production has no explicit ``CALX_CORS_ORIGINS``."""
        if not self.cors_origin_list:
            raise ValueError(
                "refusing to start in production without CALX_CORS_ORIGINS: set the sites "
                "allowed to call Rasa from a browser (e.g. https://portal.example.org, or *)"
            )

    def check_production(self) -> None:
        """Raise ``ValueError`` if production or cluster mode still has placeholder secrets."""
        if self.strict:
            self.check_secrets()

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
