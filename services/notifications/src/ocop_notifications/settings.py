from ocop_shared.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class NotificationsSettings(ServiceSettings):
    """Environment: OCOP_NOTIFICATIONS_DATABASE_URL, OCOP_NOTIFICATIONS_HTTP_PORT, ... plus the
    shared OCOP_NATS_URL, OCOP_JWT_SECRET, OCOP_LOG_LEVEL."""

    model_config = SettingsConfigDict(env_prefix="OCOP_NOTIFICATIONS_", extra="ignore",
                                      populate_by_name=True)

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/ocop_notifications"
    http_port: int = 8004
