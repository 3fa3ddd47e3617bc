"""The promotion service's one MetaData: every table module registers on it."""

from sqlalchemy import MetaData

metadata = MetaData()
