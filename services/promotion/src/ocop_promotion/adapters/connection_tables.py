"""Supply-demand connection (kết nối cung - cầu): buyers, what they look for, invitations."""

from .metadata import metadata  # noqa: F401
