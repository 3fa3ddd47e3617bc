"""Products: description, group derived from the product set, folded search text, and the
standards held (child table).

Existing rows get the group of their product set when the code list knows the set (NULL
otherwise) and the folded name as search text.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import unicodedata

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from ocop_shared.contracts.classification import all_sets

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("products", sa.Column("description", sa.Text))
    op.add_column("products", sa.Column("product_group", sa.String(4)))
    op.add_column("products", sa.Column("search_text", sa.Text, nullable=False,
                                        server_default=""))
    op.create_index("ix_products_product_set", "products", ["product_set"])
    op.create_index("ix_products_product_group", "products", ["product_group"])
    op.create_table(
        "product_standards",
        sa.Column("product_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("standard", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("certificate_number", sa.String(100), nullable=False),
        sa.Column("issuer", sa.String(300), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date, nullable=False),
        sa.CheckConstraint("valid_until > valid_from", name="ck_product_standards_validity"),
    )
    connection = op.get_bind()
    connection.execute(
        sa.text("UPDATE products SET product_group = :group WHERE product_set = :set"),
        [{"group": s.group, "set": s.code} for s in all_sets()],
    )
    rows = connection.execute(sa.text("SELECT id, name FROM products")).all()
    if rows:
        connection.execute(sa.text("UPDATE products SET search_text = :s WHERE id = :id"),
                           [{"s": _fold(row.name), "id": row.id} for row in rows])


def _fold(text: str) -> str:
    """As ocop_registry.domain.search.fold did when this revision was written."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split()).lower()


def downgrade() -> None:
    op.drop_table("product_standards")
    op.drop_index("ix_products_product_group", "products")
    op.drop_index("ix_products_product_set", "products")
    for name in ("search_text", "product_group", "description"):
        op.drop_column("products", name)
