"""The systemd units in deploy/systemd: they parse without a warning, and their hardening
keeps systemd's own exposure score low (issue 22, point 1)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import ROOT

UNITS = ("maengelmelder-web.service", "maengelmelder-worker@.service", "maengelmelder-scheduler.service")


@pytest.fixture
def installed_units(tmp_path):
    """The units as they would be installed, with the paths of this checkout (the binaries
    they start must exist for `systemd-analyze verify`)."""
    venv_bin = str(Path(sys.executable).parent)
    for name in UNITS:
        text = (ROOT / "deploy/systemd" / name).read_text(encoding="utf-8")
        text = text.replace("/srv/maengelmelder/.venv/bin", venv_bin).replace("/srv/maengelmelder", str(ROOT))
        target = name.replace("@.service", "@1.service")  # an instance of the template
        (tmp_path / target).write_text(text, encoding="utf-8")
    return sorted(tmp_path.glob("*.service"))


def test_units_parse_cleanly_and_are_hardened(installed_units):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing (make test installs systemd)"
    verify = subprocess.run([analyze, "verify", "--man=no", *map(str, installed_units)],
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0 and verify.stderr.strip() == "", verify.stderr
    for unit in installed_units:
        # Exposure 0 (locked down) .. 10 (unprotected); fails above 2.5.
        security = subprocess.run([analyze, "security", "--offline=yes", "--threshold=25", str(unit)],
                                  capture_output=True, text=True, timeout=120)
        assert security.returncode == 0, security.stdout[-2000:]
        assert "Overall exposure level" in security.stdout
    web = (ROOT / "deploy/systemd/maengelmelder-web.service").read_text()
    assert "Restart=on-failure" in web and "PROXY_FIX_X_FOR=1" in web
    for name in UNITS[1:]:
        assert "Restart=always" in (ROOT / "deploy/systemd" / name).read_text()
