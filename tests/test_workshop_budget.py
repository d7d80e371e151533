"""The workshop is one hour: 45 minutes of notebooks, 15 for the people in the room (issue 17).

Estimate (tools.notebook_runner.estimate_minutes, which the site index shows too): words of prose read
at 150 words a minute, plus one minute per code cell (reading it, running it, looking at its output). The
path 01-06 must fit in 45 minutes together and no notebook (07, the "next step", included) may take more
than 9, so that a 60-minute session holds 5 minutes of setup, one exercise per notebook and questions.

The rest checks what a path notebook promises a learner: code cells of at most 8 non-blank lines, without
the constructs a beginner cannot read at a glance (``einsum``, ``take_along_axis``, nested comprehensions),
at least one plotly figure committed with its static image (title, axis titles, legend title in words),
at most four "what you will learn" bullets, "Try this" with 3-5 exercises, "Further reading", a solutions
notebook beside it; and a README whose table and agenda follow the estimates and add up to 60 minutes.

The path exists in two languages (issue 18): English in notebooks/, Spanish in notebooks/es/ under the same file
names, with the README.es.md table and agenda. Every path check runs over both (``en-`` and ``es-`` in the test ids);
the Spanish checks look for the English file names in notebooks/es/ and name the ones that are missing.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tools.notebook_runner import estimate_minutes
from vectorlab.embed.hosts import GITHUB_MODELS_ENDPOINT

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
WORKSHOP = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
PATH_01_06 = [path for path in WORKSHOP if path.name[:2] <= "06"]


@dataclass(frozen=True)
class Language:
    """Where one language's path lives, its README, and the words its notebooks and README use."""

    code: str
    folder: Path
    readme: str
    learn: str
    try_this: str
    reading: str
    minutes: str
    agenda: str
    setup: str
    questions: str
    guide: str

    def path(self, name: str) -> Path:
        """The notebook ``name`` of this language's path; the test fails, naming it, when it is missing."""
        path = self.folder / name
        assert path.is_file(), f"missing {path.relative_to(ROOT).as_posix()} (the {self.code} path of notebooks/{name})"
        return path

    def workshop(self) -> list[Path]:
        return [self.path(path.name) for path in WORKSHOP]

    def path_01_06(self) -> list[Path]:
        return [self.path(path.name) for path in PATH_01_06]


LANGUAGES = {
    "en": Language("en", NOTEBOOKS, "README.md", "What you will learn", "Try this", "Further reading", "minutes",
                   "### Suggested agenda for an instructor", "setup", "question", "notebooks/INSTRUCTOR.md"),
    "es": Language("es", NOTEBOOKS / "es", "README.es.md", "Lo que vas a aprender", "Prueba esto", "Para leer más",
                   "minutos", "### Agenda sugerida para quien enseña", "preparación", "pregunta",
                   "notebooks/es/INSTRUCTOR.md"),
}
"""English and Spanish: the Spanish notebooks have the English file names under notebooks/es/."""
EACH_LANGUAGE = pytest.mark.parametrize("language", list(LANGUAGES.values()), ids=list(LANGUAGES))
EACH_NOTEBOOK = pytest.mark.parametrize(
    ("language", "name"), [(language, path.name) for language in LANGUAGES.values() for path in WORKSHOP],
    ids=[f"{code}-{path.stem}" for code in LANGUAGES for path in WORKSHOP])
EACH_NOTEBOOK_01_06 = pytest.mark.parametrize(
    ("language", "name"), [(language, path.name) for language in LANGUAGES.values() for path in PATH_01_06],
    ids=[f"{code}-{path.stem}" for code in LANGUAGES for path in PATH_01_06])
BUDGET_PATH = 45
BUDGET_NOTEBOOK = 9
MAX_CODE_LINES = 8
SESSION = 60
SETUP = 5
FORBIDDEN_CALLS = ("einsum", "take_along_axis")
PLOTLY = "application/vnd.plotly.v1+json"


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def code_sources(path: Path) -> list[tuple[int, str]]:
    return [(index, source(cell)) for index, cell in enumerate(cells(path)) if cell["cell_type"] == "code"]


def prose_words(path: Path) -> int:
    return sum(len(source(cell).split()) for cell in cells(path) if cell["cell_type"] == "markdown")


def code_cells(path: Path) -> int:
    return sum(cell["cell_type"] == "code" for cell in cells(path))


def non_blank_lines(code: str) -> int:
    return sum(bool(line.strip()) for line in code.splitlines())


def section(path: Path, heading: str) -> str:
    """The markdown under ``## heading`` (or ``**heading**``) up to the next heading."""
    text = "\n".join(source(cell) for cell in cells(path) if cell["cell_type"] == "markdown")
    match = re.search(rf"(?:^## {re.escape(heading)}|^\*\*{re.escape(heading)}\*\*)\s*\n(.*?)(?=^#|^\*\*\w|\Z)",
                      text, flags=re.M | re.S)
    assert match, f"{path.name} has no '{heading}' section"
    return match.group(1)


# -- what a beginner cannot read at a glance ----------------------------------------------------------------

COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def python_of(code: str) -> ast.Module:
    """The cell as Python: IPython's line magics and shell escapes (``%timeit``, ``!pip``) become blank."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines()]
    return ast.parse("\n".join(lines))


def hard_to_read(code: str) -> list[str]:
    """What the path keeps out of its cells: ``einsum``/``take_along_axis`` calls, and comprehensions nested
    in comprehensions or with more than one ``for`` (a double loop on one line)."""
    found = []
    for node in ast.walk(python_of(code)):
        if isinstance(node, ast.Attribute | ast.Name):
            name = node.attr if isinstance(node, ast.Attribute) else node.id
            if name in FORBIDDEN_CALLS:
                found.append(f"{name} (line {node.lineno})")
        if isinstance(node, COMPREHENSIONS):
            inner = [child for child in ast.walk(node) if child is not node and isinstance(child, COMPREHENSIONS)]
            if len(node.generators) > 1 or inner:
                found.append(f"nested comprehension (line {node.lineno})")
    return found


def test_the_estimate_counts_words_and_code_cells(tmp_path):
    """The estimate (tools.notebook_runner.estimate_minutes, which the site index shows too), on a
    notebook made up for the test: 300 words and 2 code cells = 300 / 150 + 2 = 4 minutes."""
    notebook = {"cells": [{"cell_type": "markdown", "source": ["word " * 150]},
                          {"cell_type": "code", "source": "x = 1"},
                          {"cell_type": "markdown", "source": "word " * 150},
                          {"cell_type": "code", "source": ["y = 2\n", "z = 3"]}]}
    path = tmp_path / "01_made_up.ipynb"
    path.write_text(json.dumps(notebook))
    assert prose_words(path) == 300 and code_cells(path) == 2
    assert estimate_minutes(path) == pytest.approx(4.0)


@pytest.mark.parametrize(("code", "expected"), [
    ("x = [a for a in range(3)]", []),
    ("x = {k: f(v) for k, v in d.items()}", []),
    ("x = [[a for a in row] for row in rows]", ["nested comprehension (line 1)"]),
    ("x = [a for row in rows for a in row]", ["nested comprehension (line 1)"]),
    ("x = {k: [a for a in v] for k, v in d.items()}", ["nested comprehension (line 1)"]),
    ("y = np.einsum('ij,ij->i', a, b)", ["einsum (line 1)"]),
    ("%timeit f()\ny = np.take_along_axis(a, i, axis=1)", ["take_along_axis (line 2)"]),
])
def test_the_readability_check_finds_what_it_should(code, expected):
    """The checker against hand-written cases, so that the path test below can fail."""
    assert hard_to_read(code) == expected


def test_the_line_count_skips_blank_lines():
    assert non_blank_lines("a = 1\n\n   \nb = 2\n") == 2


@EACH_LANGUAGE
def test_the_workshop_path_is_there(language):
    assert [path.stem for path in WORKSHOP] == ["01_generate", "02_similarity", "03_visualize", "04_search",
                                                "05_quantize", "06_reduce_dimensions", "07_vector_database"]
    missing = [path.name for path in WORKSHOP if not (language.folder / path.name).is_file()]
    assert not missing, f"{language.folder.relative_to(ROOT).as_posix()}/ lacks {missing}"
    extra = sorted({path.name for path in language.folder.glob("[0-9][0-9]_*.ipynb")} - {p.name for p in WORKSHOP})
    assert not extra, f"{language.folder.relative_to(ROOT).as_posix()}/ has path notebooks English lacks: {extra}"


@EACH_LANGUAGE
def test_workshop_path_fits_in_45_minutes(language):
    path_01_06 = language.path_01_06()
    minutes = {path.stem: round(estimate_minutes(path), 1) for path in path_01_06}
    total = sum(estimate_minutes(path) for path in path_01_06)
    assert total <= BUDGET_PATH, (f"{language.code}: 01-06 take {total:.1f} min by the estimate "
                                  f"(budget {BUDGET_PATH}): {minutes}")


@EACH_NOTEBOOK
def test_each_workshop_notebook_fits_its_budget(language, name):
    path = language.path(name)
    minutes = estimate_minutes(path)
    assert minutes <= BUDGET_NOTEBOOK, (
        f"{path.relative_to(ROOT)}: {prose_words(path)} words and {code_cells(path)} code cells = {minutes:.1f} min "
        f"(budget {BUDGET_NOTEBOOK}): cut prose or merge cells, or move material to notebooks/deep-dives/")


@EACH_NOTEBOOK_01_06
def test_path_code_cells_are_short(language, name):
    path = language.path(name)
    long_cells = [(index, non_blank_lines(code)) for index, code in code_sources(path)
                  if non_blank_lines(code) > MAX_CODE_LINES]
    assert not long_cells, (f"{path.relative_to(ROOT)}: code cells with more than {MAX_CODE_LINES} non-blank lines "
                            f"(cell, lines): {long_cells}")


@EACH_NOTEBOOK_01_06
def test_path_code_reads_at_a_glance(language, name):
    path = language.path(name)
    found = {index: problems for index, code in code_sources(path) if (problems := hard_to_read(code))}
    assert not found, (f"{path.relative_to(ROOT)}: write these as plain loops or numpy a learner can follow "
                       f"(cell: what): {found}")


# -- a figure where a picture beats a table ---------------------------------------------------------------

def _text(title: object) -> str:
    if isinstance(title, dict):
        return str(title.get("text") or "")
    return str(title or "")


def _words(text: str) -> bool:
    return any(character.isalpha() for character in text)


def figure_problems(figure: dict) -> list[str]:
    """What a committed plotly figure lacks: a title, a title on each axis it draws, a legend title in words."""
    layout, data = figure.get("layout", {}), figure.get("data", [])
    problems = [] if _words(_text(layout.get("title"))) else ["no title"]
    axes = {name: axis for name, axis in layout.items() if re.fullmatch(r"[xy]axis\d*", name)}
    for scene_name, scene in layout.items():
        if re.fullmatch(r"scene\d*", scene_name) and isinstance(scene, dict):
            axes.update({f"{scene_name}.{axis}": scene.get(axis, {}) for axis in ("xaxis", "yaxis", "zaxis")})
    problems += [f"{name} has no title" for name, axis in axes.items()
                 if isinstance(axis, dict) and not _words(_text(axis.get("title")))]
    if not axes:
        problems.append("no axes")
    shown = [trace for trace in data if trace.get("showlegend", True) is not False]
    if layout.get("showlegend") or len(shown) > 1:
        legend = layout.get("legend", {})
        if not _words(_text(legend.get("title"))):
            problems.append("a legend without a title in words")
    return problems


def committed_figures(path: Path) -> list[tuple[int, dict, set[str]]]:
    """(cell, plotly figure, the output's mime types) for every plotly figure in the committed outputs."""
    figures = []
    for index, cell in enumerate(cells(path)):
        for output in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            bundle = output.get("data", {})
            if PLOTLY in bundle:
                figures.append((index, bundle[PLOTLY], set(bundle)))
    return figures


def test_the_figure_check_finds_what_it_should():
    good = {"layout": {"title": {"text": "Recall"}, "xaxis": {"title": {"text": "ef"}},
                       "yaxis": {"title": {"text": "recall@10"}}, "legend": {"title": {"text": "M"}}},
            "data": [{"type": "scatter"}, {"type": "scatter"}]}
    assert figure_problems(good) == []
    untitled = {"layout": {"xaxis": {}, "yaxis": {"title": {"text": "recall"}}},
                "data": [{"type": "scatter"}, {"type": "scatter"}]}
    assert figure_problems(untitled) == ["no title", "xaxis has no title", "a legend without a title in words"]
    scene = {"layout": {"title": "PCA", "scene": {"xaxis": {"title": {"text": "PC 1"}}, "yaxis": {}, "zaxis": {}}},
             "data": [{"type": "scatter3d"}]}
    assert figure_problems(scene) == ["scene.yaxis has no title", "scene.zaxis has no title"]


@EACH_NOTEBOOK_01_06
def test_path_notebook_has_a_figure_with_its_static_image(language, name):
    """At least one plotly figure in the committed outputs, each with a PNG (or SVG) beside it for GitHub, a
    title, axis titles and, when it has a legend, a legend title in words."""
    path = language.path(name)
    where = path.relative_to(ROOT)
    figures = committed_figures(path)
    assert figures, f"{where}: no plotly figure in the committed outputs (run the notebook in place)"
    for index, figure, mime_types in figures:
        assert {"image/png", "image/svg+xml"} & mime_types, f"{where} cell {index}: figure without a static image"
        assert not figure_problems(figure), f"{where} cell {index}: {figure_problems(figure)}"


# -- the notebook's shape -----------------------------------------------------------------------------------

@EACH_NOTEBOOK
def test_each_workshop_notebook_has_the_promised_shape(language, name):
    path = language.path(name)
    learn = re.findall(r"^- ", section(path, language.learn), flags=re.M)
    assert 1 <= len(learn) <= 4, f"{path.name}: {len(learn)} '{language.learn}' bullets (at most 4)"
    exercises = re.findall(r"^\d+\. ", section(path, language.try_this), flags=re.M)
    assert 3 <= len(exercises) <= 5, f"{path.name}: {len(exercises)} exercises in '{language.try_this}' (3 to 5)"
    assert re.findall(r"^- ", section(path, language.reading), flags=re.M), f"{path.name}: no {language.reading}"


@EACH_NOTEBOOK
def test_each_workshop_notebook_has_a_solutions_notebook(language, name):
    path = language.path(name)
    solution = language.folder / "solutions" / name
    assert solution.exists(), f"missing {solution.relative_to(ROOT)}"
    assert f"solutions/{name}" in "".join(source(cell) for cell in cells(path)), (
        f"{path.relative_to(ROOT)} does not link to its solutions notebook")


def test_01_shows_the_talks_connection_beside_the_offline_one():
    """01 writes the GitHub Models connection as the talk does (the base URL of vectorlab's host record, the
    token from the environment), the offline one beside it, and one ``embeddings.create`` call after both."""
    code = "\n".join(text for _, text in code_sources(NOTEBOOKS / "01_generate.ipynb"))
    assert f'"{GITHUB_MODELS_ENDPOINT}"' in code
    assert 'api_key=os.environ["GITHUB_TOKEN"]' in code and "OpenAI(base_url=" in code
    assert "vl.openai_settings()" in code
    assert code.count("sdk.embeddings.create(") == 1


# -- the READMEs: the table, the budget sentence and a 60-minute agenda ---------------------------------------

def readme(language: Language = LANGUAGES["en"]) -> str:
    return (ROOT / language.readme).read_text(encoding="utf-8")


def readme_minutes(language: Language = LANGUAGES["en"], text: str | None = None) -> dict[str, float]:
    """The README notebook table's estimate column: {notebook stem: minutes} (README.es.md: notebooks/es/)."""
    folder = language.folder.relative_to(ROOT).as_posix()
    rows = re.findall(rf"^\|\s*\[[^\]]*\]\({re.escape(folder)}/([0-9]{{2}}_\w+)\.ipynb\)\s*\|[^|]*\|\s*([\d.]+)\s*\|",
                      readme(language) if text is None else text, flags=re.M)
    return {stem: float(minutes) for stem, minutes in rows}


def test_the_readme_table_reader_reads_each_languages_rows():
    """The reader against a hand-written table: each README's rows link their own folder only."""
    text = ("| [01 · Generar](notebooks/es/01_generate.ipynb) | texto | 8 | [soluciones](notebooks/es/solutions/x) |\n"
            "| [01 · Generate](notebooks/01_generate.ipynb) | text | 7 | [solutions](notebooks/solutions/x) |\n")
    assert readme_minutes(LANGUAGES["es"], text) == {"01_generate": 8.0}
    assert readme_minutes(LANGUAGES["en"], text) == {"01_generate": 7.0}


@EACH_LANGUAGE
def test_readme_table_shows_the_computed_estimates(language):
    shown = readme_minutes(language)
    text = readme(language)
    assert set(shown) == {path.stem for path in WORKSHOP}, f"{language.readme} notebook table rows: {sorted(shown)}"
    for path in language.workshop():
        assert shown[path.stem] == pytest.approx(round(estimate_minutes(path)), abs=0.5), (
            f"{language.readme} says {shown[path.stem]} min for {path.relative_to(ROOT)}, "
            f"the estimate is {estimate_minutes(path):.1f}")
    total = round(sum(estimate_minutes(path) for path in language.path_01_06()))
    assert re.search(rf"\b{total} {language.minutes}\b", text), (
        f"{language.readme} should give the path's total, {total} {language.minutes}")
    budget = re.search(rf"\b{BUDGET_PATH} {language.minutes}\b.*\b{BUDGET_NOTEBOOK}\b", text, flags=re.S)
    assert budget, (f"{language.readme} should state the budget: {BUDGET_PATH} {language.minutes} for 01-06, "
                    f"{BUDGET_NOTEBOOK} per notebook")


def agenda_rows(language: Language = LANGUAGES["en"]) -> list[tuple[int, str, int, int]]:
    """(start minute, block, teaching minutes, exercise minutes) of the README's agenda table."""
    match = re.search(rf"{re.escape(language.agenda)}.*?\n\n(\|.*?)\n\n", readme(language), flags=re.S)
    assert match, f"{language.readme} has no '{language.agenda}' table"
    rows = re.findall(r"^\|\s*(\d):(\d\d)\s*\|([^|]*)\|\s*(\d*)\s*\|\s*(\d*)\s*\|", match.group(1), flags=re.M)
    return [(60 * int(h) + int(m), block.strip(), int(teach or 0), int(exercise or 0)) for h, m, block, teach, exercise
            in rows]


@EACH_LANGUAGE
def test_readme_agenda_adds_up_to_one_hour(language):
    """Setup (5), each notebook 01-06 with its teaching minutes (at least its estimate, rounded) and one
    exercise, then questions: the start times follow, and the session ends at 60 minutes."""
    rows = agenda_rows(language)
    assert rows[0][1].lower().startswith(language.setup) and rows[0][2] + rows[0][3] == SETUP, rows[0]
    clock = 0
    for start, block, teaching, exercise in rows:
        assert start == clock, f"agenda row {block!r} starts at {start}, the rows before end at {clock}"
        clock += teaching + exercise
    assert clock == SESSION, f"the agenda ends at minute {clock}, not {SESSION}"
    notebooks = [row for row in rows if re.match(r"0[1-6] ", row[1])]
    path_01_06 = language.path_01_06()
    assert [row[1][:2] for row in notebooks] == [path.name[:2] for path in path_01_06], notebooks
    for (_, block, teaching, exercise), path in zip(notebooks, path_01_06, strict=True):
        assert teaching >= round(estimate_minutes(path)) and exercise >= 1, (block, teaching, exercise)
    assert sum(row[2] for row in notebooks) <= BUDGET_PATH
    assert language.questions in rows[-1][1].lower() and rows[-1][2] + rows[-1][3] >= 3, rows[-1]


@EACH_LANGUAGE
def test_readme_links_the_instructors_guide(language):
    assert f"({language.guide})" in readme(language) and (ROOT / language.guide).is_file()


def test_the_readmes_link_each_other():
    """The English README sends a Spanish reader to README.es.md at the top, and README.es.md links back."""
    assert "[Leer en español](README.es.md)" in "\n".join(readme().splitlines()[:5])
    assert "(README.md)" in "\n".join(readme(LANGUAGES["es"]).splitlines()[:5])


def test_07_writes_its_index_sql_in_the_cells():
    """07 shows the SQL a learner would copy (issue 17), run through the connection, not hidden in helpers:
    ``CREATE INDEX ... USING hnsw (embedding vector_cosine_ops) WITH (m = ..., ef_construction = ...)`` and
    ``SET hnsw.ef_search = ...``."""
    code = "\n".join(text for _, text in code_sources(NOTEBOOKS / "07_vector_database.ipynb"))
    create = re.search(r"conn\.execute\(\"\"\"\s*CREATE INDEX \w+ ON \w+\s+USING hnsw \(embedding vector_cosine_ops\)"
                       r" WITH \(m = \d+, ef_construction = \d+\)", code)
    assert create, "07 should run CREATE INDEX ... USING hnsw ... WITH (m = ..., ef_construction = ...) in a cell"
    assert re.search(r'conn\.execute\("SET hnsw\.ef_search = \d+"\)', code), "07 should run SET hnsw.ef_search"
