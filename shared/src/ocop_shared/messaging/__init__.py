"""Messaging infrastructure: stream topology, transactional outbox, idempotent consumers."""
