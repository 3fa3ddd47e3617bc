from ocop_promotion.adapters.tables import metadata
from ocop_shared.migrations import run_env

run_env(metadata)
