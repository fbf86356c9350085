"""Settings from the environment (``LEDGER_*``), one object handed to the composition root."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Final, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, FilePath, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.kafka_settings import KafkaSecurityProtocol, SaslMechanism, check_kafka_security

Severity = Literal["critical", "high", "medium", "low"]
DEFAULT_SLA_HOURS: dict[Severity, tuple[Decimal, Decimal]] = {
    "critical": (Decimal(1), Decimal(24)),
    "high": (Decimal(4), Decimal(72)),
    "medium": (Decimal(8), Decimal(120)),
    "low": (Decimal(24), Decimal(240)),
}
MIN_ADMIN_TOKEN: Final = 16
MAX_SLA_HOURS: Final = Decimal(87_660)
"""Ten years of hours: a due time stays far inside what a datetime holds, however late the
business time it runs from (the business-time window ends in year 3000)."""


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
    replication_factor: int | None = Field(
        None,
        ge=1,
        le=16,
        description="of the topics the ledger creates; unset: the cluster's default.replication.factor",
    )
    min_insync_replicas: int | None = Field(
        None,
        ge=1,
        le=16,
        description="a topic setting of the topics the ledger creates; unset: none, so the cluster's "
        "min.insync.replicas holds",
    )
    min_insync_floor: int = Field(
        1,
        ge=1,
        le=16,
        description="the writer refuses a topic it writes whose effective min.insync.replicas is lower; "
        "set 2 on a cluster of three or more brokers",
    )
    # Kafka security (ledger.kafka_settings): how every client of the ledger authenticates.
    kafka_security_protocol: KafkaSecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: SaslMechanism | None = None
    kafka_sasl_username: str | None = Field(None, min_length=1)
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: FilePath | None = Field(
        None, description="PEM: the CAs that sign the brokers' certificates"
    )
    kafka_ssl_certfile: FilePath | None = Field(None, description="PEM: this client's certificate (chain)")
    kafka_ssl_keyfile: FilePath | None = Field(None, description="PEM: this client's private key")
    kafka_ssl_key_password: SecretStr | None = None
    log_timeout_s: float = Field(10.0, gt=0, le=300)
    admin_token: SecretStr | None = None
    timezone: str = "UTC"
    currency: str = Field(
        "EUR",
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217: the currency the read models' money is reported in (the console shows it)",
    )
    sla_hours: dict[Severity, tuple[Decimal, Decimal]] = Field(
        default_factory=lambda: dict(DEFAULT_SLA_HOURS),
        description="per severity: (first response, resolution) within these calendar hours; "
        "LEDGER_SLA_HOURS='{\"critical\": [1, 24], ...}'",
    )
    max_body_bytes: int = Field(1 << 20, ge=1024, le=64 << 20)
    snapshot_every: int = Field(10_000, ge=1)
    max_batch: int = Field(4096, ge=1, le=10_000)
    projector_batch: int = Field(5000, ge=1, le=100_000)
    read_timeout_ms: int = Field(
        10_000, ge=1, le=600_000, description="statement timeout of an API read; past it, 503"
    )
    read_pool_size: int = Field(8, ge=1, le=200, description="connections of the API reads' own pool")
    pool_acquire_timeout_s: float = Field(
        5.0, gt=0, le=300, description="how long a request waits for a pooled connection; past it, 503"
    )
    # The event feed (GET /v1/events) and its Server-Sent Events.
    sse_keepalive_s: float = Field(
        15.0, gt=0, le=3600, description="a comment line this often keeps an idle event stream open"
    )
    sse_send_buffer_bytes: int | None = Field(
        256 * 1024,
        ge=4096,
        le=64 << 20,
        description="the kernel's send buffer of an event stream's socket, so that a client that "
        "stops reading holds at most this much; unset leaves it to the kernel (up to megabytes)",
    )
    # Roles and processes (``ledger serve`` and the roles it runs).
    api_workers: int | None = Field(
        None, ge=1, le=256, description="`ledger api` processes `ledger serve` runs; default max(2, cores)"
    )
    projector_processes: int | None = Field(
        None,
        ge=1,
        le=64,
        description="`ledger project` processes `ledger serve` spreads the projections over; "
        "default min(cores, projections)",
    )
    writer_standbys: int = Field(
        1, ge=0, le=8, description="hot standby `ledger writer` processes beside the active one"
    )
    internal_secret: SecretStr | None = Field(
        None, description="shared by `ledger api` and `ledger writer`: the writer's endpoint refuses others"
    )
    internal_listen: str = Field(
        "unix",
        pattern=r"^(unix|[A-Za-z0-9.:\[\]_-]+:[0-9]{1,5})$",
        description="where the active writer listens: `unix` (a socket in the data dir) or HOST:PORT",
    )
    internal_advertise: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9.:\[\]_-]+:[0-9]{1,5}$",
        description="HOST:PORT api processes reach a TCP endpoint at; default the listening one "
        "(this host's name when it listens on every address)",
    )
    probe_listen: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9.:\[\]_-]+:[0-9]{1,5}$",
        description="HOST:PORT where `ledger writer` and `ledger project`, run on their own, answer "
        "/healthz, /readyz and /metrics (ledger.probes); unset, they listen nowhere",
    )
    internal_timeout_s: float = Field(
        30.0, gt=0, le=600, description="how long an api process waits for the writer's answer; past it, 503"
    )
    kafka_transaction_backoff_ms: float | None = Field(
        2.0,
        ge=0,
        le=1000,
        description="wait before asking again while Kafka still writes the last commit's markers; "
        "unset keeps aiokafka's 20 ms (see ledger.log.kafka)",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {value!r}") from e
        return value

    @field_validator("admin_token")
    @classmethod
    def _usable_admin_token(cls, value: SecretStr | None) -> SecretStr | None:
        """Trimmed (a secret file's trailing newline is no part of the token), then refused when
        no one could use it: empty (it would silently stand for "generate one"), short or unsendable."""
        if value is None:
            return None
        token = value.get_secret_value().strip()
        if not token:
            raise ValueError(
                "set but empty: give a secret of at least 16 characters, or unset it to have one generated"
            )
        if len(token) < MIN_ADMIN_TOKEN:
            raise ValueError(f"{len(token)} characters is too short: give at least {MIN_ADMIN_TOKEN}")
        if any(unicodedata.category(c) == "Cc" for c in token):
            raise ValueError("control characters cannot travel in an Authorization header")
        return SecretStr(token)

    @field_validator("internal_secret")
    @classmethod
    def _usable_internal_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """Trimmed like the admin token; a secret anyone could guess protects nothing."""
        if value is None:
            return None
        secret = value.get_secret_value().strip()
        if len(secret) < MIN_ADMIN_TOKEN or any(unicodedata.category(c) == "Cc" for c in secret):
            raise ValueError(f"give at least {MIN_ADMIN_TOKEN} characters, none of them control characters")
        return SecretStr(secret)

    @field_validator("sla_hours")
    @classmethod
    def _complete_sla(
        cls, value: dict[Severity, tuple[Decimal, Decimal]]
    ) -> dict[Severity, tuple[Decimal, Decimal]]:
        """Severities not named keep their defaults; every clock is positive and at most ten years."""
        merged = {**DEFAULT_SLA_HOURS, **value}
        if any(not 0 < hours <= MAX_SLA_HOURS for pair in merged.values() for hours in pair):
            raise ValueError(f"SLA hours must be positive and at most {MAX_SLA_HOURS} (ten years)")
        return merged

    @model_validator(mode="after")
    def _coherent_kafka(self) -> Self:
        """Security settings that could not work, or would be silently ignored, are refused at
        start with the reason, as are durability settings below the floor."""
        check_kafka_security(self)
        if self.min_insync_replicas is not None and self.min_insync_replicas < self.min_insync_floor:
            raise ValueError(
                f"LEDGER_MIN_INSYNC_REPLICAS={self.min_insync_replicas} is below "
                f"LEDGER_MIN_INSYNC_FLOOR={self.min_insync_floor}: the writer would refuse its own topics"
            )
        rf, isr = self.replication_factor, self.min_insync_replicas
        if rf is not None and isr is not None and isr > rf:
            raise ValueError(
                f"LEDGER_MIN_INSYNC_REPLICAS={isr} exceeds LEDGER_REPLICATION_FACTOR={rf}: "
                "no write with acks=all could ever succeed"
            )
        return self

    @property
    def embedded(self) -> bool:
        """No Kafka and no database configured: the log and read models live in ``data_dir``."""
        return self.kafka_bootstrap is None and self.database_url is None
