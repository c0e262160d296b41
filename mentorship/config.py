"""One frozen Settings object, read from the environment once, with local defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from mentorship.stages import Durations


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str = ""
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "mentorships"
    secret_key: str = ""
    durations: Durations = field(default_factory=Durations)
    planned_sessions: int = 4
    rpc_timeout_seconds: float = 5.0
    matching_round_every_seconds: int = 24 * 3600
    matching_top_k: int = 20

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "digivol.sqlite3"

    def resolved(self) -> Settings:
        """Fill the values that derive from the data dir."""
        url = self.database_url or f"sqlite:///{self.sqlite_path.resolve()}"
        return replace(self, database_url=url, secret_key=self.secret_key or self._secret())

    def _secret(self) -> str:
        # One random key per data dir, so sessions survive a restart of `digivol up`.
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(os.urandom(32).hex())
            path.chmod(0o600)
        return path.read_text().strip()

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Read DIGIVOL_* variables; keyword overrides (command-line flags) win."""
        env = os.environ
        values: dict[str, object] = {
            "data_dir": Path(env.get("DIGIVOL_DATA_DIR", "var")),
            "database_url": env.get("DATABASE_URL", ""),
            "temporal_address": env.get("TEMPORAL_ADDRESS", "127.0.0.1:7233"),
            "temporal_namespace": env.get("TEMPORAL_NAMESPACE", "default"),
            "task_queue": env.get("DIGIVOL_TASK_QUEUE", "mentorships"),
            "secret_key": env.get("DIGIVOL_SECRET_KEY", ""),
            "durations": Durations(
                nda_reminder=int(env.get("DIGIVOL_NDA_REMINDER_SECONDS", 3 * 24 * 3600)),
                nda_expiry=int(env.get("DIGIVOL_NDA_EXPIRY_SECONDS", 14 * 24 * 3600)),
                awaiting_mentors=int(env.get("DIGIVOL_AWAITING_MENTORS_SECONDS", 30 * 24 * 3600)),
            ),
            "planned_sessions": int(env.get("DIGIVOL_PLANNED_SESSIONS", 4)),
            "matching_round_every_seconds": int(
                env.get("DIGIVOL_MATCHING_ROUND_SECONDS", 24 * 3600)
            ),
            "matching_top_k": int(env.get("DIGIVOL_MATCHING_TOP_K", 20)),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values).resolved()  # type: ignore[arg-type]
