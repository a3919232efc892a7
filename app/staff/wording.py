"""Staff screens in words: the audit log, who acted in a report's history, the routing.

The audit rows keep machine-readable codes (action names, ``[old, new]`` pairs, department
codes) so they can be filtered and exported; a person reads them through this module. Only
known actions and fields are described: an unknown code is shown as a general sentence, never
as raw JSON or an English code on a German page.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import format_decimal, gettext as _, lazy_gettext as _l
from sqlalchemy import select

from app.db import db
from app.jurisdictions.models import Area, Category, Department
from app.reports.status import STATUSES
from app.staff.intake import CHANNEL_LABELS
from app.staff.models import AuditEntry, StaffUser

ACTIONS = {
    "status": _l("Status geändert"),
    "priority": _l("Priorität geändert"),
    "reassign": _l("Weitergeleitet"),
    "note": _l("Interne Notiz geschrieben"),
    "description": _l("Öffentliche Beschreibung bearbeitet"),
    "hide": _l("Meldung verborgen"),
    "unhide": _l("Meldung wieder öffentlich gezeigt"),
    "photo_publish": _l("Foto veröffentlicht"),
    "photo_unpublish": _l("Foto nicht mehr veröffentlicht"),
    "photo_redact": _l("Bereich eines Fotos geschwärzt"),
    "additions_seen": _l("Ergänzungen als gesehen markiert"),
    "correct": _l("Meldung berichtigt"),
    "intake": _l("Meldung aufgenommen"),
    "assign": _l("Zugewiesen"),
    "unassign": _l("Zuweisung aufgehoben"),
    "team_create": _l("Team angelegt"),
    "team_member_add": _l("Mitglied ins Team aufgenommen"),
    "team_member_remove": _l("Mitglied aus dem Team genommen"),
    "login": _l("Angemeldet"),
    "login_oidc": _l("Mit Dienstkonto angemeldet"),
    "login_failed": _l("Anmeldung fehlgeschlagen"),
    "login_throttled": _l("Anmeldungen vorübergehend gebremst"),
    "login_oidc_refused": _l("Anmeldung mit Dienstkonto abgelehnt"),
    "logout": _l("Abgemeldet"),
    "logout_everywhere": _l("Überall abgemeldet"),
    "password_reset_requested": _l("Neues Passwort angefordert"),
    "password_reset": _l("Passwort neu gesetzt"),
    "user_create": _l("Konto angelegt"),
    "user_update": _l("Konto geändert"),
    "template_create": _l("Textbaustein angelegt"),
    "category_update": _l("Kategorie geändert"),
    "catalog_entry_created": _l("Leistung angelegt"),
    "catalog_entry_saved": _l("Leistung gespeichert"),
    "catalog_entry_reviewed": _l("Leistung als geprüft vermerkt"),
    "catalog_entry_retired": _l("Leistung ausgeblendet"),
    "catalog_entry_reinstated": _l("Leistung wieder angezeigt"),
    "catalog_imported": _l("Leistungen importiert"),
    "catalog_contact_saved": _l("Kontaktdaten einer Abteilung gespeichert"),
    "areas_imported": _l("Gebiete importiert"),
    "rerouting_applied": _l("Meldungen nach neuen Regeln zugeordnet"),
    "town_profile_update": _l("Stadtprofil geändert"),
    "town_crest_update": _l("Wappen oder Logo geändert"),
    "department_create": _l("Abteilung angelegt"),
    "department_update": _l("Abteilung geändert"),
    "department_retire": _l("Abteilung aufgelöst"),
    "category_retire": _l("Kategorie aufgelöst"),
    "area_update": _l("Gebiet geändert"),
    "addresses_imported": _l("Adressen importiert"),
    "staff_imported": _l("Konten importiert"),
    "reports_imported": _l("Meldungen aus dem alten System übernommen"),
    "category_create": _l("Kategorie angelegt"),
    "question_create": _l("Zusatzfrage angelegt"),
    "question_delete": _l("Zusatzfrage gelöscht"),
    "rule_create": _l("Zuständigkeitsregel angelegt"),
    "rule_delete": _l("Zuständigkeitsregel gelöscht"),
    "template_update": _l("Textbaustein geändert"),
    "template_delete": _l("Textbaustein gelöscht"),
    "town_update": _l("Einstellung der Stadt geändert"),
    "town.create": _l("Stadt angelegt"),
    "staff.create_admin": _l("Erstes Administrationskonto angelegt"),
    "operator.create_town": _l("Stadt vom Betrieb angelegt"),
    "operator.retire_town": _l("Stadt vom Betrieb stillgelegt"),
    "citizen_export": _l("Bürgerin/Bürger hat ihre Daten abgerufen"),
    "citizen_erasure": _l("Kontaktdaten auf Wunsch gelöscht"),
    "citizen_unsubscribe_all": _l("Alle Benachrichtigungen abbestellt"),
    # Applied from a town file (flask town apply, app/towns/operations.py).
    "town_file.create_town": _l("Stadt aus der Stadtdatei angelegt"),
    "town_file.update_town": _l("Stadt nach der Stadtdatei geändert"),
    "town_file.create_department": _l("Abteilung aus der Stadtdatei angelegt"),
    "town_file.update_department": _l("Abteilung nach der Stadtdatei geändert"),
    "town_file.create_area": _l("Gebiet aus der Stadtdatei angelegt"),
    "town_file.update_area": _l("Gebiet nach der Stadtdatei geändert"),
    "town_file.create_category": _l("Kategorie aus der Stadtdatei angelegt"),
    "town_file.update_category": _l("Kategorie nach der Stadtdatei geändert"),
    "town_file.retire_category": _l("Kategorie aufgelöst (nicht mehr in der Stadtdatei)"),
    "town_file.create_question": _l("Zusatzfrage aus der Stadtdatei angelegt"),
    "town_file.update_question": _l("Zusatzfrage nach der Stadtdatei geändert"),
    "town_file.delete_question": _l("Zusatzfrage gelöscht (nicht mehr in der Stadtdatei)"),
    "town_file.create_rule": _l("Zuständigkeitsregel aus der Stadtdatei angelegt"),
    "town_file.delete_rule": _l("Zuständigkeitsregel gelöscht (nicht mehr in der Stadtdatei)"),
}

# The town profile page's fields (app/jurisdictions/profile.py, legal.py), for the page and the log.
PROFILE_FIELDS = {
    "name": _l("Name der Stadt (amtlich)"),
    "short_name": _l("Kurzname (nach „in“)"),
    "name_in_sentence": _l("Name im Satz (nach „von“)"),
    "colour": _l("Hauptfarbe"),
    "colour_dark": _l("Dunkle Farbe (Kopfzeile)"),
    "website": _l("Website der Stadt"),
    "mail_sender_name": _l("Absendername der E-Mails"),
    "mail_sender_address": _l("Absenderadresse der E-Mails"),
    "mail_signature": _l("Signatur der E-Mails"),
    "contact_phone": _l("Telefon"),
    "contact_email": _l("E-Mail für Bürgerinnen und Bürger"),
    "contact_address": _l("Anschrift"),
    "opening_hours": _l("Öffnungszeiten"),
    "map_lat": _l("Kartenmitte: Breite"),
    "map_lon": _l("Kartenmitte: Länge"),
    "map_zoom": _l("Kartenmitte: Zoomstufe"),
    "tile_url": _l("Kartenkacheln (Adresse)"),
    "tile_attribution": _l("Kartenkacheln (Quellenangabe)"),
    "retention_closed_days": _l("Personenbezogene Daten erledigter Meldungen löschen nach (Tagen)"),
    "retention_unconfirmed_days": _l("Unbestätigte Meldungen löschen nach (Tagen)"),
    "crest": _l("Wappen oder Logo"),
    "legal": _l("Rechtliche Angaben"),
    "languages": _l("Angebotene Sprachen"),
    "max_photos_per_report": _l("Fotos je Meldung (höchstens)"),
    "max_photo_mb": _l("Größe eines Fotos in MB (höchstens)"),
    "reports_per_day": _l("Meldungen je Internetverbindung und Tag (höchstens)"),
}

# Who acted when it was no staff account (``actor`` of the audit row).
ACTORS = {"system": _l("System"), "town-file": _l("Stadtdatei"), "cli": _l("Kommandozeile"),
          "import": _l("Datenübernahme"), "citizen": _l("Bürgerin/Bürger")}

# "Sachbearbeitung", not "Abteilung": beside a department's name that word read as a second department.
ROLES = {"admin": _l("Administration"), "dispatcher": _l("Leitstelle"), "staff": _l("Sachbearbeitung")}

# Field names of ``[old, new]`` pairs in the admin actions.
FIELDS = {
    "role": _l("Rolle"), "department": _l("Abteilung"), "active": _l("aktiv"), "email": _l("E-Mail"),
    "display_name": _l("Name"), "name": _l("Name"), "name_en": _l("englischer Name"), "title": _l("Titel"),
    "target_days": _l("Zieltage"), "publish_immediately": _l("sofort veröffentlichen"),
    "oidc_subject": _l("Dienstkonto-Kennung"), "department_id": _l("Abteilung"), "password": _l("Passwort"),
    "public_deadlines": _l("Erledigungsdatum öffentlich"),
}

AREA_FIELDS = {"kind": _l("Art"), "rank": _l("Rang"), "emails": _l("E-Mail-Adressen"),
               "notification_mode": _l("Benachrichtigung"), "digest_hour": _l("Stunde der Sammelmail")}

# The ``target`` column: "kind:key".
TARGETS = {
    "user": _l("Konto %(key)s"), "template": _l("Textbaustein Nr. %(key)s"), "category": _l("Kategorie %(key)s"),
    "catalog": _l("Leistung %(key)s"), "department": _l("Abteilung %(key)s"),
    "rerouting_run": _l("Neuzuordnung Nr. %(key)s"), "photo": _l("Foto Nr. %(key)s"),
    "oidc": _l("Dienstkonto-Kennung %(key)s"), "team": _l("Team %(key)s"), "town": _l("Stadt %(key)s"),
    "area": _l("Gebiet %(key)s"),
}


def _value(value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("ja") if value else _("nein")
    if isinstance(value, (int, float)):
        return format_decimal(value)
    return str(value)


def _change(old, new) -> str:
    return _("„%(old)s“ → „%(new)s“", old=_value(old), new=_value(new))


def _status(code: str | None) -> str:
    return STATUSES[code].label(_locale()) if code in STATUSES else _value(code)


def _locale() -> str:
    from flask import g

    return getattr(g, "locale", "de")


@dataclass
class Described:
    when: object
    who: str
    what: str
    details: list[str]
    target: str


class AuditWording:
    """Describes audit rows of one town; department and account names are looked up once."""

    def __init__(self, jurisdiction_id: int | None, entries: list[AuditEntry]):
        rows = list(db.session.scalars(select(Department).where(Department.jurisdiction_id == jurisdiction_id))) \
            if jurisdiction_id else []
        self.departments = {d.code: d.name for d in rows}
        self.departments_by_id = {d.id: d.name for d in rows}
        self.categories = {c.code: c.name for c in db.session.scalars(
            select(Category).where(Category.jurisdiction_id == jurisdiction_id))} if jurisdiction_id else {}
        self.areas: dict[str, str] | None = None  # read when a rule of a town file is described
        ids = {e.staff_user_id for e in entries if e.staff_user_id}
        self.people = {u.id: u.label for u in db.session.scalars(select(StaffUser).where(StaffUser.id.in_(ids)))} \
            if ids else {}

    def describe(self, entry: AuditEntry) -> Described:
        who = self.people.get(entry.staff_user_id) or str(ACTORS.get(entry.actor, entry.actor))
        what = str(ACTIONS.get(entry.action, _l("Sonstige Aktion")))
        return Described(entry.created_at, who, what, self.details(entry), self.target(entry))

    def department(self, code) -> str:
        return self.departments.get(code, _value(code))

    def rule(self, entry: AuditEntry) -> str:
        """A routing rule a town file added or removed, in the words of ``routing_in_words``."""
        old, new = (entry.changes or {}).get("rule") or [None, None]
        key = new or old
        if not isinstance(key, list) or len(key) != 5:
            return ""
        area, category, department, valid_from, valid_until = key
        if self.areas is None:
            self.areas = {code: name for code, name in db.session.execute(
                select(Area.code, Area.name).where(Area.jurisdiction_id == entry.jurisdiction_id))}
        where = self.areas.get(area, area) if area else _("ganze Stadt")
        what = self.categories.get(category, category) if category else _("alle Kategorien")
        words = f"{where} · {what} → {self.department(department)}"
        if valid_from or valid_until:
            words += " " + _("(gültig %(start)s bis %(end)s)", start=valid_from or "…", end=valid_until or "…")
        return words

    def target(self, entry: AuditEntry) -> str:
        if not entry.target or entry.report_id:
            return ""
        if entry.action.startswith("town_file."):
            # A town file names what it changed by its code (app/towns/operations.py).
            if entry.action.endswith("_department"):
                return self.department(entry.target)
            if entry.action.endswith("_category"):
                return self.categories.get(entry.target, entry.target)
            if entry.action.endswith("_rule"):
                return self.rule(entry)
            if entry.action.endswith("_question"):
                category, _dot, question = entry.target.partition(".")
                return _("Frage %(question)s der Kategorie %(category)s", question=question,
                         category=self.categories.get(category, category))
            return entry.target
        kind, _sep, key = entry.target.partition(":")
        if kind in TARGETS and key:
            if kind == "department":
                key = self.department(key)
            return str(TARGETS[kind]) % {"key": key}
        return entry.target if not _sep else ""

    def details(self, entry: AuditEntry) -> list[str]:
        c = entry.changes or {}
        action = entry.action
        out: list[str] = []
        if action == "status":
            old, new = c.get("status", [None, None])
            out.append(_("Status %(change)s", change=_("„%(old)s“ → „%(new)s“", old=_status(old), new=_status(new))))
            if c.get("public_note"):
                out.append(_("Nachricht an die meldende Person: %(text)s", text=c["public_note"]))
            if c.get("duplicate_of"):
                out.append(_("Duplikat von %(ref)s", ref=c["duplicate_of"]))
            if c.get("followers_moved"):
                out.append(_("%(n)s Abonnements übertragen", n=format_decimal(c["followers_moved"])))
            if c.get("after_photos"):
                out.append(_("%(n)s Foto(s) nach der Erledigung", n=format_decimal(c["after_photos"])))
            if c.get("field"):
                out.append(_("unterwegs mit dem Telefon gemeldet"))
        elif action == "priority":
            from app.staff.operations import PRIORITIES

            old, new = c.get("priority", [None, None])
            out.append(_("Priorität %(change)s", change=_change(PRIORITIES.get(old, old), PRIORITIES.get(new, new))))
        elif action == "reassign":
            old, new = c.get("department", [None, None])
            out.append(_("von „%(old)s“ an „%(new)s“", old=self.department(old), new=self.department(new)))
            if c.get("reason"):
                out.append(_("Grund: %(text)s", text=c["reason"]))
        elif action in ("assign", "unassign"):
            old, new = c.get("assignee", [None, None])
            out.append(_("Zuweisung %(change)s", change=_change(old, new)))
        elif action in ("team_member_add", "team_member_remove"):
            out.append(_("Mitglied: %(name)s", name=_value(c.get("member"))))
        elif action == "team_create" and c.get("department"):
            out.append(_("Abteilung: %(name)s", name=self.department(c["department"])))
        elif action == "intake":
            out.append(_("Eingangsweg: %(channel)s", channel=CHANNEL_LABELS.get(c.get("channel"), _value(c.get("channel")))))
        elif action == "correct":
            if "category" in c:
                old, new = c["category"]
                out.append(_("Kategorie %(change)s", change=_change(self.categories.get(old, old),
                                                                    self.categories.get(new, new))))
            if "moved_m" in c:
                out.append(_("Ort um %(m)s m verschoben", m=format_decimal(c["moved_m"])))
            if "public_address" in c:
                out.append(_("öffentlich angezeigter Ort %(change)s", change=_change(*c["public_address"])))
            if "address" in c:
                out.append(_("Ortsangabe %(change)s", change=_change(*c["address"])))
            if "department" in c:
                old, new = c["department"]
                out.append(_("nach den Regeln neu zugeordnet: von „%(old)s“ an „%(new)s“", old=self.department(old),
                             new=self.department(new)))
            if "kept_department" in c:
                old, new = c["kept_department"]
                out.append(_("bleibt bei „%(old)s“ (nach den Regeln wäre „%(new)s“ zuständig)",
                             old=self.department(old), new=self.department(new)))
        elif action == "description" and "description_published" in c:
            out.append(_("Beschreibung veröffentlicht") if c["description_published"][1]
                       else _("Beschreibung nicht mehr veröffentlicht"))
        elif action == "additions_seen":
            out.append(_("%(c)s Anmerkungen, %(p)s Fotos", c=format_decimal(c.get("comments", 0)),
                         p=format_decimal(c.get("photos", 0))))
        elif action == "logout_everywhere" and "sessions" in c:
            out.append(_("%(n)s Sitzungen beendet", n=format_decimal(c["sessions"])))
        elif action in ("catalog_imported", "areas_imported"):
            out.append(_("%(created)s neu, %(updated)s ersetzt", created=format_decimal(c.get("created", 0)),
                         updated=format_decimal(c.get("updated", c.get("replaced", 0)))))
        elif action == "rerouting_applied":
            out.append(_("%(n)s Meldungen einer anderen Abteilung zugeordnet", n=format_decimal(c.get("moved", 0))))
        elif action in ("town_profile_update", "town_crest_update", "department_update", "area_update",
                        "department_create"):
            for field, value in c.items():
                label = PROFILE_FIELDS.get(field) or FIELDS.get(field) or AREA_FIELDS.get(field) or _("Angabe")
                if isinstance(value, list) and len(value) == 2:
                    old, new = (", ".join(v) if isinstance(v, list) and all(isinstance(x, str) for x in v) else v
                                for v in value)
                    if isinstance(old, (dict, list)) or isinstance(new, (dict, list)):
                        out.append(_("%(label)s geändert", label=label))
                    else:
                        out.append(f"{label}: {_change(old, new)}")
        elif action in ("department_retire", "category_retire"):
            if c.get("successor"):
                name = self.department(c["successor"]) if action == "department_retire" else \
                    self.categories.get(c["successor"], c["successor"])
                out.append(_("offene Meldungen an „%(name)s“: %(n)s", name=name, n=format_decimal(c.get("moved", 0))))
        elif action in ("addresses_imported", "staff_imported", "reports_imported"):
            out.append(_("%(n)s übernommen, %(r)s abgelehnt", n=format_decimal(c.get("imported", 0)),
                         r=format_decimal(c.get("rejected", 0))))
        elif action == "user_create":
            out.append(_("Rolle: %(role)s", role=ROLES.get(c.get("role"), _value(c.get("role")))))
            if c.get("department"):
                out.append(_("Abteilung: %(name)s", name=self.department(c["department"])))
        elif action in ("user_update", "category_update", "template_create"):
            for field, value in c.items():
                if field not in FIELDS:
                    continue
                if isinstance(value, list) and len(value) == 2:
                    old, new = value
                    if field == "role":
                        old, new = ROLES.get(old, old), ROLES.get(new, new)
                    elif field == "department":
                        old, new = self.department(old), self.department(new)
                    elif field == "department_id":
                        old, new = (self.departments_by_id.get(old, old) if old else None,
                                    self.departments_by_id.get(new, new) if new else None)
                    out.append(f"{FIELDS[field]}: {_change(old, new)}")
                elif field == "password":
                    out.append(_("Passwort neu gesetzt"))
                else:
                    out.append(f"{FIELDS[field]}: {_value(value)}")
        return out


def history_actor(actor: str, people: dict[str, str]) -> str:
    """Who made a status change, in words: the citizen, the Open311 interface, a clerk's name."""
    if actor == "citizen":
        return _("Bürgerin/Bürger")
    if actor.startswith("open311:"):
        return _("Open311-Schnittstelle (%(client)s)", client=actor.split(":", 1)[1])
    if actor.startswith("demo:") or actor == "system":
        return _("System")
    return people.get(actor, actor)


def people_by_username(jurisdiction_id: int, usernames) -> dict[str, str]:
    names = {n for n in usernames if n and ":" not in n and n not in ("citizen", "system")}
    if not names:
        return {}
    return {u.username: u.label for u in db.session.scalars(
        select(StaffUser).where(StaffUser.jurisdiction_id == jurisdiction_id, StaffUser.username.in_(names)))}


_KINDS = {"boundary": _l("Stadtgebiet"), "district": _l("Bezirk"), "ortsteil": _l("Ortsteil"), "custom": _l("Gebiet")}


def routing_in_words(report) -> str:
    """"Ortsteil Marienfeld · Spielplatz → Bauhof Marienfeld": the rule that chose the department."""
    rule = report.routing_rule
    if rule is None:
        return ""
    locale = _locale()
    where = f"{_KINDS.get(rule.area.kind, _l('Gebiet'))} {rule.area.name}" if rule.area else _("ganze Stadt")
    what = rule.category.label(locale) if rule.category else _("alle Kategorien")
    return f"{where} · {what} → {rule.department.name}"
