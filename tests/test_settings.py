"""The README's settings table and app/config.py's SETTINGS describe the same settings."""
from __future__ import annotations

import re

from app.config import PROJECT_ROOT, SETTINGS, load_config

# Read by the demo commands only (`flask demo-accounts`, `flask open311 create-demo-key`), not by the app.
DEMO_ONLY = {"DEMO_PASSWORD", "OPEN311_DEMO_KEY"}


def _readme_settings() -> set[str]:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme[readme.index("## Configuration"):]
    section = section[:section.index("\n## ", 1)]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell))
    return names


def test_readme_table_lists_exactly_the_settings():
    documented = _readme_settings()
    assert sorted(set(SETTINGS) - documented) == [], "settings missing from the README table"
    assert sorted(documented - set(SETTINGS) - DEMO_ONLY) == [], "README names settings the app does not read"


def test_every_setting_is_read_from_the_environment(monkeypatch):
    """One settings module: each setting comes from the environment, converted by its type."""
    for name, (default, convert) in SETTINGS.items():
        if isinstance(default, bool):
            monkeypatch.setenv(name, "true")
        elif isinstance(default, (int, float)):
            monkeypatch.setenv(name, "7")
        else:
            monkeypatch.setenv(name, "wert-aus-der-umgebung")
    config = load_config()
    for name, (default, convert) in SETTINGS.items():
        expected = True if isinstance(default, bool) else (convert("7") if isinstance(default, (int, float))
                                                           else "wert-aus-der-umgebung")
        assert config[name] == expected, name
