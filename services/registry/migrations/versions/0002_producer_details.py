"""Producers: registration type and number, representative, address, owner attributes,
deactivation, folded search text.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("producers", "tax_code", new_column_name="registration_number",
                    type_=sa.String(50))
    op.drop_constraint("producers_tax_code_key", "producers", type_="unique")
    op.add_column("producers", sa.Column("registration_type", sa.String(40), nullable=False,
                                         server_default="tax_code"))
    op.alter_column("producers", "registration_type", server_default=None)
    op.create_unique_constraint("uq_producers_registration", "producers",
                                ["registration_type", "registration_number"])
    for name, type_ in (("legal_representative", sa.String(300)),
                        ("street_address", sa.String(300)),
                        ("legacy_district", sa.String(300)),
                        ("deactivation_reason", sa.String(500))):
        op.add_column("producers", sa.Column(name, type_))
    for name, default in (("female_owned", sa.false()), ("ethnic_minority_owned", sa.false()),
                          ("active", sa.true())):
        op.add_column("producers", sa.Column(name, sa.Boolean, nullable=False,
                                             server_default=default))
    op.add_column("producers", sa.Column("search_text", sa.Text, nullable=False,
                                         server_default=""))
    op.add_column("producers", sa.Column("updated_at", sa.DateTime(timezone=True),
                                         nullable=False, server_default=sa.func.now()))
    op.create_index("ix_producers_commune_code", "producers", ["commune_code"])
    connection = op.get_bind()
    for row in connection.execute(sa.text("SELECT id, name FROM producers")).all():
        connection.execute(sa.text("UPDATE producers SET search_text = :s WHERE id = :id"),
                           {"s": _fold(row.name), "id": row.id})


def _fold(text: str) -> str:
    """As ocop_registry.domain.search.fold did when this revision was written."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split()).lower()


def downgrade() -> None:
    op.drop_index("ix_producers_commune_code", "producers")
    for name in ("updated_at", "search_text", "active", "ethnic_minority_owned", "female_owned",
                 "deactivation_reason", "legacy_district", "street_address",
                 "legal_representative"):
        op.drop_column("producers", name)
    op.drop_constraint("uq_producers_registration", "producers", type_="unique")
    op.drop_column("producers", "registration_type")
    op.alter_column("producers", "registration_number", new_column_name="tax_code",
                    type_=sa.String(20))
    op.create_unique_constraint("producers_tax_code_key", "producers", ["tax_code"])
