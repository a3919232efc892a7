"""Every mapped class, imported in one place for Alembic and the shell."""
from app.jurisdictions.models import Area, Category, Department, Jurisdiction, RoutingRule  # noqa: F401
from app.outbox.models import OutboxMessage  # noqa: F401
from app.reports.models import Photo, ReferenceCounter, Report, StatusChange  # noqa: F401
from app.open311.models import ApiClient, Open311Submission, ReportAttributeValue, ServiceAttribute, UpdateReceipt  # noqa: F401
from app.catalog.models import CatalogEntry, CatalogSynonym, CatalogTerm, DepartmentContact  # noqa: F401
from app.alerts.models import AlertSubscription  # noqa: F401
from app.public.models import ReporterComment  # noqa: F401
from app.followers.models import Follower, MailUnsubscribe  # noqa: F401
from app.staff.models import AuditEntry, DashboardSnapshot, InternalNote, ReportStatusCount, StaffUser, TextTemplate  # noqa: F401
from app.areas.models import MapBlockChange, MapCell, MapVersion, ReroutingMove, ReroutingRun, StreetAddress  # noqa: F401
from app.tasks.models import ScheduledRun  # noqa: F401
