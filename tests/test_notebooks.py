"""Notebooks run top to bottom with papermill, and define no logic."""

import ast
import json
from pathlib import Path

import papermill as pm
import pytest

from tests.conftest import SECRETS

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_the_five_research_notebooks_are_there():
    assert [p.stem for p in NOTEBOOKS] == ["01-quickstart", "02-segmentation", "03-themes", "04-drivers", "05-report"]


def _code_cells(path):
    return [("".join(c["source"]), c) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_defines_no_function_or_class_and_has_a_parameters_cell(path):
    cells = _code_cells(path)
    assert "parameters" in cells[0][1]["metadata"].get("tags", [])
    for source, _ in cells:
        tree = ast.parse(source)
        assert not [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Lambda))]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes_on_a_sample_slice(path, sample_slice, tmp_path):
    pm.execute_notebook(str(path), str(tmp_path / path.name), kernel_name="python3", progress_bar=False,
                        parameters={"input_path": str(sample_slice), "out_dir": str(tmp_path / "run")},
                        cwd=str(path.parent.parent))
    assert (tmp_path / "run" / "report.html").exists()
    executed = (tmp_path / path.name).read_text(encoding="utf-8")
    for secret in SECRETS.values():  # the slice carries valid phone, card and ID numbers
        assert secret not in executed, f"{secret} in the output of {path.name}"
