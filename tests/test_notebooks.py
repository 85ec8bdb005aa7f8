"""Every notebook in notebooks/ runs top to bottom in a real Jupyter kernel, as a reader's
Jupyter would run it (the walkthroughs cannot rot, and their figures really appear).

nbclient starts one ipykernel per notebook, from the notebook's own folder, with the
kernel's own matplotlib backend (inline). A cell tagged ``figure`` must show an image;
and no figure anywhere may come out as text only (``<Figure size 800x450 with 1 Axes>``),
which is what a figure that cannot draw itself in Jupyter looks like.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
FIGURE_AS_TEXT = re.compile(r"<(matplotlib\.figure\.)?\w*Figure( size| at)")


def test_there_are_notebooks():
    """The walkthroughs exist."""
    assert NOTEBOOKS


def test_the_capacity_planning_walkthrough_shows_figures():
    """Its figure cells are tagged, so the kernel run below checks that they draw."""
    notebook = nbformat.read(NOTEBOOKS[0].parent / "capacity-planning.ipynb", as_version=4)
    assert sum("figure" in cell.metadata.get("tags", []) for cell in notebook.cells) >= 2


def _outputs_with_data(cell):
    return [out for out in cell.get("outputs", []) if out.output_type in ("display_data", "execute_result")]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_in_a_kernel_and_shows_its_figures(path):
    """Each code cell runs without error (the cells assert their own conclusions), and
    every figure is drawn inline as a PNG."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        raise AssertionError(f"{path.name}: a cell failed:\n{exc}") from None
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        outputs = _outputs_with_data(cell)
        for out in outputs:
            text = out.get("data", {}).get("text/plain", "")
            assert "image/png" in out.get("data", {}) or not FIGURE_AS_TEXT.search(text), \
                f"{path.name}, cell {index}: a figure came out as text only: {text!r}"
        if "figure" in cell.metadata.get("tags", []):
            assert any("image/png" in out.get("data", {}) for out in outputs), \
                f"{path.name}, cell {index} is tagged 'figure' but shows no image"
