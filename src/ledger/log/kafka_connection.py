"""Where the log's Kafka cluster is and how the ledger authenticates to it.

One ``KafkaConnection`` per log, made from the settings (``LEDGER_KAFKA_BOOTSTRAP`` and the
security settings of ``ledger.kafka_settings``), and every Kafka client the ledger opens is
built from it by ``ledger.log.kafka_clients``: the writer's producer, the readers, the admin
client, the command topic's consumer. So no client can be left without the credentials.
The password is a ``SecretStr`` to the last moment, and no message shows it.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from ledger.kafka_settings import (
    SASL_PROTOCOLS,
    TLS_PROTOCOLS,
    KafkaSecurityProtocol,
    SaslMechanism,
    tls_context,
)

if TYPE_CHECKING:
    from ledger.config import Settings


@dataclass(frozen=True)
class KafkaConnection:
    """A bootstrap list and the security every client uses with it (``PLAINTEXT`` alone by default)."""

    bootstrap: str
    security_protocol: KafkaSecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = field(default=None, repr=False)
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if (self.security_protocol in TLS_PROTOCOLS) != (self.ssl_context is not None):
            raise ValueError(f"{self.security_protocol} takes an ssl_context exactly when it uses TLS")
        sasl = (self.sasl_mechanism, self.sasl_username, self.sasl_password)
        if (self.security_protocol in SASL_PROTOCOLS) != all(v is not None for v in sasl):
            raise ValueError(
                f"{self.security_protocol} takes a SASL mechanism, user and password exactly when it "
                "uses SASL"
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> KafkaConnection:
        """The connection the settings name; their TLS files are read here, once for every client."""
        if settings.kafka_bootstrap is None:
            raise ValueError("LEDGER_KAFKA_BOOTSTRAP is not set")
        protocol = settings.kafka_security_protocol
        return cls(
            settings.kafka_bootstrap,
            protocol,
            settings.kafka_sasl_mechanism,
            settings.kafka_sasl_username,
            settings.kafka_sasl_password,
            tls_context(settings) if protocol in TLS_PROTOCOLS else None,
        )

    def client_args(self) -> dict[str, Any]:
        """The keyword arguments every aiokafka client takes for where and how to connect."""
        args: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": self.security_protocol,
        }
        if self.ssl_context is not None:
            args["ssl_context"] = self.ssl_context
        if self.sasl_password is not None:
            args |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.sasl_password.get_secret_value(),
            }
        return args

    def __str__(self) -> str:
        """For messages: where, over what, as whom; never the password."""
        how: str = self.security_protocol
        if self.sasl_mechanism is not None:
            how += f", {self.sasl_mechanism} as {self.sasl_username!r}"
        return f"{self.bootstrap} ({how})"
