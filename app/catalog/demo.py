"""Demo catalog for Harsewinkel: 31 typical services of a town of about 25,000 people,
27 of them online, plus public contact data of the departments.

The texts were written for this project. Leistungsschlüssel have the LeiKa form (14
digits) but are illustrative, not checked against the LeiKa; phone numbers, e-mail
addresses (``.example``) and online-form links (``portal.harsewinkel.example``) are
placeholders. The Mängelmelder itself is one of the online services (``/melden``).
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.catalog.models import CatalogEntry
from app.catalog.operations import EntryInput, save_contact, save_entry
from app.jurisdictions.models import Department, Jurisdiction

PORTAL = "https://portal.harsewinkel.example/dienste/"
RATHAUS = "Rathaus Harsewinkel, Münsterstraße 14, 33428 Harsewinkel"
HOURS = "Mo–Fr 8.00–12.30 Uhr, Do zusätzlich 14.00–17.30 Uhr und nach Terminvereinbarung"

# Departments the catalog needs besides those reports are routed to (code, name).
EXTRA_DEPARTMENTS = [
    ("steueramt", "Steuern und Abgaben"),
    ("standesamt", "Standesamt"),
    ("jugendamt", "Jugend, Familie und Bildung"),
    ("bauordnung", "Bauordnung und Stadtplanung"),
    ("soziales", "Soziales und Wohnen"),
]

# department code -> (address, opening hours, phone, e-mail)
CONTACTS = {
    "buergerbuero": (f"{RATHAUS}, Erdgeschoss (Bürgerbüro)",
                     "Mo–Mi 7.30–16.00 Uhr, Do 7.30–18.00 Uhr, Fr 7.30–12.30 Uhr, Sa 9.00–12.00 Uhr (nur mit Termin)",
                     "05247 000-100", "buergerbuero@harsewinkel.example"),
    "ordnungsamt": (f"{RATHAUS}, 1. Obergeschoss", HOURS, "05247 000-320", "ordnungsamt@harsewinkel.example"),
    "steueramt": (f"{RATHAUS}, 2. Obergeschoss", HOURS, "05247 000-210", "steuern@harsewinkel.example"),
    "standesamt": (f"{RATHAUS}, Erdgeschoss", "Mo–Fr 8.00–12.30 Uhr und nach Terminvereinbarung",
                   "05247 000-150", "standesamt@harsewinkel.example"),
    "jugendamt": ("Familienbüro, Brockhäger Straße 9, 33428 Harsewinkel", HOURS, "05247 000-510",
                  "familienbuero@harsewinkel.example"),
    "bauordnung": (f"{RATHAUS}, 3. Obergeschoss", "Di und Do 8.00–12.30 Uhr, Do 14.00–17.30 Uhr",
                   "05247 000-610", "bauordnung@harsewinkel.example"),
    "soziales": (f"{RATHAUS}, 1. Obergeschoss", HOURS, "05247 000-410", "soziales@harsewinkel.example"),
    "abfall": ("Betriebshof, Gütersloher Straße 60, 33428 Harsewinkel", "Mo–Fr 7.00–15.30 Uhr",
               "05247 000-720", "abfall@harsewinkel.example"),
    "tiefbau": (f"{RATHAUS}, 3. Obergeschoss", HOURS, "05247 000-650", "tiefbau@harsewinkel.example"),
    "gruen": ("Betriebshof, Gütersloher Straße 60, 33428 Harsewinkel", "Mo–Fr 7.00–15.30 Uhr",
              "05247 000-730", "gruen@harsewinkel.example"),
}

SK = "Servicekonto.NRW"
BUND = "BundID"


def _e(slug, name, topic, dept, short, long, *, online=True, url=None, trust="substanziell", account=SK,
       fees="gebührenfrei", docs=(), time="", keywords=(), leika=None) -> dict:
    return {"slug": slug, "name": name, "topic": topic, "department": dept, "short_description": short,
            "long_description": long, "online": online,
            "online_url": (url or PORTAL + slug) if online else None, "trust_level": trust if online else "",
            "account": account if online else "", "fees": fees, "required_documents": list(docs),
            "processing_time": time, "keywords": list(keywords), "leika_key": leika}


W, A, F, S, B, U, O, G = ("Wohnen und Umzug", "Ausweise und Dokumente", "Familie und Kinder", "Steuern und Abgaben",
                          "Bauen und Grundstück", "Umwelt und Abfall", "Ordnung und Verkehr", "Gewerbe und Wirtschaft")
SO, L = "Soziales", "Leben und Tod"

ENTRIES = [
    _e("maengelmelder", "Mängel im Stadtgebiet melden (Mängelmelder)", O, "buergerbuero",
       "Schlagloch, defekte Straßenlaterne, wilder Müll oder ein beschädigtes Spielgerät? Melden Sie es online – "
       "die zuständige Stelle erhält Ihre Meldung direkt.",
       "Mit dem Mängelmelder zeigen Sie Schäden und Verschmutzungen im öffentlichen Raum an: Ort auf der Karte "
       "oder per Adresse wählen, Kategorie aussuchen, kurz beschreiben und auf Wunsch ein Foto anhängen. Die "
       "Meldung wird automatisch an die zuständige Stelle weitergeleitet. Über einen persönlichen Link verfolgen "
       "Sie, wie es weitergeht. Eine Anmeldung ist nicht nötig.",
       url="/melden", trust="keines", account="ohne Konto", time="Eingangsbestätigung sofort",
       keywords=["Schlagloch", "Laterne defekt", "wilder Müll", "Schaden melden", "Straßenschaden", "Graffiti"]),
    _e("wohnsitz-anmelden", "Wohnsitz anmelden", W, "buergerbuero",
       "Wer nach Harsewinkel zieht oder innerhalb der Stadt umzieht, meldet die neue Wohnung innerhalb von zwei "
       "Wochen an.",
       "Die Anmeldung ist innerhalb von zwei Wochen nach dem Einzug Pflicht. Mit Online-Ausweisfunktion erledigen "
       "Sie sie vollständig online; die neue Anschrift wird anschließend auf den Personalausweis geschrieben. "
       "Ohne Online-Ausweis buchen Sie einen Termin im Bürgerbüro. Die Wohnungsgeberbestätigung des Vermieters "
       "ist immer erforderlich.",
       trust="hoch", account=BUND, docs=["Personalausweis mit Online-Ausweisfunktion oder Reisepass",
                                         "Wohnungsgeberbestätigung"],
       time="sofort", keywords=["Anmeldung", "Umzug", "Zuzug", "Ummeldung", "neue Adresse"], leika="99115001001000"),
    _e("meldebescheinigung", "Meldebescheinigung beantragen", W, "buergerbuero",
       "Bescheinigung über Ihre aktuelle Anschrift, etwa für Behörden, Banken oder den Arbeitgeber.",
       "Die einfache Meldebescheinigung enthält Name, Geburtsdatum und Anschrift; die erweiterte Bescheinigung "
       "zusätzlich frühere Anschriften und weitere Angaben. Online beantragt, erhalten Sie sie als PDF mit "
       "elektronischem Siegel oder per Post.",
       trust="substanziell", fees="10 Euro (einfach), 15 Euro (erweitert)", docs=["Personalausweis oder Reisepass"],
       time="1–3 Werktage", keywords=["Wohnsitzbescheinigung", "Adressnachweis"], leika="99115008001000"),
    _e("personalausweis", "Personalausweis beantragen", A, "buergerbuero",
       "Den Personalausweis beantragen Sie persönlich im Bürgerbüro; Fingerabdrücke werden vor Ort erfasst.",
       "Der Personalausweis ist für Personen ab 24 Jahren zehn Jahre gültig, darunter sechs Jahre. Bringen Sie "
       "ein aktuelles biometrisches Passbild mit (auch digital aus einem zertifizierten Studio möglich). Den "
       "Termin buchen Sie online; die Abholung ist nach etwa drei bis vier Wochen möglich.",
       online=False, fees="37 Euro (ab 24 Jahren), 22,80 Euro (unter 24 Jahren)",
       docs=["bisheriger Ausweis oder Geburtsurkunde", "biometrisches Passbild"], time="3–4 Wochen",
       keywords=["Ausweis", "Personalausweis verloren", "eID", "Online-Ausweis"], leika="99115003001000"),
    _e("reisepass", "Reisepass beantragen", A, "buergerbuero",
       "Reisepass und Kinderreisepass beantragen Sie persönlich im Bürgerbüro.",
       "Für Reisen außerhalb der EU brauchen Sie meist einen Reisepass. Kinder erhalten auf Wunsch ebenfalls einen "
       "Reisepass. Im Express-Verfahren liegt der Pass in wenigen Werktagen vor.",
       online=False, fees="70 Euro (ab 24 Jahren), 37,50 Euro (unter 24 Jahren), Express 32 Euro zusätzlich",
       docs=["bisheriger Pass oder Personalausweis", "biometrisches Passbild"], time="3–4 Wochen",
       keywords=["Pass", "Kinderreisepass", "Urlaub"], leika="99115004001000"),
    _e("fuehrungszeugnis", "Führungszeugnis beantragen", A, "buergerbuero",
       "Das Führungszeugnis (zum Beispiel für Arbeitgeber oder ein Ehrenamt) beantragen Sie online mit dem "
       "Online-Ausweis.",
       "Das Führungszeugnis wird vom Bundesamt für Justiz ausgestellt. Online beantragen Sie es mit der "
       "Online-Ausweisfunktion; alternativ im Bürgerbüro. Für ehrenamtliche Tätigkeiten ist es gebührenfrei, wenn "
       "Sie eine Bestätigung des Vereins beifügen.",
       trust="hoch", account=BUND, fees="13 Euro (für Ehrenamt gebührenfrei)",
       docs=["Personalausweis mit Online-Ausweisfunktion"], time="etwa 2 Wochen",
       keywords=["polizeiliches Führungszeugnis", "erweitertes Führungszeugnis", "Ehrenamt"], leika="99116001001000"),
    _e("hundesteuer", "Hundesteuer: Hund anmelden oder abmelden", S, "steueramt",
       "Hunde halten ist in Harsewinkel steuerpflichtig. Melden Sie Ihren Hund innerhalb von zwei Wochen an – oder "
       "ab, wenn er abgegeben wird oder stirbt.",
       "Nach der Anmeldung erhalten Sie einen Steuerbescheid und eine Hundesteuermarke. Für gefährliche Hunde gilt "
       "ein höherer Steuersatz. Wer umzieht, meldet den Hund in der alten Gemeinde ab und in Harsewinkel an.",
       trust="niedrig", fees="gebührenfrei; Steuer 96 Euro pro Jahr für den ersten Hund",
       docs=["Abgabe- oder Kaufvertrag (bei Anmeldung)", "Nachweis über Abgabe oder Tod (bei Abmeldung)"],
       time="1–2 Wochen", keywords=["Hund", "Hundesteuermarke", "Hundemarke"], leika="99028001001000"),
    _e("grundsteuer-lastschrift", "Lastschriftmandat für Steuern und Abgaben erteilen", S, "steueramt",
       "Grundsteuer, Hundesteuer und Abfallgebühren bequem per Lastschrift zahlen.",
       "Mit einem SEPA-Lastschriftmandat zieht die Stadtkasse fällige Beträge zum Fälligkeitstag ein. Sie können "
       "das Mandat jederzeit online ändern oder widerrufen.",
       trust="substanziell", docs=["IBAN", "Kassenzeichen aus dem Bescheid"], time="ab der nächsten Fälligkeit",
       keywords=["SEPA", "Abbuchung", "Grundsteuer", "Bankverbindung ändern"], leika="99028002001000"),
    _e("grundsteuer", "Grundsteuer: Fragen zum Bescheid", S, "steueramt",
       "Fragen zu Ihrem Grundsteuerbescheid, Änderung des Eigentümers oder der Anschrift online mitteilen.",
       "Die Stadt setzt die Grundsteuer auf Grundlage des Messbetrags des Finanzamts fest. Einwände gegen den "
       "Messbetrag richten Sie an das Finanzamt, Fragen zum Hebesatz und zur Zahlung an die Stadt.",
       trust="niedrig", docs=["Kassenzeichen"], time="1–2 Wochen",
       keywords=["Grundbesitzabgaben", "Hebesatz", "Steuerbescheid"], leika="99028003001000"),
    _e("gewerbeanmeldung", "Gewerbe anmelden (Gewerbeanmeldung)", G, "ordnungsamt",
       "Wer ein Gewerbe beginnt, zeigt es beim Ordnungsamt an – online über das Wirtschafts-Service-Portal.NRW.",
       "Die Gewerbeanmeldung ist vor oder bei Beginn der Tätigkeit nötig. Freie Berufe (zum Beispiel Ärztinnen, "
       "Anwälte, Künstler) melden kein Gewerbe an. Nach der Anmeldung informiert die Stadt Finanzamt, IHK oder "
       "Handwerkskammer.",
       trust="substanziell", fees="26 Euro", docs=["Personalausweis", "ggf. Erlaubnis oder Handwerkskarte"],
       time="1–3 Werktage", keywords=["Firma gründen", "Selbstständigkeit", "Gewerbeschein", "Existenzgründung"],
       leika="99050012104000"),
    _e("gewerbe-ummelden-abmelden", "Gewerbe ummelden oder abmelden", G, "ordnungsamt",
       "Änderungen Ihres Gewerbes oder seine Aufgabe zeigen Sie online an.",
       "Eine Ummeldung ist nötig, wenn sich die Tätigkeit oder die Anschrift des Betriebs ändert; eine Abmeldung, "
       "wenn Sie das Gewerbe aufgeben.",
       trust="substanziell", fees="Ummeldung 20 Euro, Abmeldung 15 Euro", docs=["Personalausweis"],
       time="1–3 Werktage", keywords=["Gewerbeabmeldung", "Gewerbeummeldung", "Betrieb aufgeben"],
       leika="99050012105000"),
    _e("elterneinkommen", "Elterneinkommen erklären (Elternbeiträge Kita und OGS)", F, "jugendamt",
       "Die Höhe der Elternbeiträge für Kita, Tagespflege und Offene Ganztagsschule richtet sich nach Ihrem "
       "Einkommen. Die Erklärung geben Sie online ab.",
       "Nach der Aufnahme Ihres Kindes erklären Sie das Jahreseinkommen des Haushalts. Ohne Erklärung wird der "
       "Höchstbeitrag festgesetzt. Ändert sich Ihr Einkommen deutlich, teilen Sie es bitte mit.",
       docs=["Einkommensnachweise (Steuerbescheid oder Gehaltsabrechnungen)"], time="2–4 Wochen",
       keywords=["Kita-Beitrag", "Elternbeitrag", "Einkommenserklärung", "OGS-Beitrag"], leika="99065001001000"),
    _e("kita-platz", "Kita-Platz anmelden", F, "jugendamt",
       "Betreuungsplatz in einer Kindertageseinrichtung oder Kindertagespflege über den Kita-Navigator anmelden.",
       "Im Kita-Navigator sehen Sie alle Einrichtungen in Harsewinkel, Greffen und Marienfeld und melden Ihr Kind "
       "für bis zu drei Wunsch-Kitas an. Die Platzvergabe für das neue Kita-Jahr beginnt im Februar.",
       trust="niedrig", time="Zusage ab Februar für das Kita-Jahr ab August",
       keywords=["Kindergarten", "Kindertagesstätte", "Kindertagesbetreuung", "Tagesmutter", "Kita-Navigator"],
       leika="99065002001000"),
    _e("ogs-anmeldung", "Offene Ganztagsschule (OGS) anmelden", F, "jugendamt",
       "Betreuung in der Offenen Ganztagsschule an den Grundschulen anmelden.",
       "Die OGS betreut Grundschulkinder nach dem Unterricht bis 16 Uhr, mit Mittagessen und Hausaufgabenhilfe. "
       "Die Anmeldung gilt für ein Schuljahr.",
       trust="niedrig", fees="Elternbeitrag nach Einkommen, Mittagessen zusätzlich", time="bis Schuljahresbeginn",
       keywords=["Ganztag", "Nachmittagsbetreuung", "Grundschule"], leika="99065003001000"),
    _e("eheschliessung", "Eheschließung anmelden", L, "standesamt",
       "Wer heiraten möchte, meldet die Eheschließung beim Standesamt an – die Unterlagen reichen Sie online ein.",
       "Die Anmeldung ist frühestens sechs Monate vor dem Wunschtermin möglich. Trauungen finden im Trauzimmer des "
       "Rathauses und im Kloster Marienfeld statt.",
       trust="substanziell", fees="ab 60 Euro, Trauung außerhalb der Öffnungszeiten zusätzlich",
       docs=["Personalausweise", "beglaubigte Abschriften aus dem Geburtenregister",
             "ggf. Nachweise über frühere Ehen"], time="Termin nach Vereinbarung",
       keywords=["Hochzeit", "heiraten", "Trauung", "Standesamt Termin"], leika="99114001001000"),
    _e("geburtsurkunde", "Geburtsurkunde beantragen", L, "standesamt",
       "Geburtsurkunden für in Harsewinkel geborene Personen online bestellen.",
       "Urkunden stellt das Standesamt des Geburtsorts aus. Berechtigt sind die Person selbst, Eltern, Kinder und "
       "Ehegatten; andere Personen brauchen eine Vollmacht.",
       trust="substanziell", fees="12 Euro, jede weitere Ausfertigung 6 Euro", time="3–5 Werktage",
       keywords=["Personenstandsurkunde", "Geburtsregister", "Abstammung"], leika="99114002001000"),
    _e("sterbeurkunde", "Sterbefall anzeigen und Sterbeurkunde beantragen", L, "standesamt",
       "Einen Sterbefall zeigen meist das Bestattungsunternehmen an; Sterbeurkunden können Angehörige online "
       "bestellen.",
       "Ein Sterbefall muss spätestens am dritten Werktag beim Standesamt angezeigt werden. Die Sterbeurkunde "
       "brauchen Sie für Versicherungen, Banken und das Nachlassgericht.",
       trust="substanziell", fees="12 Euro, jede weitere Ausfertigung 6 Euro", time="1–3 Werktage",
       docs=["ärztliche Todesbescheinigung", "Personalausweis der verstorbenen Person"],
       keywords=["Todesfall", "Beerdigung", "Tod"], leika="99114003001000"),
    _e("grabstaette", "Grabstätte erwerben oder verlängern", L, "gruen",
       "Nutzungsrechte an Gräbern auf den städtischen Friedhöfen vergibt die Friedhofsverwaltung persönlich.",
       "Auf den Friedhöfen in Harsewinkel, Greffen und Marienfeld gibt es Wahl-, Reihen-, Urnen- und "
       "Rasengräber. Das Nutzungsrecht kann vor Ablauf verlängert werden.",
       online=False, fees="nach Friedhofsgebührensatzung", time="nach Vereinbarung",
       keywords=["Friedhof", "Grab", "Urnengrab", "Bestattung"], leika="99114004001000"),
    _e("bauantrag", "Baugenehmigung beantragen (Bauantrag)", B, "bauordnung",
       "Bauanträge reichen Entwurfsverfasser digital über das Bauportal.NRW ein.",
       "Für Neubau, Anbau und viele Umbauten brauchen Sie eine Baugenehmigung. Den Antrag stellt eine "
       "bauvorlageberechtigte Person (Architektin, Bauingenieur) für Sie. Vorab beraten wir Sie gern.",
       trust="substanziell", account=SK, fees="nach Baugebührentarif, abhängig von den Baukosten",
       docs=["Bauvorlagen nach Bauprüfverordnung", "Lageplan", "Bauzeichnungen"], time="1–3 Monate",
       keywords=["Bauen", "Hausbau", "Anbau", "Bauportal"], leika="99066001001000"),
    _e("baumfaellung", "Baum fällen: Genehmigung beantragen", B, "gruen",
       "Geschützte Bäume dürfen nur mit Genehmigung gefällt werden.",
       "Die Baumschutzsatzung schützt Laubbäume ab einem Stammumfang von 80 Zentimetern. Fällungen sind "
       "nur von Oktober bis Februar erlaubt; bei Gefahr im Verzug melden Sie sich bitte sofort.",
       trust="niedrig", fees="30 Euro", docs=["Fotos des Baums", "Lageplan"], time="2–4 Wochen",
       keywords=["Baumschutzsatzung", "Fällgenehmigung", "Baum"], leika="99066002001000"),
    _e("aufgrabung", "Aufgrabung im Straßenraum beantragen", B, "tiefbau",
       "Wer für einen Hausanschluss oder Leitungen Gehweg oder Straße öffnen muss, braucht eine Erlaubnis.",
       "Baufirmen beantragen die Aufgrabungserlaubnis mit Lageplan und Verkehrszeichenplan. Nach den Arbeiten "
       "wird die Fläche abgenommen.",
       trust="niedrig", fees="ab 50 Euro", docs=["Lageplan", "Verkehrszeichenplan"], time="2 Wochen",
       keywords=["Hausanschluss", "Straße aufbrechen", "Leitungsbau"], leika="99066003001000"),
    _e("bewohnerparkausweis", "Bewohnerparkausweis beantragen", O, "ordnungsamt",
       "Anwohnerinnen und Anwohner der Bewohnerparkzonen in der Innenstadt parken mit Ausweis ohne Parkschein.",
       "Den Ausweis erhalten Personen, die in der Zone mit Hauptwohnsitz gemeldet sind, für ein auf sie "
       "zugelassenes oder dauerhaft genutztes Fahrzeug.",
       trust="substanziell", fees="30 Euro pro Jahr", docs=["Fahrzeugschein"], time="1 Woche",
       keywords=["Anwohnerparken", "Parken Innenstadt"], leika="99102001001000"),
    _e("verwarnungsgeld", "Verwarnungsgeld bezahlen oder Stellung nehmen", O, "ordnungsamt",
       "Zu einer Verwarnung wegen Falschparkens online Stellung nehmen oder das Verwarnungsgeld bezahlen.",
       "Mit dem Aktenzeichen aus der Verwarnung können Sie online Angaben machen oder den Betrag bezahlen. Wer "
       "nicht selbst gefahren ist, nennt die Person, die das Fahrzeug geführt hat.",
       trust="keines", account="ohne Konto", fees="Höhe nach Bußgeldkatalog", docs=["Aktenzeichen"],
       time="sofort", keywords=["Parkverstoß", "Bußgeld", "Anhörung"], leika="99102002001000"),
    _e("brauchtumsfeuer", "Brauchtumsfeuer anzeigen (Osterfeuer)", O, "ordnungsamt",
       "Osterfeuer und andere Brauchtumsfeuer zeigen Vereine und Nachbarschaften spätestens zwei Wochen vorher an.",
       "Verbrannt werden darf nur unbehandeltes Holz und Strauchschnitt. Das Brenngut muss kurz vor dem Anzünden "
       "umgeschichtet werden, damit Tiere fliehen können.",
       trust="niedrig", account=SK, fees="gebührenfrei", time="Bestätigung innerhalb einer Woche",
       keywords=["Feuer", "Ostern", "Martinsfeuer"], leika="99102003001000"),
    _e("veranstaltung", "Veranstaltung im Freien anzeigen", O, "ordnungsamt",
       "Straßenfeste, Flohmärkte und andere Veranstaltungen auf öffentlichen Flächen anzeigen und "
       "Sondernutzung beantragen.",
       "Für Veranstaltungen auf Straßen und Plätzen brauchen Sie eine Sondernutzungserlaubnis, bei "
       "Straßensperrungen zusätzlich eine verkehrsrechtliche Anordnung.",
       trust="niedrig", fees="nach Aufwand, ab 25 Euro", docs=["Lageplan", "Sicherheitskonzept (ab 1.000 Gästen)"],
       time="4 Wochen", keywords=["Straßenfest", "Flohmarkt", "Sondernutzung", "Nachbarschaftsfest"],
       leika="99102004001000"),
    _e("fundsachen", "Fundsachen: Verlust melden oder Fund abgeben", O, "buergerbuero",
       "Etwas verloren oder gefunden? Das Fundbüro im Bürgerbüro hilft – Verlustanzeigen auch online.",
       "Fundsachen werden sechs Monate aufbewahrt. Meldet sich niemand, kann die Finderin oder der Finder das "
       "Eigentum erwerben.",
       trust="keines", account="ohne Konto", time="sofort",
       keywords=["Fundbüro", "verloren", "gefunden", "Schlüssel verloren"], leika="99102005001000"),
    _e("sperrmuell", "Sperrmüllabholung anmelden", U, "abfall",
       "Sperrmüll wird zweimal im Jahr kostenlos abgeholt – Termin online anmelden.",
       "Zum Sperrmüll gehören Möbel und große Haushaltsgegenstände, nicht aber Bauschutt oder Elektrogeräte. "
       "Elektrogroßgeräte melden Sie gesondert an.",
       trust="keines", account="ohne Konto", time="Abholung innerhalb von 3 Wochen",
       keywords=["Müll", "Möbel entsorgen", "Sperrgut", "Elektroschrott"], leika="99020001001000"),
    _e("abfallbehaelter", "Abfallbehälter bestellen oder ändern", U, "abfall",
       "Rest-, Bio- oder Papiertonne bestellen, tauschen oder abmelden.",
       "Die Größe der Restmülltonne bestimmt die Abfallgebühr. Änderungen gelten ab dem Folgemonat.",
       trust="niedrig", fees="Gebühr nach Behältergröße", docs=["Kassenzeichen"], time="2 Wochen",
       keywords=["Müll", "Tonne", "Biotonne", "Restmülltonne", "Papiertonne", "Abfallgebühren"], leika="99020002001000"),
    _e("abfuhrkalender", "Abfuhrkalender abrufen", U, "abfall",
       "Abfuhrtermine für Ihre Straße als Kalenderdatei oder PDF.",
       "Der Abfuhrkalender enthält alle Termine für Rest-, Bio-, Papier- und Wertstoffabfuhr sowie die "
       "Schadstoffsammlung.",
       trust="keines", account="ohne Konto", time="sofort", keywords=["Müll", "Müllabfuhr", "Abfuhrtermine", "Müllkalender"],
       leika="99020003001000"),
    _e("wohngeld", "Wohngeld beantragen", SO, "soziales",
       "Zuschuss zur Miete oder zu den Kosten von selbst genutztem Wohneigentum online beantragen.",
       "Ob Sie Anspruch haben, hängt von Haushaltsgröße, Einkommen und Miete ab. Wohngeld wird ab dem Monat "
       "gezahlt, in dem der Antrag eingeht.",
       trust="substanziell", docs=["Mietvertrag", "Einkommensnachweise", "Kontoauszüge"], time="4–8 Wochen",
       keywords=["Mietzuschuss", "Lastenzuschuss", "Miete"], leika="99100001001000"),
    _e("auskunftssperre", "Auskunftssperre im Melderegister beantragen", W, "buergerbuero",
       "Wer bedroht wird, kann die Weitergabe seiner Anschrift sperren lassen.",
       "Eine Auskunftssperre wird eingetragen, wenn eine Gefahr für Leben, Gesundheit oder persönliche Freiheit "
       "glaubhaft gemacht wird. Sie gilt zwei Jahre und kann verlängert werden.",
       online=False, docs=["Nachweise der Gefährdung"], time="1–2 Wochen",
       keywords=["Adresse sperren", "Melderegister", "Datenschutz"], leika="99115009001000"),
]


def ensure_departments(session, jurisdiction: Jurisdiction) -> dict[str, Department]:
    """The town's departments by code, adding those the demo catalog needs (flushes)."""
    departments = {d.code: d for d in session.scalars(select(Department).where(
        Department.jurisdiction_id == jurisdiction.id))}
    for code, name in EXTRA_DEPARTMENTS:
        if code not in departments:
            departments[code] = Department(jurisdiction_id=jurisdiction.id, code=code, name=name,
                                           email=f"{code}@harsewinkel.example")
            session.add(departments[code])
    session.flush()
    return departments


def load_catalog_demo(session, jurisdiction: Jurisdiction, today: date | None = None) -> int:
    """Load the demo catalog unless the town already has entries (flushes). Returns the
    number of entries added."""
    if session.scalar(select(CatalogEntry.id).where(CatalogEntry.jurisdiction_id == jurisdiction.id).limit(1)):
        return 0
    today = today or date.today()
    departments = ensure_departments(session, jurisdiction)
    for code, (address, hours, phone, email) in CONTACTS.items():
        save_contact(departments[code], address, hours, phone, email)
    for number, row in enumerate(ENTRIES):
        data = EntryInput(**{k: v for k, v in row.items() if k != "department"}, department_code=row["department"])
        # Spread the reviews over the past year, so the staff list shows a few overdue ones.
        data.last_reviewed = today - timedelta(days=40 + 13 * number)
        data.review_due = data.last_reviewed + timedelta(days=365 if number % 8 else 300)
        save_entry(jurisdiction, data)
    return len(ENTRIES)
