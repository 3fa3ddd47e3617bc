"""The one place that assembles the promotion service."""

from pathlib import Path

from ocop_shared.runtime import ServiceDefinition

from . import __version__
from .adapters.tables import messaging, metadata
from .domain.ceremonies import CeremonyRules
from .entrypoints.http import router
from .service_layer.events import build_handlers
from .settings import CeremonySettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build_definition(settings: CeremonySettings | None = None) -> ServiceDefinition:
    """The service; its ceremony rules come from `settings` (a `PromotionSettings` will do),
    by default from the environment."""
    settings = settings or CeremonySettings()
    rules = CeremonyRules(
        lead_days=settings.ceremony_lead_days,
        capacity=settings.ceremony_capacity,
        window_days=settings.ceremony_join_window_days,
    )
    definition = ServiceDefinition(
        name="promotion",
        version=__version__,
        metadata=metadata,
        tables=messaging,
        migrations_dir=MIGRATIONS,
        routers=[router],
        description="Announcement ceremonies and promotion of recognised OCOP products.",
    )
    definition.handlers.update(build_handlers(rules, definition.outbox()))
    return definition
