"""Errors the domain and service layers raise; the HTTP layer renders them.

Every service raises these instead of HTTP exceptions so that the domain stays free of
web concerns. `ocop_shared.http.create_app` maps them to a JSON body of the shape
``{"error": code, "detail": message, "field": field}`` with the class's HTTP status.
"""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the request.

    `code` is a stable, machine-readable snake_case identifier clients may branch on
    (e.g. ``"product_already_rated"``); `message` is for humans; `field` names the input
    field at fault when there is one. `status` overrides the class's HTTP status.
    """

    status: int = 400

    def __init__(
        self, code: str, message: str, field: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        if status is not None:
            if not 400 <= status <= 499:
                raise ValueError(f"a domain error is a client error (4xx), got {status}")
            self.status = status

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, "
            f"field={self.field!r}, status={self.status})"
        )


class NotFound(DomainError):
    """The addressed resource does not exist (or is not visible to the caller)."""

    status: int = 404


class Conflict(DomainError):
    """The request contradicts the current state (duplicate, wrong lifecycle step...)."""

    status: int = 409


class InvalidInput(DomainError):
    """The input is well-formed but breaks a business rule about its values."""

    status: int = 422


class Forbidden(DomainError):
    """The caller is authenticated but the record is outside what they may act on."""

    status: int = 403


class ConfigurationError(Exception):
    """The service's settings or data files cannot be used: it must not start. The message
    says which file or setting and why; the command line prints it and exits with status 2."""
