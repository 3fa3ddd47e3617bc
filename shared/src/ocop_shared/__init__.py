"""Contracts and infrastructure shared by the OCOP services. No domain rules live here."""
