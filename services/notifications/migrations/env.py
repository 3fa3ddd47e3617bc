from ocop_notifications.adapters.tables import metadata
from ocop_shared.migrations import run_env

run_env(metadata)
