"""Settings from the environment (``LEDGER_*``), one object handed to the composition root."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything configurable, with the defaults of API.md."""

    model_config = SettingsConfigDict(env_prefix="LEDGER_", frozen=True, extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    data_dir: Path = Path(".ledger")
    kafka_bootstrap: str | None = None
    database_url: SecretStr | None = None
    topic_prefix: str = Field("ledger", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    partitions: int = Field(3, ge=1, le=1024)
    replication_factor: int = Field(1, ge=1, le=16)
    min_insync_replicas: int = Field(1, ge=1, le=16)
    log_timeout_s: float = Field(10.0, gt=0, le=300)
    admin_token: SecretStr | None = None
    timezone: str = "UTC"
    max_body_bytes: int = Field(1 << 20, ge=1024, le=64 << 20)
    snapshot_every: int = Field(10_000, ge=1)
    max_batch: int = Field(512, ge=1, le=10_000)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {value!r}") from e
        return value

    @property
    def embedded(self) -> bool:
        """No Kafka and no database configured: the log and read models live in ``data_dir``."""
        return self.kafka_bootstrap is None and self.database_url is None
