"""The one place that assembles the registry service."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

from ocop_shared.clock import today_in_vietnam
from ocop_shared.runtime import ServiceDefinition

from . import __version__
from .adapters.file_store import LocalFileStore
from .adapters.tables import messaging, metadata
from .domain.certificates import CertificateRules
from .entrypoints.dossiers import build_dossier_router
from .entrypoints.http import router
from .entrypoints.inspections import router as inspections_router
from .entrypoints.reports import build_reports_router
from .service_layer.events import build_handlers
from .service_layer.reminders import reminder_sweep
from .settings import CertificateSettings, DossierSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build_definition(
    settings: CertificateSettings | None = None,
    *,
    today: Callable[[], date] = today_in_vietnam,
) -> ServiceDefinition:
    """The service; its certificate rules (and dossier storage, when `settings` is a
    `DossierSettings` too, e.g. `RegistrySettings` or `RegistryRules`) come from `settings`,
    by default from the environment. `today` dates the reminders (tests inject their own)."""
    settings = settings or CertificateSettings()
    dossier = settings if isinstance(settings, DossierSettings) else DossierSettings()
    rules = CertificateRules(
        validity_months=settings.certificate_validity_months,
        lead_days=tuple(settings.certificate_reminder_days),
        sweep_seconds=settings.reminder_sweep_seconds,
    )
    definition = ServiceDefinition(
        name="registry",
        version=__version__,
        metadata=metadata,
        tables=messaging,
        migrations_dir=MIGRATIONS,
        routers=[
            router,
            build_dossier_router(LocalFileStore(dossier.dossier_storage_dir),
                                 max_upload_bytes=dossier.dossier_max_upload_bytes),
            inspections_router,
            build_reports_router(),
        ],
        background=[reminder_sweep(rules, today)],
        description="Producers, products, dossiers, inspections; the public register of "
                    "certificates.",
    )
    definition.handlers.update(build_handlers(rules, definition.outbox()))
    return definition
