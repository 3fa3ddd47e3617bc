"""Prometheus metrics and OpenTelemetry traces of a service (see docs/architecture.md,
"Observability")."""
