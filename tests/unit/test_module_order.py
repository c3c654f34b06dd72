"""Modules in one direction: read every import of portal/ (ast, function-level imports too) and
fail on an import that points back up the order below. A new top-level module must be placed."""
from __future__ import annotations

import ast
import shutil
from pathlib import Path

import portal

#: Lowest first. A module may import its own package and anything in a lower layer; the modules
#: of the first layer (the foundations) and of the last (the application) may also import one another. The agenda and the client synthesis
#: (portfolio) read what the others write; the application (create_app, the CLI, the table list)
#: wires everything.
LAYERS: list[set[str]] = [
    {"extensions", "config", "clock", "security", "formatting", "validators", "storage", "numbering", "parsing",
     "access_log"},
    {"journal"},
    {"messaging"},
    {"auth"},
    {"catalog"},
    {"documents"},
    {"quotes"},
    {"subscription"},
    {"signature"},
    {"dossiers"},
    {"portfolio"},
    {"backoffice", "admin"},
    {"__init__", "models", "cli", "home"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
SHARED = {0, len(LAYERS) - 1}


def top_level(parts: list[str]) -> str:
    """portal.quotes.service → "quotes"; portal (the package itself) → "__init__"."""
    return parts[1] if len(parts) > 1 else "__init__"


def imported(path: Path, root: Path) -> list[tuple[int, list[str]]]:
    """(line, dotted parts) of every portal module `path` imports."""
    relative = path.relative_to(root.parent).with_suffix("").parts
    package = list(relative[:-1])  # a relative import starts from the module's package
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = base + (node.module.split(".") if node.module else [])
            if node.module:
                found.append((node.lineno, module))
            else:
                found += [(node.lineno, module + [alias.name]) for alias in node.names]
    return [(line, parts) for line, parts in found if parts and parts[0] == root.name]


def backwards_imports(root: Path) -> list[str]:
    """"file:line: a imports b" for every import against LAYERS, and every unplaced module."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        source = top_level([root.name, *path.relative_to(root).with_suffix("").parts])
        if source not in RANK:
            problems.append(f"{path.relative_to(root.parent)}: module « {source} » is in no layer")
            continue
        for line, parts in imported(path, root):
            target = top_level(parts)
            if target == source:
                continue
            if target not in RANK:
                problems.append(f"{path.relative_to(root.parent)}:{line}: imports « {target} », in no layer")
            elif RANK[target] > RANK[source] or (RANK[target] == RANK[source] and RANK[source] not in SHARED):
                problems.append(f"{path.relative_to(root.parent)}:{line}: {source} imports {target}")
    return problems


def test_portal_imports_go_one_way():
    assert backwards_imports(Path(portal.__file__).parent) == []


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_check_catches_a_backwards_import_in_a_small_tree(tmp_path):
    root = tmp_path / "portal"
    write(root, {
        "__init__.py": "from .quotes import views\n",
        "clock.py": "",
        "formatting.py": "from .clock import now\n",
        "journal/__init__.py": "",
        "journal/service.py": "from ..formatting import day\n",
        "quotes/__init__.py": "",
        "quotes/service.py": "from ..journal.service import record\nfrom . import views\n",
        "quotes/views.py": "import portal.clock\n",
    })
    assert backwards_imports(root) == []
    write(root, {"journal/service.py": "from ..formatting import day\n\n\ndef late():\n    from ..quotes import service\n",
                 "clock.py": "from portal.quotes.service import x\n"})
    assert backwards_imports(root) == ["portal/clock.py:1: clock imports quotes",
                                       "portal/journal/service.py:5: journal imports quotes"]


def test_the_check_catches_a_backwards_import_added_to_the_real_code(tmp_path):
    root = tmp_path / "portal"
    shutil.copytree(Path(portal.__file__).parent, root, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    service = root / "quotes" / "service.py"
    service.write_text(service.read_text(encoding="utf-8") + "\nfrom ..portfolio import agenda  # noqa\n",
                       encoding="utf-8")
    line = service.read_text(encoding="utf-8").count("\n")
    (root / "newmodule.py").write_text("", encoding="utf-8")
    assert backwards_imports(root) == [f"portal/newmodule.py: module « newmodule » is in no layer",
                                       f"portal/quotes/service.py:{line}: quotes imports portfolio"]
