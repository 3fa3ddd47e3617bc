"""The one place that assembles the evaluation service."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

from ocop_shared.clock import today_in_vietnam
from ocop_shared.errors import ConfigurationError
from ocop_shared.runtime import ServiceDefinition

from . import __version__
from .adapters.rulebook_files import DEFAULT_DIR, RulebookFileError, load_rulebooks
from .adapters.tables import messaging, metadata
from .domain.rulebooks import RulebookCatalog
from .entrypoints.councils import build_council_router
from .entrypoints.http import build_router
from .service_layer.events import build_handlers
from .settings import EvaluationSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def load_catalog(settings: EvaluationSettings) -> RulebookCatalog:
    """The rulebooks, checked: a bad file or an unknown rulebook stops the service at start."""
    try:
        loaded = load_rulebooks(settings.rulebooks_dir or DEFAULT_DIR)
        return RulebookCatalog(loaded, settings.default_rulebook, settings.province_rulebooks)
    except (RulebookFileError, ValueError) as exc:
        raise ConfigurationError(f"rulebooks: {exc}") from exc


def build_definition(
    settings: EvaluationSettings | None = None,
    *,
    today: Callable[[], date] = today_in_vietnam,
) -> ServiceDefinition:
    catalog = load_catalog(settings or EvaluationSettings())
    definition = ServiceDefinition(
        name="evaluation",
        version=__version__,
        metadata=metadata,
        tables=messaging,
        migrations_dir=MIGRATIONS,
        routers=[build_router(catalog, today), build_council_router(catalog, today)],
        description="Rulebooks and scoring sheets, councils and rounds, members' score sheets, "
                    "results and stars, recognition decisions and referral to the Ministry.",
    )
    definition.handlers.update(build_handlers(definition.outbox(), catalog))
    return definition
