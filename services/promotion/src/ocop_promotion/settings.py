from ocop_shared.settings import ServiceSettings
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

_ENV = SettingsConfigDict(env_prefix="OCOP_PROMOTION_", extra="ignore", populate_by_name=True)


class CeremonySettings(BaseSettings):
    """The ceremony rules: OCOP_PROMOTION_CEREMONY_LEAD_DAYS, OCOP_PROMOTION_CEREMONY_CAPACITY,
    OCOP_PROMOTION_CEREMONY_JOIN_WINDOW_DAYS. Readable on their own (no JWT secret needed),
    so `build_definition()` works for `ocop-promotion asyncapi` too."""

    model_config = _ENV

    ceremony_lead_days: int = Field(
        14, ge=0, description="A ceremony is held at least this many days after the decision"
    )
    ceremony_capacity: int = Field(30, ge=1, description="Products one new ceremony can hold")
    ceremony_join_window_days: int = Field(
        30, ge=0,
        description="A product joins a planned ceremony at most this many days after its decision",
    )


class PromotionSettings(ServiceSettings, CeremonySettings):
    """Environment: OCOP_PROMOTION_DATABASE_URL, OCOP_PROMOTION_HTTP_PORT, the ceremony rules
    above, plus the shared OCOP_NATS_URL, OCOP_JWT_SECRET, OCOP_LOG_LEVEL."""

    model_config = _ENV

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/ocop_promotion"
    http_port: int = 8003
