"""The notebook runner: which notebooks it finds and in what order, the metadata it saves, a quiet kernel."""

from __future__ import annotations

import nbformat
import pytest
from site_fixtures import STALE_KERNELSPEC, write_notebook

from tools import notebook_runner
from tools.notebook_runner import (
    OFFLINE_ENV,
    STATIC_RENDERER,
    counterpart,
    estimate_minutes,
    execute_notebook,
    kernelspec_metadata,
    notebook_language,
    notebook_paths,
    notebook_section,
)


def test_notebook_paths_lists_workshop_then_solutions_then_deep_dives_then_the_spanish_path(tmp_path):
    for name in ["02_b.ipynb", "01_a.ipynb", "solutions/02_b.ipynb", "solutions/01_a.ipynb",
                 "deep-dives/search_at_scale.ipynb", "deep-dives/clip.ipynb", "notes.ipynb",
                 "solutions/.ipynb_checkpoints/01_a-checkpoint.ipynb",
                 "es/02_b.ipynb", "es/01_a.ipynb", "es/notas.ipynb", "es/solutions/01_a.ipynb",
                 "es/.ipynb_checkpoints/01_a-checkpoint.ipynb"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    found = [path.relative_to(tmp_path).as_posix() for path in notebook_paths(tmp_path)]
    assert found == ["01_a.ipynb", "02_b.ipynb", "solutions/01_a.ipynb", "solutions/02_b.ipynb",
                     "deep-dives/clip.ipynb", "deep-dives/search_at_scale.ipynb",
                     "es/01_a.ipynb", "es/02_b.ipynb", "es/solutions/01_a.ipynb"]
    sections = ["workshop", "workshop", "solutions", "solutions", "deep dives", "deep dives",
                "taller", "taller", "soluciones"]
    assert [notebook_section(tmp_path / name) for name in found] == sections
    assert [notebook_section(tmp_path / name, tmp_path) for name in found] == sections
    assert [notebook_language(tmp_path / name, tmp_path) for name in found] == ["en"] * 6 + ["es"] * 3
    assert [notebook_language(tmp_path / name) for name in found] == ["en"] * 6 + ["es"] * 3


def test_counterpart_maps_each_path_notebook_to_the_other_language():
    assert counterpart("01_a.ipynb").as_posix() == "es/01_a.ipynb"
    assert counterpart("solutions/01_a.ipynb").as_posix() == "es/solutions/01_a.ipynb"
    assert counterpart("es/01_a.ipynb").as_posix() == "01_a.ipynb"
    assert counterpart("es/solutions/01_a.ipynb").as_posix() == "solutions/01_a.ipynb"
    assert counterpart(counterpart("deep-dives/x.ipynb")).as_posix() == "deep-dives/x.ipynb"


def test_notebook_paths_needs_the_workshop_notebooks(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "01_a.ipynb").write_text("{}")
    with pytest.raises(FileNotFoundError, match=r"01_\*\.ipynb"):
        notebook_paths(tmp_path)


def test_offline_default_is_the_offline_model():
    assert OFFLINE_ENV["API_HOST"] == "use" and OFFLINE_ENV["HF_HUB_OFFLINE"] == "1"
    assert STATIC_RENDERER == "plotly_mimetype+png"


def test_static_image_env_needs_a_browser(monkeypatch, tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("")
    monkeypatch.setenv("BROWSER_PATH", str(fake))
    assert notebook_runner.static_image_env() == {"PLOTLY_RENDERER": STATIC_RENDERER, "BROWSER_PATH": str(fake)}
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "missing"))
    monkeypatch.setattr(notebook_runner.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install chromium"):
        notebook_runner.static_image_env()


def test_executed_notebook_carries_this_kernels_spec_and_the_kernel_stays_quiet(tmp_path, capfd):
    """Saved with the kernelspec JupyterLab/VS Code will find (so opening it changes nothing), and
    no ipykernel warning about plain-text TCP on the terminal."""
    from jupyter_client.kernelspec import KernelSpecManager

    source = write_notebook(tmp_path / "01_quiet.ipynb", "Quiet", "print(6 * 7)")
    before = source.read_bytes()
    executed = tmp_path / "out" / "01_quiet.ipynb"
    execute_notebook(source, env={**OFFLINE_ENV, "API_HOST": "cache"}, output=executed)
    assert source.read_bytes() == before  # write=False leaves the source alone

    notebook = nbformat.read(executed, as_version=4)
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert notebook.metadata.kernelspec == {"display_name": spec.display_name, "language": spec.language,
                                            "name": "python3"} == kernelspec_metadata()
    assert notebook.metadata.kernelspec != STALE_KERNELSPEC
    assert notebook.cells[1].outputs[0]["text"] == "42\n"
    # The kernel reported its language; the patch version (which JupyterLab compares) is not saved.
    assert notebook.metadata.language_info["name"] == "python"
    assert notebook.metadata.language_info["file_extension"] == ".py"
    assert "version" not in notebook.metadata.language_info
    captured = capfd.readouterr()
    assert "without encryption" not in captured.err + captured.out
    assert not list(tmp_path.glob("kernel-*")), "the kernel left socket files next to the notebook"


def test_executed_notebook_saved_in_place_has_no_python_version(tmp_path):
    """write=True: a notebook committed with "version": "3.11.7" loses that key and keeps the rest."""
    source = write_notebook(tmp_path / "01_version.ipynb", "Version", "1 + 1")
    notebook = nbformat.read(source, as_version=4)
    notebook.metadata["language_info"] = {"name": "python", "version": "3.11.7", "mimetype": "text/x-python"}
    nbformat.write(notebook, source)
    execute_notebook(source, env={**OFFLINE_ENV, "API_HOST": "cache"}, write=True)
    saved = nbformat.read(source, as_version=4).metadata.language_info
    assert "version" not in saved and saved["name"] == "python" and saved["mimetype"] == "text/x-python"


def test_estimate_minutes_is_words_over_150_plus_one_per_code_cell(tmp_path):
    """Hand-computed: 225 words of Markdown and 2 code cells = 225 / 150 + 2 = 3.5 minutes; the words in
    code cells and outputs don't count, and a list source counts like a string."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("word " * 150),
                      nbformat.v4.new_code_cell("x = 1  # many words here"),
                      nbformat.v4.new_markdown_cell("word " * 75), nbformat.v4.new_code_cell("y = 2"),
                      nbformat.v4.new_raw_cell("raw words are not read")]
    as_json = nbformat.writes(notebook)
    path = tmp_path / "01_made_up.ipynb"
    path.write_text(as_json, encoding="utf-8")
    listed = {"cells": [{"cell_type": "markdown", "source": ["word " * 75 + "\n", "word " * 75]},
                        {"cell_type": "markdown", "source": "word " * 75}, {"cell_type": "code", "source": ["a"]},
                        {"cell_type": "code", "source": []}]}
    assert estimate_minutes(path) == pytest.approx(225 / 150 + 2)
    assert estimate_minutes(str(path)) == estimate_minutes(nbformat.reads(as_json, as_version=4))
    assert estimate_minutes(listed) == pytest.approx(225 / 150 + 2)
    assert estimate_minutes({"cells": []}) == 0
    with pytest.raises(ValueError, match="not a notebook"):
        estimate_minutes({"nbformat": 4})
