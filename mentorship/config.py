"""One frozen Settings object, read from the environment once, with local defaults."""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from mentorship.adapters.registry import RegistryConfig
from mentorship.rules.matching import Weights
from mentorship.rules.state import Durations

if TYPE_CHECKING:
    from mentorship.adapters.encryption import Encryption
    from mentorship.adapters.sandbox import BoundedPool
    from mentorship.adapters.seal_identity import SealIdentity
    from mentorship.services.mail import MailConfig


class ConfigError(ValueError):
    """A setting in the environment that cannot be used; the message names it."""


def positive(name: str, default: int, zero: bool = False) -> int:
    """A whole number above zero (or zero, if ``zero``: "off") from the variable ``name``."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 0 or (value == 0 and not zero):
        least = "zero or more" if zero else "above zero"
        raise ConfigError(f"{name} must be {least}, not {value}")
    return value


def parse_weights(text: str) -> Weights:
    """``expertise=0.55,sector=0.15,proximity=0.15,load=0.15``; parts left out keep defaults."""
    values: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, number = part.partition("=")
        if name.strip() not in Weights.__dataclass_fields__:
            raise ConfigError(
                f"DIGIVOL_MATCHING_WEIGHTS: unknown component {name.strip()!r}; "
                f"use {', '.join(Weights.__dataclass_fields__)}"
            )
        try:
            values[name.strip()] = float(number)
        except ValueError:
            raise ConfigError(f"DIGIVOL_MATCHING_WEIGHTS: {part!r} needs a number") from None
    weights = Weights(**values)
    if min(vars(weights).values()) < 0 or sum(vars(weights).values()) <= 0:
        raise ConfigError("DIGIVOL_MATCHING_WEIGHTS: weights are >= 0 and not all zero")
    return weights


_render_pools: dict[tuple[int, int], BoundedPool] = {}
_render_pools_lock = threading.Lock()


def _render_pool(timeout_seconds: int, memory_mb: int) -> BoundedPool:
    # Under a lock: activity threads asking at once would otherwise each start a pool of
    # their own, and all but one would keep their processes to the end.
    with _render_pools_lock:
        key = (timeout_seconds, memory_mb)
        if key not in _render_pools:
            from mentorship.adapters.agreements import new_render_pool  # lazy: see Settings.mail()

            pool = new_render_pool(
                timeout_seconds=timeout_seconds, memory_bytes=memory_mb * 1024 * 1024
            )
            atexit.register(pool.close)
            _render_pools[key] = pool
        return _render_pools[key]


ENVIRONMENTS = ("development", "production")

# What production (DIGIVOL_ENV=production) will not start without, by the name that waives it
# in DIGIVOL_ALLOW_MISSING. Without them it would seal with a root it made itself, sign
# cookies with a key only its data dir knows, keep mail in the outbox, and link to 127.0.0.1.
PRODUCTION_NEEDS = {
    "seal": "a seal certificate and key (DIGIVOL_SEAL_CHAIN, DIGIVOL_SEAL_KEY)",
    "secret_key": "a secret key (DIGIVOL_SECRET_KEY)",
    "smtp": "a mail server (SMTP_URL)",
    "base_url": "the public address (DIGIVOL_BASE_URL)",
}


def _environment(raw: str) -> str:
    name = raw.strip() or "development"
    if name not in ENVIRONMENTS:
        raise ConfigError(f"DIGIVOL_ENV must be {' or '.join(ENVIRONMENTS)}, not {raw!r}")
    return name


def _waived(raw: str) -> frozenset[str]:
    names = frozenset(part.strip() for part in raw.split(",") if part.strip())
    unknown = sorted(names - PRODUCTION_NEEDS.keys())
    if unknown:
        raise ConfigError(
            f"DIGIVOL_ALLOW_MISSING: {', '.join(unknown)} is not one of "
            f"{', '.join(PRODUCTION_NEEDS)}"
        )
    return names


def _path(raw: str | None) -> Path | None:
    return Path(raw) if raw else None


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str = ""
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "mentorships"
    # "production" refuses to start without PRODUCTION_NEEDS, but for those waived by name.
    environment: str = "development"
    allow_missing: frozenset[str] = frozenset()
    secret_key: str = ""
    # Fernet keys for secrets kept at rest (mentorship.adapters.encryption); unset: one per
    # data dir.
    encryption_key: str = ""
    durations: Durations = field(default_factory=Durations)
    planned_sessions: int = 4
    rpc_timeout_seconds: float = 5.0
    matching_round_every_seconds: int = 24 * 3600
    matching_top_k: int = 20
    matching_weights: Weights = field(default_factory=Weights)
    # The platform's seal. Unset: a local certificate made on first run in <data_dir>/seal.
    seal_chain: Path | None = None
    seal_key: Path | None = None
    seal_key_password: str = ""
    seal_trust_root: Path | None = None
    render_timeout_seconds: int = 30
    render_memory_mb: int = 1024
    # The Coalition's pledge registry; unset, pledge entries stay in this service only.
    pledge_registry_url: str = ""
    pledge_registry_token: str = ""
    registry_timeout_seconds: int = 10
    # Sign-in sessions: cookies only over HTTPS (production), idle and absolute timeouts.
    # E-mail: sent through SMTP_URL (smtp://user:password@host:587, smtps://… for TLS from
    # the start); unset, messages stay in the outbox table, shown at /dev/mail.
    smtp_url: str = ""
    mail_from: str = "Digital Volunteers <no-reply@digital-volunteers.localhost>"
    base_url: str = "http://127.0.0.1:8000"  # where the links in e-mails point
    # The outbox sends as soon as a step queues mail; at the latest this long after (a safety
    # net for a wake that was lost), and its Schedule checks this often that it runs.
    mail_every_seconds: int = 600
    # Personal data of a mentorship is erased this long after it closed; workflow histories,
    # which hold ids only, are kept this long after a workflow ends.
    retention_days: int = 3 * 365
    history_retention_days: int = 30
    secure_cookies: bool = False
    # Proxies in front of the web whose X-Forwarded-For/-Proto/-Host to believe (compose: 1,
    # Caddy). 0: none, and the address of whoever connects is the client's.
    trusted_proxies: int = 0
    session_idle_minutes: int = 30
    session_max_hours: int = 8
    # Operations: the worker's Prometheus port (0: none), and how long a stopping worker may
    # take to finish the activities it runs before they are cancelled (and retried elsewhere).
    metrics_port: int = 0
    shutdown_grace_seconds: int = 30
    # How often the worker starts the workflows of requests whose start never went through
    # (the web stopped between its commit and the start).
    reconcile_every_seconds: int = 60

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "digivol.sqlite3"

    def missing_for_production(self) -> list[str]:
        """What production needs and these settings (as read, before ``resolved``) lack."""
        unset = {
            "seal": self.seal_chain is None or self.seal_key is None,
            "secret_key": not self.secret_key,
            "smtp": not self.smtp_url,
            "base_url": self.base_url == Settings.base_url,
        }
        return [
            name for name, lacking in unset.items() if lacking and name not in self.allow_missing
        ]

    def check_production(self) -> None:
        """In production, refuse settings that lack what a real service needs, naming all."""
        missing = self.missing_for_production() if self.environment == "production" else []
        if missing:
            raise ConfigError(
                "production (DIGIVOL_ENV=production) does not start without "
                + "; ".join(PRODUCTION_NEEDS[name] for name in missing)
                + ". Set them, or run without one on purpose by naming it in"
                f" DIGIVOL_ALLOW_MISSING ({', '.join(missing)})"
            )

    def resolved(self) -> Settings:
        """Fill the values that derive from the data dir."""
        url = self.database_url or f"sqlite:///{self.sqlite_path.resolve()}"
        return replace(self, database_url=url, secret_key=self.secret_key or self._secret())

    def _secret(self) -> str:
        # One random key per data dir, so sessions survive a restart of `digivol up`.
        return self._kept_key("secret_key", lambda: os.urandom(32).hex())

    def _kept_key(self, name: str, make: Callable[[], str]) -> str:
        path = self.data_dir / name
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(make())
            path.chmod(0o600)
        return path.read_text().strip()

    def encryption(self) -> Encryption:
        """What encrypts secrets at rest: DIGIVOL_ENCRYPTION_KEY, else the data dir's key."""
        # lazy: see Settings.mail()
        from mentorship.adapters.encryption import EncryptionError, encryption, new_key

        try:
            return encryption(self.encryption_key or self._kept_key("encryption_key", new_key))
        except EncryptionError as exc:
            raise ConfigError(str(exc)) from None

    def mail(self) -> MailConfig:
        """How e-mail leaves the service, and what its links point to."""
        # lazy: every process reads Settings, which loads in 0.1 s; with the parts it builds
        # (the ORM and templates of mail, the render pool, pyHanko) it took 1 s. Each part
        # loads in the process that asks for it.
        from mentorship.services.mail import MailConfig, MailError, parse_smtp_url

        try:
            parse_smtp_url(self.smtp_url)
        except MailError as exc:
            raise ConfigError(f"SMTP_URL: {exc}") from None
        base_url = self.base_url.rstrip("/")
        return MailConfig(self.smtp_url, self.mail_from, base_url, self.secret_key)

    def seal_identity(self) -> SealIdentity:
        """The certificate and key that seal completed agreements."""
        # lazy: the X.509 parts of cryptography load where agreements are sealed (see mail()).
        from mentorship.adapters.seal_identity import (
            SealError,
            load_identity,
            load_or_create_identity,
        )

        if (self.seal_chain is None) != (self.seal_key is None):
            raise ConfigError(
                "DIGIVOL_SEAL_CHAIN and DIGIVOL_SEAL_KEY are set together or not at all"
            )
        try:
            if self.seal_chain is None or self.seal_key is None:
                return load_or_create_identity(self.data_dir / "seal")
            password = self.seal_key_password.encode() or None
            return load_identity(self.seal_chain, self.seal_key, password, self.seal_trust_root)
        except SealError as exc:
            raise ConfigError(f"platform seal: {exc}") from None

    def registry(self) -> RegistryConfig | None:
        """Where pledge entries are pushed, if a registry is configured."""
        if not self.pledge_registry_url:
            return None
        if not self.pledge_registry_url.startswith(("http://", "https://")):
            raise ConfigError("PLEDGE_REGISTRY_URL must be an http:// or https:// URL")
        return RegistryConfig(
            self.pledge_registry_url, self.pledge_registry_token, self.registry_timeout_seconds
        )

    def render_pool(self) -> BoundedPool:
        """Processes that render and read PDFs, each bounded in time and memory; one pool
        per process and bounds, started on first use and kept warm."""
        return _render_pool(self.render_timeout_seconds, self.render_memory_mb)

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Read DIGIVOL_* variables; keyword overrides (command-line flags) win."""
        env = os.environ
        environment = _environment(env.get("DIGIVOL_ENV", ""))
        production = environment == "production"
        values: dict[str, object] = {
            "environment": environment,
            "allow_missing": _waived(env.get("DIGIVOL_ALLOW_MISSING", "")),
            "data_dir": Path(env.get("DIGIVOL_DATA_DIR", "var")),
            "database_url": env.get("DATABASE_URL", ""),
            "temporal_address": env.get("TEMPORAL_ADDRESS", "127.0.0.1:7233"),
            "temporal_namespace": env.get("TEMPORAL_NAMESPACE", "default"),
            "task_queue": env.get("DIGIVOL_TASK_QUEUE", "mentorships"),
            "secret_key": env.get("DIGIVOL_SECRET_KEY", ""),
            "encryption_key": env.get("DIGIVOL_ENCRYPTION_KEY", ""),
            "durations": Durations(
                nda_reminder=positive("DIGIVOL_NDA_REMINDER_SECONDS", 3 * 24 * 3600),
                nda_expiry=positive("DIGIVOL_NDA_EXPIRY_SECONDS", 14 * 24 * 3600),
                awaiting_mentors=positive("DIGIVOL_AWAITING_MENTORS_SECONDS", 30 * 24 * 3600),
                unconfirmed_nudge=positive("DIGIVOL_UNCONFIRMED_NUDGE_SECONDS", 5 * 24 * 3600),
                idle_nudge=positive("DIGIVOL_IDLE_NUDGE_SECONDS", 21 * 24 * 3600),
                escalate_after=positive("DIGIVOL_ESCALATE_AFTER_SECONDS", 7 * 24 * 3600),
                unscheduled_nudge=positive("DIGIVOL_UNSCHEDULED_NUDGE_SECONDS", 14 * 24 * 3600),
                registry_max_retry=positive("DIGIVOL_REGISTRY_MAX_RETRY_SECONDS", 3600),
                step_timeout=positive("DIGIVOL_STEP_TIMEOUT_SECONDS", 60),
            ),
            "planned_sessions": positive("DIGIVOL_PLANNED_SESSIONS", 4),
            "matching_round_every_seconds": positive("DIGIVOL_MATCHING_ROUND_SECONDS", 24 * 3600),
            "matching_top_k": positive("DIGIVOL_MATCHING_TOP_K", 20),
            "matching_weights": parse_weights(env.get("DIGIVOL_MATCHING_WEIGHTS", "")),
            "seal_chain": _path(env.get("DIGIVOL_SEAL_CHAIN")),
            "seal_key": _path(env.get("DIGIVOL_SEAL_KEY")),
            "seal_key_password": env.get("DIGIVOL_SEAL_KEY_PASSWORD", ""),
            "seal_trust_root": _path(env.get("DIGIVOL_SEAL_TRUST_ROOT")),
            "render_timeout_seconds": positive("DIGIVOL_RENDER_TIMEOUT_SECONDS", 30),
            "render_memory_mb": positive("DIGIVOL_RENDER_MEMORY_MB", 1024),
            "pledge_registry_url": env.get("PLEDGE_REGISTRY_URL", ""),
            "pledge_registry_token": env.get("PLEDGE_REGISTRY_TOKEN", ""),
            "registry_timeout_seconds": positive("DIGIVOL_REGISTRY_TIMEOUT_SECONDS", 10),
            "smtp_url": env.get("SMTP_URL", ""),
            "mail_from": env.get("DIGIVOL_MAIL_FROM") or cls.mail_from,
            "base_url": env.get("DIGIVOL_BASE_URL") or cls.base_url,
            "mail_every_seconds": positive("DIGIVOL_MAIL_SECONDS", 600),
            "retention_days": positive("DIGIVOL_RETENTION_DAYS", 3 * 365),
            "history_retention_days": positive("DIGIVOL_HISTORY_RETENTION_DAYS", 30),
            "secure_cookies": env.get("DIGIVOL_SECURE_COOKIES", "1" if production else "")
            in ("1", "true", "yes"),
            "trusted_proxies": positive("DIGIVOL_TRUSTED_PROXIES", 0, zero=True),
            "session_idle_minutes": positive("DIGIVOL_SESSION_IDLE_MINUTES", 30),
            "session_max_hours": positive("DIGIVOL_SESSION_MAX_HOURS", 8),
            "metrics_port": positive("DIGIVOL_METRICS_PORT", 0, zero=True),
            "shutdown_grace_seconds": positive("DIGIVOL_SHUTDOWN_GRACE_SECONDS", 30),
            "reconcile_every_seconds": positive("DIGIVOL_RECONCILE_SECONDS", 60),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        settings.check_production()
        return settings.resolved()
