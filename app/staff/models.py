"""Staff accounts, the audit log, internal notes and text templates (Textbausteine)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, FetchedValue, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import db, utcnow
from app.jurisdictions.models import Category, Department, Jurisdiction

ROLES = ("admin", "dispatcher", "staff")  # the roles inside a town
# Above the towns: creates and retires towns, sees their health; belongs to no town (issue 21).
OPERATOR = "operator"


class StaffUser(db.Model):
    """A person of the town's administration who works on reports.

    ``role``: admin (everything), dispatcher (every report of the town), staff
    (the reports of ``department_id``). Sign-in throttling is kept per client in
    ``StaffLoginThrottle`` (never a lock of the account), sessions in ``StaffSession``.
    """

    __tablename__ = "staff_users"
    __table_args__ = (
        CheckConstraint("role in ('admin','dispatcher','staff','operator')", name="role"),
        CheckConstraint("(role = 'operator') = (jurisdiction_id IS NULL)", name="town_unless_operator"),
        CheckConstraint("role <> 'staff' OR department_id IS NOT NULL", name="staff_has_department"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL only for the operator (migration 2500); every other account belongs to one town.
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"),
                                                        index=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    # NULL for accounts that only sign in through OpenID Connect.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    jurisdiction: Mapped[Jurisdiction] = relationship()
    department: Mapped[Department | None] = relationship()

    @property
    def label(self) -> str:
        return self.display_name or self.username


class StaffSession(db.Model):
    """One signed-in browser. The cookie holds a random token; its hash is here, so the server
    can end the session (sign-out, password change, deactivation, "überall abmelden") and an
    absolute lifetime counts from ``created_at``. The idle timeout is kept in the signed cookie."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffLoginThrottle(db.Model):
    """Failed sign-ins of one (account name, client) pair or of one client, under a keyed hash
    (no name or address readable here). ``blocked_until``: attempts before it are not checked."""

    __tablename__ = "staff_login_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    blocked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AuditEntry(db.Model):
    """Who did what when: one row per staff action, with the changed values."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_report_id_id", "report_id", "id"),
        Index("ix_audit_log_jurisdiction_id_id", "jurisdiction_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"))
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(200), default="")
    # {"field": [old, new], ...} or free details; never reporter contact data.
    changes: Mapped[dict] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InternalNote(db.Model):
    """A note between staff about a report; never shown to the public or the reporter."""

    __tablename__ = "internal_notes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    author: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TextTemplate(db.Model):
    """A Textbaustein: a ready public note for a status, optionally per category."""

    __tablename__ = "text_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    status: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)

    category: Mapped[Category | None] = relationship()


class DashboardSnapshot(db.Model):
    """The dashboard's figures per town, computed in the background (see dashboard.py)."""

    __tablename__ = "staff_dashboard_snapshots"

    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[dict] = mapped_column(JSONB, default=dict)


class ReportStatusCount(db.Model):
    """Reports per town, department, category and status (revision 0810), kept exact by
    statement triggers on reports, so the queue's counts per status are a few rows, not
    an index scan per status. Rows that dropped to 0 stay."""

    __tablename__ = "report_status_counts"

    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class StaffTeam(db.Model):
    """A crew or group inside a department ("Kolonne Nord") that reports can be given to."""

    __tablename__ = "staff_teams"
    __table_args__ = (UniqueConstraint("department_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))

    department: Mapped[Department] = relationship()

    @property
    def label(self) -> str:
        return self.name

    members: Mapped[list[StaffUser]] = relationship(secondary="staff_team_members", order_by="StaffUser.username")


class StaffTeamMember(db.Model):
    __tablename__ = "staff_team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("staff_teams.id", ondelete="CASCADE"), primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True,
                                               index=True)


class ReportAssignment(db.Model):
    """Who inside the responsible department works on a report: one person or one team.

    A table of its own rather than columns of ``reports``: assigning touches neither the map
    triggers nor the kept status counts. Forwarding to another department ends the assignment.
    The report's town, department, status and creation time are copied here by triggers
    (revision 2620) and always equal the report's: the queue's assignment filters count and
    choose a page from these rows alone. Never set them: the database does."""

    __tablename__ = "report_assignments"
    __table_args__ = (
        CheckConstraint("(staff_user_id IS NULL) <> (team_id IS NULL)", name="one_assignee"),
    )

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("staff_teams.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    jurisdiction_id: Mapped[int] = mapped_column(server_default=FetchedValue())
    department_id: Mapped[int] = mapped_column(server_default=FetchedValue())
    report_status: Mapped[str] = mapped_column(String(32), server_default=FetchedValue())
    report_created_at: Mapped[datetime] = mapped_column(server_default=FetchedValue())

    staff_user: Mapped[StaffUser | None] = relationship()
    team: Mapped[StaffTeam | None] = relationship()


class ReportEscalation(db.Model):
    """A report overdue by more than the grace period was passed to the dispatchers, once."""

    __tablename__ = "report_escalations"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    escalated_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]


class FieldUpdate(db.Model):
    """A change a clerk sent from the field with an idempotency key (migration 1903).

    The phone keeps a change made without signal and sends it when the network returns, with the
    same key each time; the first arrival does the work and stores its ``outcome``, a repeat gets
    that outcome back and changes nothing."""

    __tablename__ = "field_updates"

    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[dict] = mapped_column(JSONB)
