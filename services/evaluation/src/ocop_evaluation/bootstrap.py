"""The one place that assembles the evaluation service."""

from pathlib import Path

from ocop_shared.runtime import ServiceDefinition

from . import __version__
from .adapters.tables import messaging, metadata
from .entrypoints.http import router
from .service_layer.events import build_handlers

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build_definition() -> ServiceDefinition:
    definition = ServiceDefinition(
        name="evaluation",
        version=__version__,
        metadata=metadata,
        tables=messaging,
        migrations_dir=MIGRATIONS,
        routers=[router],
        description="Evaluations of submitted products: scores, stars, provincial recognition "
                    "and referral to the Ministry.",
    )
    definition.handlers.update(build_handlers(definition.outbox()))
    return definition
