"""Structural rules: no import cycles, no environment read at import time, and the
edges of geo/ and media/ (no Flask, no app imports)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from app.config import PROJECT_ROOT

PACKAGES = ("app", "geo", "media", "workers")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _module_level_imports(path: Path, known: set[str]) -> set[str]:
    """Imports executed when the module is imported (not those inside functions)."""
    tree = ast.parse(path.read_text())
    imported: set[str] = set()

    def visit(nodes):
        for node in nodes:
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module)
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, (ast.If, ast.Try)):
                if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                    continue
                visit(node.body)
                visit(getattr(node, "orelse", []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(tree.body)
    return {name for name in imported if name in known}


def test_no_import_cycles_at_module_level():
    modules = _modules()
    known = set(modules)
    graph = {name: _module_level_imports(path, known) - {name} for name, path in modules.items()}
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
    assert cycles == [], "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


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
            "xml.sax.saxutils", "gettext", "locale"):
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
