"""README's module map ("The `vectorlab` package": one table per wing, plus the build tools) has one row for every
module in src/vectorlab and tools/, and no other."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "vectorlab"
TOOLS = ROOT / "tools"
SECTION = "## The `vectorlab` package"
# A table row whose first cell is one module name in backticks: | `vectorlab.x.y` | what it does |
ROW = re.compile(r"^\|\s*`(?P<name>[^`]+)`\s*\|(?P<text>.*)\|\s*$")


def modules_on_disk(package: Path = PACKAGE) -> set[str]:
    """Dotted names of every module of the package: ``vectorlab.a.b`` for a/b.py, ``vectorlab.a`` for a/__init__.py."""
    names = set()
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def module_map(readme: str) -> list[tuple[str, str]]:
    """``(module, description)`` of each row of the module map, in order."""
    if SECTION not in readme:
        raise AssertionError(f"README has no section {SECTION!r}")
    section = readme.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if line.startswith("|") and not re.fullmatch(r"\|[\s|:-]*\|", line) and "| module |" not in line:
            match = ROW.match(line)
            assert match, f"a row of the module map must start with one `module` name: {line!r}"
            rows.append((match["name"], match["text"].strip()))
    return rows


@pytest.fixture(scope="module")
def rows():
    return module_map((ROOT / "README.md").read_text(encoding="utf-8"))


def test_every_module_has_a_row_and_every_row_a_module(rows):
    listed = [name for name, _ in rows]
    on_disk = modules_on_disk() | modules_on_disk(TOOLS)
    assert not on_disk - set(listed), f"modules with no row in README's module map: {sorted(on_disk - set(listed))}"
    assert not set(listed) - on_disk, f"README rows naming no module in src/vectorlab: {sorted(set(listed) - on_disk)}"
    twice = sorted({name for name in listed if listed.count(name) > 1})
    assert not twice, f"modules listed twice: {twice}"


def test_every_row_says_what_the_module_does(rows):
    assert all(len(text.split()) >= 3 for _, text in rows), [name for name, text in rows if len(text.split()) < 3]
    private = [name for name, text in rows if any(part.startswith("_") for part in name.split("."))]
    assert private, "the map lists the private modules too"
    assert all(text.startswith("(private)") for name, text in rows if name in private)
    assert "vectorlab._kernels.exact" in private, "a module inside the private _kernels wing is private"


def test_the_map_has_one_table_per_wing(rows):
    """Teaching modules, the embed wing, the kernels wing, the database step and the tools: five tables, each
    holding only its own wing's modules."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split(SECTION, 1)[1].split("\n## ", 1)[0]
    tables = [[ROW.match(line)["name"] for line in block.splitlines() if ROW.match(line)]
              for block in section.split("| module | what it does |")[1:]]
    assert len(tables) == 5, f"expected 5 tables (teaching, embed, kernels, vectordb, tools), got {len(tables)}"
    teaching, embed, kernels, vectordb, tools = tables
    assert all(name.startswith("vectorlab.embed") for name in embed), embed
    assert all(name.startswith("vectorlab._kernels") for name in kernels), kernels
    assert all(name.startswith("vectorlab.vectordb") for name in vectordb), vectordb
    assert all(name.split(".")[0] == "tools" for name in tools), tools
    assert not [name for name in teaching if name.startswith(("vectorlab.embed", "vectorlab._kernels",
                                                              "vectorlab.vectordb", "tools"))], teaching


def test_the_check_itself_catches_a_missing_and_an_unknown_module(tmp_path):
    """The two helpers above find what they must: a module without a row, a row without a module."""
    package = tmp_path / "vectorlab"
    (package / "sub").mkdir(parents=True)
    for name in ("__init__.py", "a.py", "_b.py", "sub/__init__.py", "sub/c.py"):
        (package / name).write_text("")
    assert modules_on_disk(package) == {"vectorlab", "vectorlab.a", "vectorlab._b", "vectorlab.sub",
                                        "vectorlab.sub.c"}
    readme = (f"# x\n\n{SECTION}\n\n| module | what it does |\n|---|---|\n| `vectorlab.a` | does a thing |\n"
              "| `vectorlab.gone` | was removed long ago |\n\n## Development\n| `vectorlab.not_in_the_map` | x |\n")
    listed = {name for name, _ in module_map(readme)}
    assert listed == {"vectorlab.a", "vectorlab.gone"}
    assert modules_on_disk(package) - listed == {"vectorlab", "vectorlab._b", "vectorlab.sub", "vectorlab.sub.c"}
    assert listed - modules_on_disk(package) == {"vectorlab.gone"}


def _imports(module: Path) -> set[str]:
    """Modules that the file ``module`` imports (``from a.b import c`` gives ``a.b`` and ``a.b.c``)."""
    import ast

    names: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return names


def test_the_layout_keeps_its_promises():
    """The runtime package never imports the build tools; similarity stands below search, search does not
    re-export hnsw; the private kernels never reach back up into the checks; embed.client exports only
    what it defines."""
    import vectorlab.embed.client as client

    for path in PACKAGE.rglob("*.py"):
        assert not {name for name in _imports(path) if name.split(".")[0] == "tools"}, path
    assert not {n for n in _imports(PACKAGE / "similarity.py") if n.startswith("vectorlab.search")}
    assert not {n for n in _imports(PACKAGE / "search.py") if n.startswith("vectorlab.hnsw")}
    for path in (PACKAGE / "_kernels").glob("*.py"):
        assert not {n for n in _imports(path) if n.startswith(("vectorlab._validation", "vectorlab.errors"))}, path
    defined = {name for name, value in vars(client).items() if getattr(value, "__module__", None) == client.__name__}
    assert set(client.__all__) <= defined, set(client.__all__) - defined


def test_the_notebooks_old_client_names_still_work():
    """The notebooks call ``vl.client.openai_settings()`` and ``from vectorlab.client import create_client``:
    ``vectorlab.client`` is the embed wing's face under its old name, the same functions."""
    import vectorlab as vl
    from vectorlab.client import EmbeddingClient, create_client, openai_settings

    assert vl.client.openai_settings is vl.embed.openai_settings is openai_settings
    assert vl.create_client is vl.embed.create_client is create_client
    assert vl.EmbeddingClient is EmbeddingClient
