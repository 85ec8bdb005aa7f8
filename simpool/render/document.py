"""A report as a few kinds of blocks, written out as Markdown and as self-contained HTML
from the same blocks (so the two never disagree, and no Markdown parser is needed).

Blocks hold plain text; each writer escapes it for its format. In HTML, figures are
embedded as PNG data URIs and the style sheet is inline: the file needs nothing else.
In Markdown, a figure links to its PNG beside the report (``timeseries.png``), as the
command writes them into the same folder.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .figures import STYLE as FIGURE_STYLE


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Items:
    """A list of ``(mark, text, sub-items)``: a finding, its severity, the what-if under it."""

    items: tuple[tuple[str, str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    right: tuple[int, ...] = ()
    """Columns aligned right (numbers)."""


@dataclass(frozen=True)
class Image:
    name: str
    """The PNG's file name beside the report, e.g. ``timeseries.png``."""
    caption: str
    png: bytes


@dataclass(frozen=True)
class Code:
    text: str
    language: str = ""


Block = Heading | Paragraph | Items | Table | Image | Code


@dataclass(frozen=True)
class Document:
    title: str
    blocks: tuple[Block, ...]


# ---------------------------------------------------------------------------- Markdown


def _md(text: str) -> str:
    """Escape what Markdown would read as markup: emphasis, code, HTML, a heading mark."""
    text = re.sub(r"([\\`*\[\]])", r"\\\1", text)
    text = re.sub(r"<(?=[A-Za-z/!?])", r"\\<", text)  # a tag or an autolink; "p99<50ms" stays as written
    return re.sub(r"^(\s*)([#>+-]|\d+\.)(\s)", r"\1\\\2\3", text)


def _md_cell(text: str) -> str:
    return _md(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(document: Document) -> str:
    out = [f"# {_md(document.title)}", ""]
    for block in document.blocks:
        if isinstance(block, Heading):
            out += [f"{'#' * block.level} {_md(block.text)}", ""]
        elif isinstance(block, Paragraph):
            out += [_md(block.text), ""]
        elif isinstance(block, Items):
            for mark, text, subs in block.items:
                out.append(f"- {mark} {_md(text)}")
                out += [f"  - {_md(sub)}" for sub in subs]
            out.append("")
        elif isinstance(block, Table):
            out.append("| " + " | ".join(_md_cell(h) for h in block.header) + " |")
            out.append("|" + "|".join("---:" if i in block.right else "---" for i in range(len(block.header))) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
            out.append("")
        elif isinstance(block, Image):
            out += [f"![{_md(block.caption)}]({block.name})", "", f"*{_md(block.caption)}*", ""]
        elif isinstance(block, Code):
            fence = "~~~" if "```" in block.text else "```"
            out += [f"{fence}{block.language}", block.text.rstrip("\n"), fence, ""]
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------- HTML

PNG_DPI, CSS_DPI = FIGURE_STYLE["savefig.dpi"], 96
"""Figures are saved at 150 dpi; shown at their size in inches (1 CSS inch = 96 px), they
read as in a document, and stay sharp on high-density screens."""


def _display_size(png: bytes) -> str:
    """``width``/``height`` attributes from the PNG's header (IHDR), or nothing."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 24:
        return ""
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    return f' width="{round(width * CSS_DPI / PNG_DPI)}" height="{round(height * CSS_DPI / PNG_DPI)}"'


CSS = """
body { font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2d3d;
       max-width: 1000px; margin: 2em auto; padding: 0 1.5em; }
h1 { font-size: 1.7em; margin-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #d5d8dc; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .6em 0 1em; font-size: .93em; }
th, td { border: 1px solid #d5d8dc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f4f6f7; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
ul.items { list-style: none; padding-left: 0; }
ul.items > li { margin: .5em 0; padding-left: 1.6em; text-indent: -1.6em; }
ul.items ul { margin: .2em 0; padding-left: 1.6em; text-indent: 0; color: #444; }
.mark { display: inline-block; width: 1.6em; text-indent: 0; font-weight: bold; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: .9em; }
pre { background: #f4f6f7; padding: .8em 1em; overflow-x: auto; font-size: .88em; }
"""
MARK_COLORS = {"✗": "#c0392b", "!": "#b9770e", "·": "#2874a6", "✓": "#1e8449"}


def to_html(document: Document) -> str:
    esc = html.escape
    body = [f"<h1>{esc(document.title)}</h1>"]
    for block in document.blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{esc(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            body.append(f"<p>{esc(block.text)}</p>")
        elif isinstance(block, Items):
            body.append('<ul class="items">')
            for mark, text, subs in block.items:
                color = MARK_COLORS.get(mark, "inherit")
                sub = "".join(f"<li>{esc(s)}</li>" for s in subs)
                body.append(f'<li><span class="mark" style="color:{color}">{esc(mark)}</span>{esc(text)}'
                            + (f"<ul>{sub}</ul>" if subs else "") + "</li>")
            body.append("</ul>")
        elif isinstance(block, Table):
            def cells(row: Sequence[str], tag: str, right: tuple[int, ...] = block.right) -> str:
                return "".join(f'<{tag}{" class=num" if i in right else ""}>{esc(c)}</{tag}>'
                               for i, c in enumerate(row))
            rows = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in block.rows)
            body.append(f"<table><thead><tr>{cells(block.header, 'th')}</tr></thead><tbody>{rows}</tbody></table>")
        elif isinstance(block, Image):
            data = base64.b64encode(block.png).decode("ascii")
            body.append(f'<figure><img src="data:image/png;base64,{data}"{_display_size(block.png)} '
                        f'alt="{esc(block.caption)}"><figcaption>{esc(block.caption)}</figcaption></figure>')
        elif isinstance(block, Code):
            body.append(f"<pre><code>{esc(block.text.rstrip())}</code></pre>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{esc(document.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")
