"""The admin's category pages (issue 18): create a category (switched off), edit its texts,
notice and stop notice, add and remove extra questions; every change audited with before and
after; what the admin sets is what citizens see and must answer."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.jurisdictions.models import Category
from app.open311.models import ServiceAttribute
from app.staff.models import AuditEntry
from tests.conftest import csrf_token
from tests.factories import category, town
from tests.intake.conftest import form_data
from tests.staff.helpers import PASSWORD, login, make_staff


def _admin(client):
    login(client, make_staff("admin").username, PASSWORD)
    return csrf_token(client, "/intern/admin/")


def _edit(client, token, cat, **fields):
    data = {"csrf_token": token, "name": cat.name, "description": cat.description, "group": cat.group,
            "target_days": str(cat.target_days), "active": "1", **fields}
    return client.post(f"/intern/admin/kategorien/{cat.id}/bearbeiten", data=data)


def test_only_admins_reach_the_category_pages(client, db_session):
    login(client, make_staff("dispatcher").username, PASSWORD)
    assert client.get(f"/intern/admin/kategorien/{category('gully').id}").status_code == 403


def test_a_new_category_starts_switched_off_and_a_taken_code_is_refused(client, db_session):
    token = _admin(client)
    made = client.post("/intern/admin/kategorien/neu", data={"csrf_token": token, "code": "ampel",
                                                             "name": "Ampel defekt", "group": "Straßen und Wege"})
    assert made.status_code == 303
    ampel = db_session.scalar(select(Category).where(Category.jurisdiction_id == town().id, Category.code == "ampel"))
    assert ampel.active is False and made.headers["Location"].endswith(f"/intern/admin/kategorien/{ampel.id}")
    assert "Ampel defekt" not in client.get("/melden").get_data(as_text=True)
    again = client.post("/intern/admin/kategorien/neu", data={"csrf_token": token, "code": "ampel", "name": "X"})
    assert again.status_code == 400 and "gibt es schon" in again.get_data(as_text=True)
    bad = client.post("/intern/admin/kategorien/neu", data={"csrf_token": token, "code": "Ampel!", "name": ""})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "Kleinbuchstaben" in text and "Bitte geben Sie einen Namen an." in text
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "category_create"))
    assert entry.target == "category:ampel" and entry.changes["active"] == [None, False]


def test_notice_and_stop_notice_set_by_the_admin_reach_the_form(client, db_session):
    token = _admin(client)
    gully = category("gully")
    response = _edit(client, token, gully, notice="Bei Hochwasser: Feuerwehr 112.",
                     stop_notice="Gasgeruch? Rufen Sie sofort 112 an.")
    assert response.status_code == 303
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "category_update"))
    assert entry.changes["stop_notice"] == ["", "Gasgeruch? Rufen Sie sofort 112 an."]
    html = client.get("/melden").get_data(as_text=True)
    assert "Bei Hochwasser: Feuerwehr 112." in html and "Gasgeruch? Rufen Sie sofort 112 an." in html
    refused = client.post("/melden", data=form_data(csrf_token(client, "/melden"), category="gully"))
    assert refused.status_code == 400 and "Gasgeruch? Rufen Sie sofort 112 an." in refused.get_data(as_text=True)


def test_questions_added_by_the_admin_are_asked_and_required(client, db_session):
    token = _admin(client)
    lamp = category("strassenlaterne")
    path = f"/intern/admin/kategorien/{lamp.id}/fragen"
    empty_list = client.post(path, data={"csrf_token": token, "code": "zustand", "label": "Was ist los?",
                                         "kind": "singlevaluelist", "choices": ""})
    assert empty_list.status_code == 400 and "mindestens eine Antwort" in empty_list.get_data(as_text=True)
    no_kind = client.post(path, data={"csrf_token": token, "code": "zustand", "label": "Was ist los?"})
    assert no_kind.status_code == 400 and "Art der Antwort" in no_kind.get_data(as_text=True)
    made = client.post(path, data={"csrf_token": token, "code": "zustand", "label": "Was ist los?",
                                   "kind": "singlevaluelist", "required": "1",
                                   "choices": "aus = Brennt nicht\nFlackert tagsüber"})
    assert made.status_code == 303
    yesno = client.post(path, data={"csrf_token": token, "code": "gefahr", "label": "Besteht Gefahr?",
                                    "kind": "yesno"})
    assert yesno.status_code == 303
    questions = {q.code: q for q in db_session.scalars(select(ServiceAttribute)
                                                        .where(ServiceAttribute.category_id == lamp.id))}
    assert questions["zustand"].values == [{"key": "aus", "name": "Brennt nicht"},
                                           {"key": "flackert-tagsueber", "name": "Flackert tagsüber"}]
    assert questions["zustand"].required and questions["zustand"].order == 1 and questions["gefahr"].order == 2
    assert [v["key"] for v in questions["gefahr"].values] == ["ja", "nein"]
    page = client.get(f"/intern/admin/kategorien/{lamp.id}").get_data(as_text=True)
    assert "Was ist los?" in page and "Brennt nicht, Flackert tagsüber" in page

    form = client.get("/melden").get_data(as_text=True)
    assert 'name="answers.strassenlaterne.zustand"' in form and 'value="flackert-tagsueber"' in form
    missing = client.post("/melden", data=form_data(csrf_token(client, "/melden"), category="strassenlaterne"))
    assert missing.status_code == 400 and "Was ist los?" in missing.get_data(as_text=True)
    answered = client.post("/melden", data=form_data(csrf_token(client, "/melden"), category="strassenlaterne",
                                                     **{"answers.strassenlaterne.zustand": "aus"}))
    assert answered.status_code == 303

    token = csrf_token(client, "/intern/admin/")
    kept = client.post(f"{path}/{questions['zustand'].id}/loeschen", data={"csrf_token": token})
    assert kept.status_code == 400 and "schon beantwortet" in kept.get_data(as_text=True)
    gone = client.post(f"{path}/{questions['gefahr'].id}/loeschen", data={"csrf_token": token})
    assert gone.status_code == 303
    assert [q.code for q in db_session.scalars(select(ServiceAttribute)
                                                .where(ServiceAttribute.category_id == lamp.id))] == ["zustand"]
    actions = list(db_session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("question_%"))
                                      .order_by(AuditEntry.id)))
    assert actions == ["question_create", "question_create", "question_delete"]


def test_a_text_template_is_changed_and_deleted_with_audit(client, db_session):
    from app.staff.models import TextTemplate

    token = _admin(client)
    made = client.post("/intern/admin/textbausteine", data={"csrf_token": token, "title": "Bauhof",
                                                            "body": "Auftrag an den Bauhof.", "status": "in_bearbeitung"})
    assert made.status_code == 303
    template = db_session.scalar(select(TextTemplate).where(TextTemplate.title == "Bauhof"))
    assert 'id="t-title-%d"' % template.id in client.get("/intern/admin/").get_data(as_text=True)
    changed = client.post(f"/intern/admin/textbausteine/{template.id}", data={
        "csrf_token": token, "title": "Bauhof", "body": "Auftrag an den Bauhof erteilt.", "status": "in_bearbeitung"})
    assert changed.status_code == 303 and template.body == "Auftrag an den Bauhof erteilt."
    empty = client.post(f"/intern/admin/textbausteine/{template.id}", data={"csrf_token": token, "title": "",
                                                                             "body": ""})
    assert empty.status_code == 400 and template.title == "Bauhof"
    gone = client.post(f"/intern/admin/textbausteine/{template.id}/loeschen", data={"csrf_token": token})
    assert gone.status_code == 303 and db_session.get(TextTemplate, template.id) is None
    actions = list(db_session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("template_%"))
                                      .order_by(AuditEntry.id)))
    assert actions == ["template_create", "template_update", "template_delete"]
    update = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "template_update"))
    assert update.changes == {"body": ["Auftrag an den Bauhof.", "Auftrag an den Bauhof erteilt."]}


def test_the_admin_chooses_a_categorys_icon_from_the_set(client, db_session):
    token = _admin(client)
    lamp = category("strassenlaterne")
    page = client.get(f"/intern/admin/kategorien/{lamp.id}").get_data(as_text=True)
    # A radio grid of the set's icons, each drawn with its name; the current one is the only one checked.
    assert page.count('name="icon"') == 1 + 43
    assert re.findall(r'<input type="radio" name="icon" id="[^"]+" value="([^"]*)" checked>', page) == ["bulb"]
    assert '<use href="#i-horse-toy">' in page and '<symbol id="i-horse-toy"' in page

    assert _edit(client, token, lamp, icon="traffic-lights").status_code == 303
    db_session.refresh(lamp)
    assert lamp.icon == "traffic-lights"
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "category_update")
                              .order_by(AuditEntry.id.desc()))
    assert entry.changes["icon"] == ["bulb", "traffic-lights"]
    assert '<use href="#i-traffic-lights">' in client.get("/melden").get_data(as_text=True)
    # The admin list shows it too.
    assert '<use href="#i-traffic-lights">' in client.get("/intern/admin/").get_data(as_text=True)

    refused = _edit(client, token, lamp, icon="💡")
    assert refused.status_code == 400 and "Dieses Symbol gibt es nicht." in refused.get_data(as_text=True)
    # A form without the icon grid leaves the icon alone; "kein eigenes" empties it.
    assert _edit(client, token, lamp).status_code == 303
    db_session.refresh(lamp)
    assert lamp.icon == "traffic-lights"
    assert _edit(client, token, lamp, icon="").status_code == 303
    db_session.refresh(lamp)
    assert lamp.icon == ""


def test_category_texts_and_questions_in_other_languages_reach_those_citizens(client, db_session):
    """Issue 20: names, help, notices and questions per language; German where one is missing."""
    token = _admin(client)
    gully = category("gully")
    page = client.get(f"/intern/admin/kategorien/{gully.id}").get_data(as_text=True)
    # The form shows what the town file set, so saving it keeps it.
    assert 'name="name_tr" lang="tr" dir="auto" value="Tıkalı yağmur ızgarası"' in page
    fields = {key: value for key, value in ((k, gully.translations.get(k.rsplit("_", 1)[1], {})
                                              .get(k.rsplit("_", 1)[0], "")) for k in ("name_tr", "name_uk", "name_ar"))}
    response = _edit(client, token, gully, **fields, notice="Bitte Hausnummer angeben.",
                     notice_ar="يرجى ذكر رقم المنزل.", stop_notice_en="", description_uk="Забита решітка.")
    assert response.status_code == 303
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "category_update"))
    assert entry.changes["translations"][1]["ar"] == {"name": "مصرف مياه مسدود", "notice": "يرجى ذكر رقم المنزل."}
    made = client.post(f"/intern/admin/kategorien/{gully.id}/fragen",
                       data={"csrf_token": token, "code": "wasser", "label": "Steht Wasser?", "kind": "yesno",
                             "label_uk": "Чи стоїть вода?", "help_tr": "Yağmurdan sonra da mı?"})
    assert made.status_code == 303

    arabic = client.get("/melden?lang=ar").get_data(as_text=True)
    assert "يرجى ذكر رقم المنزل." in arabic and "Bitte Hausnummer angeben." not in arabic
    assert "Steht Wasser?" in arabic and "نعم" in arabic  # no Arabic question: German; yes/no in Arabic
    ukrainian = client.get("/melden?lang=uk").get_data(as_text=True)
    assert "Чи стоїть вода?" in ukrainian and "Забита решітка." in ukrainian and "Так" in ukrainian
    assert "Bitte Hausnummer angeben." in ukrainian  # no Ukrainian notice: German
    assert "Yağmurdan sonra da mı?" in client.get("/melden?lang=tr").get_data(as_text=True)
