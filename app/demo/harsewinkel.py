"""Harsewinkel as data: boundary, Ortsteile, departments, categories, rules.

The polygons are approximations drawn for this project (not surveyed data): the
town boundary around the real extent, split so that each Ortsteil contains its
village centre. Pure Shapely, no database.
"""
from __future__ import annotations

from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

JURISDICTION = {"slug": "harsewinkel.de", "name": "Stadt Harsewinkel", "reference_prefix": "HW",
                "contact_email": "maengelmelder@harsewinkel.example"}

CENTRES = {
    "harsewinkel": Point(8.229, 51.962),
    "greffen": Point(8.168, 51.983),
    "marienfeld": Point(8.284, 51.937),
}

_BOUNDARY = Polygon([
    (8.105, 51.985), (8.130, 52.015), (8.175, 52.025), (8.225, 52.010), (8.270, 51.995),
    (8.320, 51.975), (8.355, 51.945), (8.345, 51.910), (8.300, 51.895), (8.255, 51.905),
    (8.215, 51.925), (8.170, 51.940), (8.125, 51.955), (8.105, 51.985),
])
# Greffen: everything west of this meridian.
_GREFFEN_HALF = Polygon([(7.9, 51.8), (8.198, 51.8), (8.198, 52.1), (7.9, 52.1)])
# Marienfeld: south-east of the line (8.22, 51.90)–(8.30, 52.00), extended far enough.
_MARIENFELD_HALF = Polygon([(8.14, 51.80), (8.38, 52.10), (8.6, 52.10), (8.6, 51.80)])


def _multi(geom: BaseGeometry) -> MultiPolygon:
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])


def areas() -> list[dict]:
    """Boundary and the three Ortsteile, which tile the boundary without overlap."""
    greffen = _BOUNDARY.intersection(_GREFFEN_HALF)
    marienfeld = _BOUNDARY.intersection(_MARIENFELD_HALF).difference(greffen)
    harsewinkel = _BOUNDARY.difference(greffen).difference(marienfeld)
    return [
        {"code": "stadtgebiet", "name": "Harsewinkel (Stadtgebiet)", "kind": "boundary", "geom": _multi(_BOUNDARY)},
        {"code": "ortsteil-harsewinkel", "name": "Harsewinkel", "kind": "ortsteil", "geom": _multi(harsewinkel)},
        {"code": "ortsteil-greffen", "name": "Greffen", "kind": "ortsteil", "geom": _multi(greffen)},
        {"code": "ortsteil-marienfeld", "name": "Marienfeld", "kind": "ortsteil", "geom": _multi(marienfeld)},
    ]


DEPARTMENTS = [
    ("tiefbau", "Tiefbau und Straßen"),
    ("stadtwerke", "Stadtwerke – Straßenbeleuchtung"),
    ("abfall", "Abfallwirtschaft und Stadtreinigung"),
    ("ordnungsamt", "Ordnungsamt"),
    ("gruen", "Grünflächen"),
    ("bauhof-marienfeld", "Bauhof Marienfeld"),
    ("buergerbuero", "Zentrale Anliegenstelle"),
]

# code, German name, English name, group, icon, help text, publish at once, department
CATEGORIES = [
    ("schlagloch", "Schlagloch / Straßenschaden", "Pothole / road damage", "Straßen und Wege", "🕳️",
     "Löcher, Risse oder Absackungen in Fahrbahn und Gehweg.", False, "tiefbau"),
    ("verkehrszeichen", "Verkehrszeichen beschädigt", "Damaged traffic sign", "Straßen und Wege", "⚠️",
     "Umgefahrene, verdrehte oder unlesbare Schilder.", False, "tiefbau"),
    ("gully", "Gully / Straßenablauf verstopft", "Blocked drain", "Straßen und Wege", "🌊",
     "Verstopfte oder klappernde Abläufe, stehendes Wasser.", True, "tiefbau"),
    ("radweg", "Radweg beschädigt", "Damaged cycle path", "Straßen und Wege", "🚲",
     "Schäden, Wurzelaufbrüche oder Hindernisse auf Radwegen.", False, "tiefbau"),
    ("strassenlaterne", "Straßenlaterne defekt", "Street light out", "Beleuchtung", "💡",
     "Ausgefallene, flackernde oder tagsüber brennende Laternen. Bitte die Mastnummer angeben.", True, "stadtwerke"),
    ("wilder-muell", "Wilder Müll", "Illegal dumping", "Sauberkeit", "🗑️",
     "Illegal abgelagerter Müll, Sperrmüll oder überfüllte Papierkörbe.", False, "abfall"),
    ("graffiti", "Graffiti", "Graffiti", "Sauberkeit", "🎨",
     "Schmierereien an öffentlichen Gebäuden und Anlagen.", False, "ordnungsamt"),
    ("gruenflaeche", "Grünfläche / Baum", "Green space / tree", "Grün und Spiel", "🌳",
     "Ungepflegte Grünflächen, umgestürzte Bäume, herabhängende Äste.", False, "gruen"),
    ("spielplatz", "Spielplatz", "Playground", "Grün und Spiel", "🛝",
     "Beschädigte Spielgeräte, Verschmutzung oder Gefahren auf Spielplätzen.", False, "gruen"),
    ("sonstiges", "Sonstiges", "Other", "Sonstiges", "❓",
     "Alles, was in keine andere Kategorie passt.", False, "buergerbuero"),
]

# English help texts and group names of the categories (the English pages show them).
CATEGORY_TEXTS_EN = {
    "schlagloch": "Holes, cracks or subsidence in roads and pavements.",
    "verkehrszeichen": "Signs knocked over, twisted or unreadable.",
    "gully": "Blocked or rattling drains, standing water.",
    "radweg": "Damage, root heave or obstacles on cycle paths.",
    "strassenlaterne": "Street lights that are out, flickering or on during the day. Please give the number on the post.",
    "wilder-muell": "Illegally dumped rubbish, bulky waste or overflowing litter bins.",
    "graffiti": "Graffiti on public buildings and facilities.",
    "gruenflaeche": "Neglected green spaces, fallen trees, hanging branches.",
    "spielplatz": "Damaged play equipment, litter or hazards on playgrounds.",
    "sonstiges": "Anything that fits no other category.",
}
GROUPS_EN = {"Straßen und Wege": "Roads and paths", "Beleuchtung": "Street lighting", "Sauberkeit": "Cleanliness",
             "Grün und Spiel": "Parks and playgrounds", "Sonstiges": "Other"}

# Ortsteil-specific rules: (area code, category code, department code).
ORTSTEIL_RULES = [
    ("ortsteil-marienfeld", "gruenflaeche", "bauhof-marienfeld"),
    ("ortsteil-marienfeld", "spielplatz", "bauhof-marienfeld"),
]
FALLBACK_DEPARTMENT = "buergerbuero"
