from pathlib import Path

from ocop_shared.settings import ServiceSettings
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .domain.certificates import CERTIFICATE_VALIDITY_MONTHS, REMINDER_LEAD_DAYS

_ENV = SettingsConfigDict(env_prefix="OCOP_REGISTRY_", extra="ignore", populate_by_name=True)


class CertificateSettings(BaseSettings):
    """The certificate register's rules: OCOP_REGISTRY_CERTIFICATE_VALIDITY_MONTHS,
    OCOP_REGISTRY_CERTIFICATE_REMINDER_DAYS (JSON list, e.g. [90, 30]),
    OCOP_REGISTRY_REMINDER_SWEEP_SECONDS. Readable on their own (no JWT secret needed), so
    `build_definition()` works for `ocop-registry asyncapi` too."""

    model_config = _ENV

    certificate_validity_months: int = Field(
        CERTIFICATE_VALIDITY_MONTHS, ge=1, description="A certificate's validity from its decision")
    certificate_reminder_days: tuple[int, ...] = Field(
        REMINDER_LEAD_DAYS, description="Days before expiry a CertificateExpiringSoon is sent")
    reminder_sweep_seconds: float = Field(
        60.0, gt=0, description="How often due reminders are looked for")


class DossierSettings(BaseSettings):
    """Dossier files: OCOP_REGISTRY_DOSSIER_STORAGE_DIR (a local folder, relative to the
    working directory unless absolute) and OCOP_REGISTRY_DOSSIER_MAX_UPLOAD_BYTES. Readable on
    their own, like the certificate rules."""

    model_config = _ENV

    dossier_storage_dir: Path = Field(
        Path(".ocop/dossiers"), description="Where dossier files are stored (by sha256)")
    dossier_max_upload_bytes: int = Field(
        20 * 1024 * 1024, ge=1, description="The largest dossier file accepted")


class RegistryRules(CertificateSettings, DossierSettings):
    """Everything `build_definition` reads: the certificate rules and the dossier files."""

    model_config = _ENV


class RegistrySettings(ServiceSettings, RegistryRules):
    """Environment: OCOP_REGISTRY_DATABASE_URL, OCOP_REGISTRY_HTTP_PORT, the certificate rules
    and dossier settings above, plus the shared OCOP_NATS_URL, OCOP_JWT_SECRET, OCOP_LOG_LEVEL."""

    model_config = _ENV

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/ocop_registry"
    http_port: int = 8001
