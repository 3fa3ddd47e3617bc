"""Settings every service reads from the environment (documented in docs/configuration.md)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Common settings. Each service subclasses it and sets `env_prefix` to `OCOP_<SERVICE>_`.

    Values shared by every service (NATS, JWT secret, log level) are read without the
    service prefix through their aliases, so one variable configures all four services.
    """

    model_config = SettingsConfigDict(env_prefix="OCOP_", extra="ignore", populate_by_name=True)

    nats_url: str = Field("nats://127.0.0.1:4222", alias="OCOP_NATS_URL")
    nats_user: str | None = Field(None, alias="OCOP_NATS_USER")
    nats_password: SecretStr | None = Field(None, alias="OCOP_NATS_PASSWORD")
    provision_on_start: bool = Field(True, alias="OCOP_PROVISION_ON_START",
                                     description="false when operators provision the streams "
                                                 "(`ocop streams apply`) and services only bind")
    jwt_secret: str = Field(alias="OCOP_JWT_SECRET", min_length=32,
                            description="HS256 key shared by every service; at least 32 bytes")
    log_level: str = Field("INFO", alias="OCOP_LOG_LEVEL")
    log_format: str = Field("json", alias="OCOP_LOG_FORMAT", pattern="^(json|console)$")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/ocop"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # Consumer tuning: how many messages one fetch takes, how often a failing message is retried.
    consumer_batch_size: int = Field(100, ge=1, le=1000)
    consumer_max_deliver: int = Field(5, ge=1)
    consumer_retry_delay_seconds: float = Field(2.0, gt=0)
    outbox_batch_size: int = Field(500, ge=1, le=5000)
    outbox_poll_seconds: float = Field(1.0, gt=0)
    # Published outbox rows are kept this long, so `ocop events republish` can re-send them.
    outbox_retention_days: float = Field(7.0, gt=0, alias="OCOP_OUTBOX_RETENTION_DAYS")
    # Tracing: OTLP/HTTP collector base URL (``/v1/traces`` is added); unset: nothing exported.
    otel_exporter_otlp_endpoint: str | None = Field(None, alias="OCOP_OTEL_EXPORTER_OTLP_ENDPOINT")

    def nats_credentials(self) -> dict[str, str]:
        """`user`/`password` keyword arguments for `nats.connect` (none when unset)."""
        if self.nats_user is None:
            return {}
        password = self.nats_password.get_secret_value() if self.nats_password else ""
        return {"user": self.nats_user, "password": password}
