"""Write a notebook from a compact list of cells, and refresh every notebook's navigation line.

    python tools/notebook.py --navigation     # rewrite the first cell's "previous | index | next" links

Notebook sources stay plain JSON in git (no outputs); this script only spares us hand-editing JSON.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAV_MARK = "<!-- navigation -->"


def write(path: Path, cells: list[tuple[str, str]]) -> None:
    """cells: ("md", text) or ("code", source)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for kind, source in cells:
        source = source.strip("\n")
        nb.cells.append(nbformat.v4.new_markdown_cell(source) if kind == "md" else nbformat.v4.new_code_cell(source))
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"c{index:02d}"
    nbformat.write(nb, path)


def navigation() -> None:
    paths = sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    for index, path in enumerate(paths):
        nb = nbformat.read(path, as_version=4)
        links = []
        if index > 0:
            links.append(f"← [{paths[index - 1].stem}]({paths[index - 1].name})")
        links.append("[index](00-start-here.ipynb)")
        if index + 1 < len(paths):
            links.append(f"[{paths[index + 1].stem}]({paths[index + 1].name}) →")
        line = f"{NAV_MARK}\n" + " | ".join(links)
        first = nb.cells[0]
        if first.cell_type == "markdown" and first.source.startswith(NAV_MARK):
            first.source = line
        else:
            cell = nbformat.v4.new_markdown_cell(line)
            cell["id"] = "nav"
            nb.cells.insert(0, cell)
        nbformat.write(nb, path)


if __name__ == "__main__":
    if "--navigation" in sys.argv:
        navigation()
