"""The four services running in the test's process, each with its own settings class, on
fresh databases: the one way the cross-service tests (faults, cluster) start them."""

from __future__ import annotations

from contextlib import AsyncExitStack

import ocop_evaluation.bootstrap as evaluation
import ocop_notifications.bootstrap as notifications
import ocop_promotion.bootstrap as promotion
import ocop_registry.bootstrap as registry
from ocop_evaluation.settings import EvaluationSettings
from ocop_notifications.settings import NotificationsSettings
from ocop_promotion.settings import PromotionSettings
from ocop_registry.settings import RegistrySettings
from ocop_shared.testing.databases import DatabaseFactory
from ocop_shared.testing.services import RunningService, running, settings_for_test


def _registry(settings: RegistrySettings):  # noqa: ANN202
    return registry.build_definition(settings)


def _evaluation(settings: EvaluationSettings):  # noqa: ANN202
    return evaluation.build_definition(settings)


def _promotion(settings: PromotionSettings):  # noqa: ANN202
    return promotion.build_definition(settings)


def _notifications(_settings: NotificationsSettings):  # noqa: ANN202
    return notifications.build_definition()  # its dispatcher reads the runtime's settings


SERVICES = {
    "registry": (registry.MIGRATIONS, RegistrySettings, _registry),
    "evaluation": (evaluation.MIGRATIONS, EvaluationSettings, _evaluation),
    "promotion": (promotion.MIGRATIONS, PromotionSettings, _promotion),
    "notifications": (notifications.MIGRATIONS, NotificationsSettings, _notifications),
}


async def start_four(
    stack: AsyncExitStack, databases: DatabaseFactory, nats_url: str,
    per_service: dict[str, dict[str, object]] | None = None, **overrides: object,
) -> dict[str, RunningService]:
    """Start the four services (closed with `stack`); `overrides` go to every service's
    settings, `per_service[name]` to one's."""
    running_services = {}
    for name, (migrations, settings_class, definition) in SERVICES.items():
        url = await databases.fresh(name, migrations)
        settings = settings_for_test(url, nats_url, cls=settings_class,
                                     **overrides, **(per_service or {}).get(name, {}))
        running_services[name] = await stack.enter_async_context(
            running(definition(settings), settings))
    return running_services
