"""The promotion service running in the test's event loop on real PostgreSQL and NATS."""

import pytest

from ocop_promotion.bootstrap import MIGRATIONS, build_definition
from ocop_promotion.settings import PromotionSettings
from ocop_shared.testing.services import running, settings_for_test


@pytest.fixture
async def promotion(databases, jetstream):
    """The service with default settings, on a fresh database."""
    url = await databases.fresh("promotion", MIGRATIONS)
    settings = settings_for_test(url, jetstream, cls=PromotionSettings)
    async with running(build_definition(settings), settings) as svc:
        yield svc
