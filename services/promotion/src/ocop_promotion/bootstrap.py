"""The one place that assembles the promotion service."""

from pathlib import Path

from ocop_shared.runtime import ServiceDefinition

from . import __version__
from .adapters.tables import messaging, metadata
from .domain.ceremonies import CeremonyRules
from .entrypoints import connections, fairs, outlets, training
from .entrypoints.http import router
from .service_layer import fairs as fair_commands
from .service_layer import outlets as outlet_commands
from .service_layer.certificates import build_certificate_handlers
from .service_layer.events import build_handlers, ceremony_on_certificate_lost
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
        routers=[router, fairs.router, outlets.router, connections.router, training.router],
        description="Announcement ceremonies, trade fairs, OCOP outlets, supply-demand "
                    "connection, awareness and training for recognised OCOP products.",
    )
    outbox = definition.outbox()
    definition.handlers.update(build_handlers(rules, outbox))
    definition.handlers.update(build_certificate_handlers([
        ceremony_on_certificate_lost(outbox, rules),
        fair_commands.on_certificate_lost(outbox),
        outlet_commands.on_certificate_lost(outbox),
    ]))
    return definition
