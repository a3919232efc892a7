"""Service catalog: entries with German full-text search, department contacts, synonyms, search vocabulary

Revision ID: 0700
Revises: 0001
Create Date: 2026-11-26 10:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0700"
down_revision = "0001"
branch_labels = None
depends_on = None

SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector('german'::regconfig, coalesce(name, '')), 'A') || "
    "setweight(to_tsvector('german'::regconfig, catalog_array_text(keywords)), 'A') || "
    "setweight(to_tsvector('german'::regconfig, coalesce(short_description, '')), 'B') || "
    "setweight(to_tsvector('german'::regconfig, coalesce(long_description, '')), 'C') || "
    "setweight(to_tsvector('german'::regconfig, coalesce(topic, '')), 'D')"
)

# Citizens' words → the catalog's words. Shared by every town of an installation;
# staff can add more (catalog_synonyms is plain data).
SYNONYMS = [
    ("perso", "Personalausweis"),
    ("ausweis", "Personalausweis"),
    ("pass", "Reisepass"),
    ("hund anmelden", "Hundesteuer"),
    ("hund abmelden", "Hundesteuer"),
    ("hundemarke", "Hundesteuer"),
    ("ummelden", "Wohnsitz anmelden Umzug"),
    ("umziehen", "Wohnsitz anmelden Umzug"),
    ("wohnung anmelden", "Wohnsitz anmelden"),
    ("meldebescheinigung", "Meldebescheinigung Wohnsitz"),
    ("gewerbe anmelden", "Gewerbeanmeldung"),
    ("firma gründen", "Gewerbeanmeldung"),
    ("selbstständig machen", "Gewerbeanmeldung"),
    ("heiraten", "Eheschließung"),
    ("hochzeit", "Eheschließung"),
    ("kita", "Kindertagesbetreuung Kindertageseinrichtung"),
    ("kindergarten", "Kindertagesbetreuung Kindertageseinrichtung"),
    ("kitagebühren", "Elternbeiträge Elterneinkommen"),
    ("kita beitrag", "Elternbeiträge Elterneinkommen"),
    ("knöllchen", "Verwarnungsgeld"),
    ("strafzettel", "Verwarnungsgeld"),
    ("mülltonne", "Abfallbehälter"),
    ("müllabfuhr", "Abfuhrkalender Abfallbehälter"),
    ("sperrmüll", "Sperrmüllabholung"),
    ("schlagloch", "Mängelmelder"),
    ("laterne kaputt", "Mängelmelder"),
    ("etwas kaputt", "Mängelmelder"),
    ("mangel melden", "Mängelmelder"),
    ("verloren", "Fundsachen Fundbüro"),
    ("gefunden", "Fundsachen Fundbüro"),
    ("bauantrag", "Baugenehmigung"),
    ("anwohnerparken", "Bewohnerparkausweis"),
    ("parkausweis", "Bewohnerparkausweis"),
    ("osterfeuer", "Brauchtumsfeuer"),
    ("lärm", "Ruhestörung"),
    ("geburt", "Geburtsurkunde Geburt anzeigen"),
    ("sterbefall", "Sterbeurkunde"),
    ("grab", "Grabstätte Friedhof"),
]


def upgrade() -> None:
    # array_to_string is only STABLE in general; for text[] it is immutable in fact, and a
    # generated column may only call immutable functions.
    op.execute("CREATE OR REPLACE FUNCTION catalog_array_text(text[]) RETURNS text "
               "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce(array_to_string($1, ' '), '') $$")
    op.create_table(
        "catalog_department_contacts",
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("opening_hours", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=50), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], ondelete="CASCADE",
                                name=op.f("fk_catalog_department_contacts_department_id_departments")),
        sa.PrimaryKeyConstraint("department_id", name=op.f("pk_catalog_department_contacts")),
    )
    op.create_table(
        "catalog_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("short_description", sa.Text(), nullable=False),
        sa.Column("long_description", sa.Text(), nullable=False),
        sa.Column("leika_key", sa.String(length=14), nullable=True),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("online_url", sa.String(length=500), nullable=True),
        sa.Column("trust_level", sa.String(length=20), nullable=False),
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("fees", sa.Text(), nullable=False),
        sa.Column("required_documents", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("processing_time", sa.String(length=200), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("keywords", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("last_reviewed", sa.Date(), nullable=True),
        sa.Column("review_due", sa.Date(), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("search_vector", postgresql.TSVECTOR(), sa.Computed(SEARCH_VECTOR_SQL, persisted=True),
                  nullable=True),
        sa.CheckConstraint("leika_key IS NULL OR leika_key ~ '^[0-9]{14}$'", name=op.f("ck_catalog_entries_leika_key")),
        sa.CheckConstraint("NOT online OR online_url IS NOT NULL", name=op.f("ck_catalog_entries_online_url")),
        sa.CheckConstraint("trust_level in ('','keines','niedrig','substanziell','hoch')",
                           name=op.f("ck_catalog_entries_trust_level")),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"], ondelete="CASCADE",
                                name=op.f("fk_catalog_entries_jurisdiction_id_jurisdictions")),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], ondelete="RESTRICT",
                                name=op.f("fk_catalog_entries_department_id_departments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_entries")),
        sa.UniqueConstraint("jurisdiction_id", "slug", name=op.f("uq_catalog_entries_jurisdiction_id_slug")),
    )
    op.create_index(op.f("ix_catalog_entries_jurisdiction_id"), "catalog_entries", ["jurisdiction_id"])
    op.create_index(op.f("ix_catalog_entries_department_id"), "catalog_entries", ["department_id"])
    op.create_index("ix_catalog_entries_search_vector", "catalog_entries", ["search_vector"], postgresql_using="gin")
    op.create_table(
        "catalog_synonyms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=100), nullable=False),
        sa.Column("expansion", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_synonyms")),
        sa.UniqueConstraint("term", name=op.f("uq_catalog_synonyms_term")),
    )
    op.create_table(
        "catalog_terms",
        sa.Column("word", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("word", name=op.f("pk_catalog_terms")),
    )
    op.create_index("ix_catalog_terms_word_trgm", "catalog_terms", ["word"], postgresql_using="gist",
                    postgresql_ops={"word": "gist_trgm_ops"})
    synonyms = sa.table("catalog_synonyms", sa.column("term", sa.String), sa.column("expansion", sa.String))
    op.bulk_insert(synonyms, [{"term": term, "expansion": expansion} for term, expansion in SYNONYMS])


def downgrade() -> None:
    op.drop_table("catalog_terms")
    op.drop_table("catalog_synonyms")
    op.drop_table("catalog_entries")
    op.drop_table("catalog_department_contacts")
    op.execute("DROP FUNCTION IF EXISTS catalog_array_text(text[])")
