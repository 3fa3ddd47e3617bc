from ocop_shared.settings import ServiceSettings
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

_ENV = SettingsConfigDict(env_prefix="OCOP_NOTIFICATIONS_", extra="ignore", populate_by_name=True)


class ChannelSettings(BaseSettings):
    """How email and webhooks are sent (OCOP_NOTIFICATIONS_SMTP_HOST, ...). Readable on their
    own (no JWT secret needed), so `build_definition()` works for `asyncapi` too."""

    model_config = _ENV

    smtp_host: str = Field("127.0.0.1", description="SMTP server")
    smtp_port: int = Field(8025, description="SMTP port (the dev stack's mail sink: 8025)")
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = Field(False, description="Upgrade the connection with STARTTLS")
    smtp_use_tls: bool = Field(False, description="Implicit TLS (usually port 465)")
    mail_from: str = Field("OCOP <no-reply@ocop.local>", description="The sender of emails")
    send_timeout_seconds: float = Field(10.0, gt=0, description="One email or webhook attempt")
    max_attempts: int = Field(8, ge=1, description="Attempts before a delivery is failed")
    retry_base_seconds: float = Field(30.0, gt=0, description="First retry delay (doubles)")
    retry_cap_seconds: float = Field(3600.0, gt=0, description="Longest retry delay")
    pause_after_failures: int = Field(
        5, ge=1, description="Consecutive failures after which a webhook endpoint is paused")
    pause_seconds: float = Field(900.0, gt=0, description="How long a failing endpoint rests")
    dispatch_interval_seconds: float = Field(1.0, gt=0, description="How often due deliveries "
                                                                    "are looked for")
    dispatch_batch_size: int = Field(50, ge=1, description="Deliveries sent per round")


class NotificationsSettings(ServiceSettings, ChannelSettings):
    """Environment: OCOP_NOTIFICATIONS_DATABASE_URL, OCOP_NOTIFICATIONS_HTTP_PORT, the channel
    settings above, plus the shared OCOP_NATS_URL, OCOP_JWT_SECRET, OCOP_LOG_LEVEL."""

    model_config = _ENV

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/ocop_notifications"
    http_port: int = 8004
