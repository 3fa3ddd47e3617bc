"""The one place that assembles the notifications service."""

from pathlib import Path

from ocop_shared.runtime import ServiceDefinition

from . import __version__
from .adapters.tables import messaging, metadata
from .entrypoints import deliveries_log
from .entrypoints import recipients as recipients_api
from .entrypoints.http import router
from .service_layer.dispatcher import dispatcher
from .service_layer.events import handlers

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build_definition() -> ServiceDefinition:
    """The service. Its channel settings (SMTP, retries, pauses) are read by the dispatcher
    from the running service's settings (`NotificationsSettings`)."""
    definition = ServiceDefinition(
        name="notifications",
        version=__version__,
        metadata=metadata,
        tables=messaging,
        migrations_dir=MIGRATIONS,
        routers=[router, deliveries_log.router, recipients_api.router],
        background=[dispatcher],
        description="Tells producers, officials, council members, the Ministry and "
                    "integrations what concerns them: inbox, email and signed webhooks.",
    )
    # The handlers write NotificationDelivered through the service's own outbox.
    definition.handlers = handlers(definition.outbox())
    return definition
