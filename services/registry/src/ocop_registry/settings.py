from ocop_shared.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class RegistrySettings(ServiceSettings):
    """Environment: OCOP_REGISTRY_DATABASE_URL, OCOP_REGISTRY_HTTP_PORT, ... plus the shared
    OCOP_NATS_URL, OCOP_JWT_SECRET, OCOP_LOG_LEVEL."""

    model_config = SettingsConfigDict(env_prefix="OCOP_REGISTRY_", extra="ignore",
                                      populate_by_name=True)

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/ocop_registry"
    http_port: int = 8001
