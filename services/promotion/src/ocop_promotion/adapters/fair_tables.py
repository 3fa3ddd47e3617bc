"""Trade fairs and exhibitions (hội chợ, triển lãm): fairs, applications, booths, waitlist."""

from .metadata import metadata  # noqa: F401
