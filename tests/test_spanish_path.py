"""The Spanish workshop path (notebooks/es/) runs the English path's code, cell by cell (issue 18).

Each language has its own prose, data and figure titles, but one code: for every English path notebook
(01-07 and its solution) the Spanish counterpart's code cells, normalized, equal the English ones in order.
Normalizing (:func:`normalize`, with Python's own parser) turns every string literal into one placeholder
(dataset names, queries, words and figure titles are string literals: ``"words"`` and ``"sustantivos"`` are
the same code), keeps an f-string's expressions and drops its text, drops comments and reformats the
whitespace. Anything else that differs (a name, a number, an argument, a call, a cell more or less) fails,
unless it is listed in :data:`ALLOWED` with its reason. Keep that list tiny: change one side, change the other
in the same commit.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from pathlib import Path

import pytest

from tools.notebook_runner import SPANISH, counterpart

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ENGLISH_PATH = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) + sorted((NOTEBOOKS / "solutions").glob("*.ipynb"))
PLACEHOLDER = "..."

ALLOWED: dict[tuple[str, int], str] = {
    # ("04_search.ipynb", 3): "why this code cell (1-based among the code cells) may differ in Spanish",
}
"""(English notebook under notebooks/, code cell number counted from 1) -> why its Spanish cell may differ in more
than string literals and comments. Empty: the Spanish path runs exactly the English code."""


# -- normalizing one code cell ------------------------------------------------------------------------------

class _Literals(ast.NodeTransformer):
    """Every ``str``/``bytes`` constant becomes :data:`PLACEHOLDER`; an f-string becomes ``f(<its expressions>)``."""

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, str | bytes):
            return ast.copy_location(ast.Constant(PLACEHOLDER), node)
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        values = [self.visit(part.value) for part in node.values if isinstance(part, ast.FormattedValue)]
        return ast.copy_location(ast.Call(ast.Name("f", ast.Load()), values, []), node)


def _magic(line: str) -> bool:
    return line.lstrip().startswith(("%", "!"))


def normalize(code: str) -> str:
    """The cell's code as Python sees it, with string literals as :data:`PLACEHOLDER` and no comments:
    ``print("hola")  # saludo`` and ``print('hello')`` give the same text. IPython's ``%magic`` and ``!shell``
    lines are kept as written (whitespace collapsed, comments dropped); a cell that does not parse is compared
    token by token, its strings and comments dropped the same way."""
    lines = code.splitlines()
    magics = [" ".join(line.split("#")[0].split()) for line in lines if _magic(line)]
    python = "\n".join("pass" if _magic(line) else line for line in lines)
    try:
        tree = _Literals().visit(ast.parse(python))
    except SyntaxError:
        return " ".join(_tokens(python) + magics)
    return "\n".join([ast.unparse(ast.fix_missing_locations(tree)), *magics])


def _tokens(code: str) -> list[str]:
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    try:
        return [PLACEHOLDER if token.type == tokenize.STRING else token.string
                for token in tokenize.generate_tokens(io.StringIO(code).readline) if token.type not in skip]
    except (tokenize.TokenError, SyntaxError):
        return code.split()


# -- comparing two notebooks --------------------------------------------------------------------------------

def code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            for cell in cells if cell["cell_type"] == "code"]


def code_differences(english: Path, spanish: Path, allowed: dict[int, str] | None = None) -> list[str]:
    """What differs between the two notebooks' code cells once normalized, one line per cell, naming the cell
    (counted from 1 among the code cells) and both sides; ``allowed`` maps cell numbers to the reason they may
    differ. Empty when the code is the same."""
    allowed = allowed or {}
    left, right = code_cells(english), code_cells(spanish)
    problems = []
    if len(left) != len(right):
        problems.append(f"{len(left)} code cells in {english.name} (English), {len(right)} in the Spanish one")
    for number, (en, es) in enumerate(zip(left, right, strict=False), start=1):
        if number in allowed or normalize(en) == normalize(es):
            continue
        problems.append(f"code cell {number} differs beyond string literals and comments:\n"
                        f"    English: {normalize(en)!r}\n    Spanish: {normalize(es)!r}")
    return problems


def allowed_for(relative: str) -> dict[int, str]:
    return {number: reason for (name, number), reason in ALLOWED.items() if name == relative}


def relative(path: Path) -> str:
    return path.relative_to(NOTEBOOKS).as_posix()


# -- the normalization on hand-written cases ----------------------------------------------------------------

@pytest.mark.parametrize(("english", "spanish"), [
    ('words = vl.load_words("words")', "words = vl.load_words('sustantivos')  # 1.000 sustantivos"),
    ('vl.load_dataset("movie_titles", client=client)', 'vl.load_dataset("titulos_peliculas", client=client)'),
    ('texts = ["big dog", "perro", "xqzvbnm"]', 'texts = ["perro grande",\n         "dog", "xqzvbnm"]'),
    ('print(f"{len(vectors)} vectors of {dims:,} numbers")', 'print(f"{len(vectors)} vectores de {dims:,} números")'),
    ('fig.update_layout(title="Recall", xaxis_title="ef")', 'fig.update_layout(title="Recuperado", xaxis_title="ef")'),
    ('x=np.array([1,2])\n\n\ny = x @ x', '# un vector\nx = np.array([1, 2])\ny = x @ x'),
    ('def f(a):\n    """Docstring."""\n    return a', 'def f(a):\n    """Documentación."""\n    return a'),
    ('%timeit f(x)  # fast\n!pip list', '%timeit  f(x)  # rápido\n!pip list'),
    ('sql = """SELECT 1"""', "sql = 'SELECT 1 -- uno'"),
])
def test_literals_comments_and_whitespace_do_not_count(english, spanish):
    assert normalize(english) == normalize(spanish)


@pytest.mark.parametrize(("english", "spanish"), [
    ("hits = search(q, k=5)", "hits = search(q, k=6)"),
    ('vl.load_words("words")', 'vl.load_movies("peliculas")'),
    ("words = vl.load_words()", "palabras = vl.load_words()"),
    ("x = a + b", "x = a - b"),
    ('print(f"{score:.2f}")', 'print(f"{score * 100:.2f}")'),
    ("f(a, b)", "f(a, b, c=1)"),
    ("%timeit f(x)", "%timeit g(x)"),
])
def test_any_other_change_counts(english, spanish):
    assert normalize(english) != normalize(spanish)


# -- the Spanish path mirrors the English one ----------------------------------------------------------------

def test_every_english_path_notebook_has_a_spanish_counterpart():
    """notebooks/es/ holds 01-07 and notebooks/es/solutions/ their solutions, under the English file names."""
    missing = [counterpart(relative(path)).as_posix() for path in ENGLISH_PATH
               if not (NOTEBOOKS / counterpart(relative(path))).is_file()]
    assert not missing, f"the Spanish path lacks {len(missing)} notebooks (under notebooks/): {missing}"


def test_every_spanish_notebook_has_an_english_one():
    folder = NOTEBOOKS / SPANISH
    spanish = sorted(folder.glob("*.ipynb")) + sorted((folder / "solutions").glob("*.ipynb"))
    orphans = [relative(path) for path in spanish if not (NOTEBOOKS / counterpart(relative(path))).is_file()]
    assert not orphans, f"Spanish notebooks with no English notebook of the same name: {orphans}"


@pytest.mark.parametrize("english", ENGLISH_PATH, ids=[relative(path) for path in ENGLISH_PATH])
def test_spanish_code_cells_equal_the_english_ones(english):
    spanish = NOTEBOOKS / counterpart(relative(english))
    assert spanish.is_file(), f"{relative(spanish)} is missing (the Spanish path of {relative(english)})"
    problems = code_differences(english, spanish, allowed_for(relative(english)))
    assert not problems, (f"{relative(spanish)} vs {relative(english)}: change one side, change the other in the "
                          "same commit (or list the cell, with its reason, in ALLOWED):\n" + "\n".join(problems))


def test_the_allow_list_is_small_and_each_entry_is_used_and_explained():
    assert len(ALLOWED) <= 5, "ALLOWED is for the unavoidable: make the code the same instead"
    for (name, number), reason in ALLOWED.items():
        english = NOTEBOOKS / name
        assert english in ENGLISH_PATH, f"ALLOWED names {name}, not an English path notebook"
        assert len(reason.split()) >= 4, f"ALLOWED[{name}, {number}] needs its reason in words"
        spanish = NOTEBOOKS / counterpart(name)
        if spanish.is_file():  # an entry that no longer hides a difference goes
            assert code_differences(english, spanish, {n: r for n, r in allowed_for(name).items() if n != number}), (
                f"ALLOWED[{name}, {number}] allows nothing: the cells are the same now, remove the entry")


# -- the comparison fails when one side changes -------------------------------------------------------------

def _translated(code: str) -> str:
    """The cell as a translator may leave it: every string literal and comment rewritten, lines spaced anew."""
    out = []
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.STRING and "f" not in token.string.split("'")[0].split('"')[0].lower():
            out.append((tokenize.STRING, repr(f"texto en español {len(out)}")))
        elif token.type == tokenize.COMMENT:
            out.append((tokenize.COMMENT, "# comentario en español"))
        else:
            out.append((token.type, token.string))
    return tokenize.untokenize(out)


def _write_pair(english: Path, folder: Path) -> tuple[Path, Path]:
    """A copy of ``english`` and a Spanish counterpart for it in ``folder``: the real one from notebooks/es/
    when it exists, else the English cells with every string literal and comment rewritten."""
    left = folder / english.name
    left.write_text(english.read_text(encoding="utf-8"), encoding="utf-8")
    right = folder / SPANISH / english.name
    right.parent.mkdir(parents=True, exist_ok=True)
    real = NOTEBOOKS / counterpart(relative(english))
    if real.is_file():
        right.write_text(real.read_text(encoding="utf-8"), encoding="utf-8")
    else:
        notebook = json.loads(english.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if cell["cell_type"] == "code" and not any(_magic(line) for line in source.splitlines()):
                cell["source"] = _translated(source)
        right.write_text(json.dumps(notebook), encoding="utf-8")
    return left, right


def _edit_code_cell(path: Path, number: int, edit) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    source = code[number - 1]["source"]
    code[number - 1]["source"] = edit("".join(source) if isinstance(source, list) else source)
    path.write_text(json.dumps(notebook), encoding="utf-8")


def _change_a_number_or_a_name(code: str) -> str:
    """One code change a translation must not make: the first number literal + 1, else the first name renamed."""
    changed, count = re.subn(r"(?<![\w.\"'])(\d+)(?![\w.\"'])", lambda m: str(int(m.group(1)) + 1), code, count=1)
    return changed if count and normalize(changed) != normalize(code) else code + "\n_changed = 1"


@pytest.mark.parametrize("english", ENGLISH_PATH, ids=[relative(path) for path in ENGLISH_PATH])
def test_the_comparison_fails_when_one_side_changes(english, tmp_path):
    """On a copy of each pair (the real Spanish notebook once it exists, else a stand-in whose literals and
    comments are all rewritten): equal as they are; then a number changed in one code cell of the Spanish copy,
    or of the English copy, or a code cell added, each fails, naming the cell."""
    left, right = _write_pair(english, tmp_path)
    allowed = allowed_for(relative(english))
    assert code_differences(left, right, allowed) == [], "the pair must be equal before one side changes"
    number = next(n for n in range(len(code_cells(left)), 0, -1) if n not in allowed)

    _edit_code_cell(right, number, _change_a_number_or_a_name)
    problems = code_differences(left, right, allowed)
    assert problems and f"code cell {number} differs" in problems[0], problems
    _write_pair(english, tmp_path)

    _edit_code_cell(left, number, _change_a_number_or_a_name)
    assert any(f"code cell {number} differs" in problem for problem in code_differences(left, right, allowed))
    _write_pair(english, tmp_path)

    notebook = json.loads(right.read_text(encoding="utf-8"))
    notebook["cells"].append({"cell_type": "code", "source": "print(1)", "metadata": {}, "outputs": [],
                              "execution_count": None})
    right.write_text(json.dumps(notebook), encoding="utf-8")
    assert "code cells in" in code_differences(left, right, allowed)[0]


# -- the Spanish documents' links ---------------------------------------------------------------------------

def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def broken_links(document: Path) -> list[str]:
    """The relative links of a Markdown file whose file (or #heading) does not exist."""
    text = document.read_text(encoding="utf-8")
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto: ...
        path, _, anchor = target.partition("#")
        file = (document.parent / path).resolve() if path else document
        if not file.exists():
            broken.append(target)
        elif anchor and file.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", file.read_text(encoding="utf-8"), flags=re.M)
            if anchor not in {_slug(heading) for heading in headings}:
                broken.append(target)
    return broken


def test_the_link_check_finds_a_missing_file_and_a_missing_heading(tmp_path):
    (tmp_path / "a.md").write_text("# Title\n\n## Mis datos\n", encoding="utf-8")
    document = tmp_path / "b.md"
    document.write_text("[ok](a.md) [ok](a.md#mis-datos) [no](a.md#missing) [no](c.ipynb) [web](https://x.org)",
                        encoding="utf-8")
    assert broken_links(document) == ["a.md#missing", "c.ipynb"]


@pytest.mark.parametrize("document", ["README.es.md", "notebooks/es/INSTRUCTOR.md", "README.md",
                                      "notebooks/INSTRUCTOR.md"])
def test_the_readmes_and_guides_links_resolve(document):
    """Every relative link (file, and #heading in a Markdown file) of both READMEs and both instructor's guides.
    README.es.md's table links every Spanish notebook and solution, so it names them until they exist."""
    broken = broken_links(ROOT / document)
    assert not broken, f"{document} links to what does not exist: {broken}"
