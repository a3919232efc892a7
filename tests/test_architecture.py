"""Structural rules (docs/DEVELOPING.md): the layers, counted over every import including those
inside functions; no import cycles; no environment read at import time; one migration head."""
from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from app.config import PROJECT_ROOT

PACKAGES = ("app", "geo", "media", "workers")
# Packages under app/ that are infrastructure, not features: a feature may import them; the
# plug-in points among them (the outbox, the scheduler) import no feature.
INFRASTRUCTURE = {"app", "app.config", "app.db", "app.errors", "app.extensions", "app.guards", "app.i18n",
                  "app.models", "app.urls", "app.validation", "app.forms", "app.web", "app.cli", "app.branding", "app.logs",
                  "app.outbox", "app.tasks"}
PLUG_IN_POINTS = ("app.outbox", "app.tasks")


def _modules(root: Path = PROJECT_ROOT) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


@dataclass(frozen=True)
class Import:
    importer: str
    line: int
    module: str  # the module named in the statement (relative imports resolved)
    name: str | None  # the name taken from it (``from module import name``), else None


def _imports(name: str, path: Path) -> list[Import]:
    """Every import statement of a module: at module level, in functions and classes, under
    ``if``/``try`` (``TYPE_CHECKING`` blocks too: they still tie the modules together)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [Import(name, node.lineno, alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([module] if module else []))
            found += [Import(name, node.lineno, module, alias.name) for alias in node.names]
    return found


def _target(item: Import, known: set[str]) -> str | None:
    """The module of this tree an import loads (``from pkg import module`` names the module)."""
    if item.name and f"{item.module}.{item.name}" in known:
        return f"{item.module}.{item.name}"
    module = item.module
    while module and module not in known:
        module = module.rpartition(".")[0]
    return module or None


def _package(module: str) -> str:
    """The unit that owns a module: ``app.reports`` for ``app.reports.routes``, ``geo`` for ``geo.routing``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "app" and len(parts) > 1 else parts[0]


def layer_violations(root: Path = PROJECT_ROOT) -> list[str]:
    """Every import, function-level included, that breaks a layer rule (docs/DEVELOPING.md)."""
    modules = _modules(root)
    known = set(modules)
    problems = []
    for name, path in sorted(modules.items()):
        for item in _imports(name, path):
            top = item.module.split(".")[0]
            where = f"{path.relative_to(root)}:{item.line} imports {item.module}" + (f".{item.name}" if item.name else "")
            if name.split(".")[0] in ("geo", "media") and top in ("app", "workers", "flask", "flask_sqlalchemy"):
                problems.append(f"{where}: geo/ and media/ import nothing from app/, workers/ or Flask")
            if name.split(".")[0] == "workers" and top == "app":
                problems.append(f"{where}: workers/ is transport and imports nothing from app/")
            target = _target(item, known)
            if target is None:
                continue
            if (_package(name) in PLUG_IN_POINTS and target.startswith("app")
                    and _package(target) not in INFRASTRUCTURE):
                problems.append(f"{where}: {_package(name)} is infrastructure and imports no feature package")
            if (item.name and item.name.startswith("_") and not item.name.startswith("__")
                    and _package(target) != _package(name)):
                problems.append(f"{where}: {item.name} is private to {_package(target)}")
    return problems


def import_cycles(root: Path = PROJECT_ROOT) -> list[list[str]]:
    """Cycles between modules, counting every import (a function-level import is still a dependency)."""
    modules = _modules(root)
    known = set(modules)
    graph = {name: {t for item in _imports(name, path) if (t := _target(item, known)) and t != name}
             for name, path in modules.items()}
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                dfs(target)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            dfs(name)
    return cycles


def test_every_import_keeps_the_layers():
    problems = layer_violations()
    assert problems == [], "layer rules broken:\n" + "\n".join(problems)


def test_no_import_cycles_counting_function_level_imports():
    cycles = import_cycles()
    assert cycles == [], "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


# A small tree with one wrong import per rule: path -> (source, words of the rule it breaks).
_WRONG = {
    "geo/badgeo.py": ("def f():\n    from app.db import db\n", "geo/ and media/ import nothing"),
    "media/badmedia.py": ("import flask\n", "geo/ and media/ import nothing"),
    "workers/badworker.py": ("def job():\n    from app.reports.models import Report\n", "workers/ is transport"),
    "app/outbox/badoutbox.py": ("def build():\n    from app.reports import models\n", "imports no feature package"),
    "app/tasks/badtask.py": ("from app.staff.dashboard import figures\n", "imports no feature package"),
    "app/alerts/badprivate.py": ("def f():\n    from app.reports.operations import _EMAIL_RE\n",
                                 "_EMAIL_RE is private to app.reports"),
}


def test_the_checks_catch_wrong_imports(tmp_path):
    """The rules are not vacuous: a tree with one wrong import per rule (function-level ones
    included) is reported line by line, and a cycle made only of function-level imports too."""
    for package in PACKAGES + ("app/outbox", "app/tasks", "app/alerts", "app/reports", "app/staff"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    for module in ("app/db.py", "app/reports/models.py", "app/reports/operations.py", "app/staff/dashboard.py"):
        (tmp_path / module).write_text("")
    for path, (source, _rule) in _WRONG.items():
        (tmp_path / path).write_text(source)
    (tmp_path / "app/staff/a.py").write_text("def f():\n    from app.staff import b\n")
    (tmp_path / "app/staff/b.py").write_text("def g():\n    from app.staff.a import f\n")

    problems = layer_violations(tmp_path)
    for path, (_source, rule) in _WRONG.items():
        assert any(p.startswith(path + ":") and rule in p for p in problems), (path, problems)
    assert len(problems) == len(_WRONG), problems
    assert import_cycles(tmp_path) == [["app.staff.a", "app.staff.b", "app.staff.a"]]


def test_every_feature_is_registered_through_the_one_list():
    """Each package under app/ with an ``init_app`` is in create_app's FEATURES (or is
    infrastructure that create_app sets up before them): no feature registered on the side."""
    import app as application

    features = {module.__name__ for module in application.FEATURES}
    for path in sorted((PROJECT_ROOT / "app").glob("*/__init__.py")):
        name = f"app.{path.parent.name}"
        module = importlib.import_module(name)
        if hasattr(module, "init_app") and name not in INFRASTRUCTURE:
            assert name in features, f"{name} has init_app but is not in app.FEATURES"
    for module in application.FEATURES:
        assert callable(getattr(module, "init_app", None)), module.__name__


def test_geo_and_media_import_neither_flask_nor_app():
    for package in ("geo", "media"):
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                for name in names:
                    root = name.split(".")[0]
                    assert root not in {"flask", "app", "flask_sqlalchemy"}, f"{path}: imports {name}"


_PROBE = r"""
import importlib, os, pkgutil, sys
reads = []
ROOT = os.getcwd()
OURS = tuple(os.path.join(ROOT, p) + os.sep for p in ("app", "geo", "media", "workers"))

def note(key):
    # Only reads made by our own code count; libraries may look at LANG and the like.
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith(OURS):
            reads.append(f"{key} ({os.path.relpath(frame.f_code.co_filename, ROOT)}:{frame.f_lineno})")
            return
        frame = frame.f_back

class Watching(os._Environ):
    def __getitem__(self, key):
        note(key); return super().__getitem__(key)
    def get(self, key, default=None):
        note(key); return super().get(key, default)
    def __contains__(self, key):
        note(key); return super().__contains__(key)
watched = Watching(os.environ._data, os.environ.encodekey, os.environ.decodekey,
                   os.environ.encodevalue, os.environ.decodevalue)
names = sys.argv[1:]
# Third-party libraries may read the environment when imported; import them first
# so that only reads caused by our own modules are counted.
for lib in ("flask", "sqlalchemy", "geoalchemy2", "psycopg", "redis", "rq", "PIL.Image", "shapely",
            "flask_babel", "flask_wtf", "flask_limiter", "flask_sqlalchemy", "alembic", "click",
            "xml.sax.saxutils", "gettext", "locale", "weasyprint", "segno"):
    importlib.import_module(lib)
os.environ = watched
for name in names:
    importlib.import_module(name)
print("READS:" + ",".join(sorted(set(reads))))
"""


def test_importing_the_code_reads_no_environment_and_creates_no_app():
    names = sorted(_modules())
    result = subprocess.run([sys.executable, "-c", _PROBE, *names], capture_output=True, text=True,
                            cwd=PROJECT_ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    line = [l for l in result.stdout.splitlines() if l.startswith("READS:")][-1]
    reads = [r for r in line[len("READS:"):].split(",") if r]
    assert reads == [], f"environment read at import time: {reads}"


def test_migrations_have_one_head():
    """Revision 1000 merged the feature branches: a new revision must follow the one head, or
    `alembic upgrade head` (singular, as operators type it) fails again."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).resolve().parent.parent / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
