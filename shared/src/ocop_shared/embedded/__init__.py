"""Real NATS and PostgreSQL servers run as local child processes (no Docker needed)."""
