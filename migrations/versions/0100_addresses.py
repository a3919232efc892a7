"""Offline geocoding: an address table (street, house number, postcode, Ortsteil, point) with trigram indexes

Revision ID: 0100
Revises: 0001
Create Date: 2026-11-25 03:45:00
"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry

revision = "0100"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_geospatial_table(
        "addresses",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("house_number", sa.String(length=20), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=False),
        sa.Column("ortsteil", sa.String(length=100), nullable=False),
        sa.Column("street_norm", sa.String(length=200), nullable=False),
        sa.Column("house_number_norm", sa.String(length=20), nullable=False),
        sa.Column("house_number_int", sa.Integer(), nullable=True),
        sa.Column("location", Geometry(geometry_type="POINT", srid=4326, spatial_index=False,
                                       from_text="ST_GeomFromEWKT", name="geometry", nullable=False), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"],
                                name=op.f("fk_addresses_jurisdiction_id_jurisdictions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addresses")),
        sa.UniqueConstraint("jurisdiction_id", "street_norm", "house_number_norm", "postcode",
                            name=op.f("uq_addresses_jurisdiction_id")),
    )
    op.create_geospatial_index("ix_addresses_location", "addresses", ["location"], unique=False,
                               postgresql_using="gist", postgresql_ops={})
    op.create_index("ix_addresses_street_norm_trgm", "addresses", ["street_norm"], unique=False,
                    postgresql_using="gin", postgresql_ops={"street_norm": "gin_trgm_ops"})


def downgrade() -> None:
    op.drop_index("ix_addresses_street_norm_trgm", table_name="addresses")
    op.drop_geospatial_index("ix_addresses_location", table_name="addresses", postgresql_using="gist",
                             column_name="location")
    op.drop_geospatial_table("addresses")
