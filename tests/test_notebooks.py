"""Every notebook in notebooks/ runs top to bottom (the walkthroughs cannot rot).

Cells run in-process, in order, in one namespace, from the notebook's own folder, so
no Jupyter kernel is needed; nbformat checks that each file is a valid notebook.
"""

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    """The walkthroughs exist."""
    assert NOTEBOOKS


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, monkeypatch):
    """Each code cell runs without error (the cells assert their own conclusions)."""
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    monkeypatch.chdir(path.parent)
    namespace: dict = {"__name__": "__notebook__"}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        try:
            exec(compile(cell.source, f"{path.name}[cell {index}]", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"{path.name}, cell {index} failed: {exc!r}") from exc
    import matplotlib.pyplot as plt

    plt.close("all")
