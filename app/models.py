"""Every mapped class, imported in one place for Alembic and the shell."""
from app.jurisdictions.models import Area, Category, Department, Jurisdiction, RoutingRule  # noqa: F401
from app.outbox.models import OutboxMessage  # noqa: F401
from app.reports.models import Photo, ReferenceCounter, Report, StatusChange  # noqa: F401
