from pathlib import Path

from ocop_shared.settings import ServiceSettings
from pydantic import Field
from pydantic_settings import SettingsConfigDict


class EvaluationSettings(ServiceSettings):
    """Environment: OCOP_EVALUATION_DATABASE_URL, OCOP_EVALUATION_HTTP_PORT, ... plus the shared
    OCOP_NATS_URL, OCOP_JWT_SECRET, OCOP_LOG_LEVEL.

    A province picks its rulebook: OCOP_EVALUATION_PROVINCE_RULEBOOKS='{"01": "148/2023"}';
    the others run under OCOP_EVALUATION_DEFAULT_RULEBOOK. OCOP_EVALUATION_RULEBOOKS_DIR points
    at another rulebook directory (same layout as the one shipped in the package)."""

    model_config = SettingsConfigDict(env_prefix="OCOP_EVALUATION_", extra="ignore",
                                      populate_by_name=True)

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/ocop_evaluation"
    http_port: int = 8002
    default_rulebook: str = Field("1489/2025", description="Rulebook id, e.g. 1489/2025")
    province_rulebooks: dict[str, str] = Field(
        default_factory=dict, description="Province code -> rulebook id")
    rulebooks_dir: Path | None = Field(None, description="Rulebooks to load instead of the "
                                                         "shipped ones")
