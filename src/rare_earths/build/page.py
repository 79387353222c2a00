"""A standalone HTML page of an executed chapter notebook (the page ``rare-earths run`` writes).

Small and fast on purpose: the notebook is read as plain JSON and rendered with the standard
library and markdown-it-py only (no nbconvert, Jinja or Pygments); a chapter renders in
milliseconds, and importing this module (mostly markdown-it-py) takes about 40 ms.

The page shows what the book shows: Markdown cells rendered (CommonMark plus tables and
strikethrough; raw HTML in Markdown is escaped); code cells tagged ``remove-cell`` dropped,
``remove-input`` showing only their outputs, ``remove-output`` only their source; the source of
``hide-input``, ``parameters`` and ``injected-parameters`` cells folded in a ``<details>``
(``hide-output``: the outputs folded); ``full-width`` cells wider than the text column;
cells with ``mystnb.figure`` metadata as numbered ``<figure id="fig-...">`` with their caption.
Glue outputs (``application/papermill.record/*``) are data for the MyST roles, not content, and
are skipped. Outputs of type ``text/html`` and ``image/svg+xml`` come from our own code and are
inserted verbatim; all other text is escaped. The same notebook always gives the same bytes.

MyST roles in Markdown (``{glue:md}``, ``{numref}``, ...) are not understood here: replace them
first (``rare_earths.build.run.resolve_myst_roles``).
"""

from __future__ import annotations

import functools
import json
import os
import re
from html import escape
from pathlib import Path
from typing import Callable

from markdown_it import MarkdownIt


#: The first of these that an output has is shown.
OUTPUT_MIME_PRIORITY = ("text/html", "image/svg+xml", "image/png", "image/jpeg", "text/markdown", "text/plain")

_ANSI_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")

STYLE = """\
body{margin:0;background:#fff;color:#1f2328;font:16px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:50rem;margin:0 auto;padding:2rem 1.25rem 1rem}
h1,h2,h3,h4{line-height:1.25;margin:2rem 0 .75rem}
h1{font-size:2rem;margin-top:.5rem}
h2{font-size:1.45rem;padding-bottom:.3rem;border-bottom:1px solid #d8dee4}
a{color:#0b5cad}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.875em}
:not(pre)>code{background:#eff1f3;padding:.1em .3em;border-radius:4px}
pre{background:#f6f8fa;border:1px solid #e1e4e8;border-radius:6px;padding:.75rem 1rem;overflow-x:auto;line-height:1.45}
pre code{font-size:inherit}
pre.stderr{background:#fff8e5;border-color:#eed9a0}
pre.error{background:#fdeeee;border-color:#f1b8b8}
blockquote{margin:1rem 0;padding:0 1rem;color:#4b535c;border-left:.25rem solid #d0d7de}
details.cell-input{margin:1rem 0}
details>summary{cursor:pointer;color:#4b535c;font-size:.9rem}
details>pre{margin-top:.5rem}
.output{margin:1rem 0;overflow-x:auto}
.output img{max-width:100%;height:auto}
figure{margin:1.75rem 0}
figcaption{margin:.5rem 0;font-size:.95rem;color:#3d444d}
figcaption .figure-number{font-weight:600;color:#1f2328}
:where(table){border-collapse:collapse;margin:1rem 0;font-size:.875rem}
:where(th,td){border:1px solid #d0d7de;padding:.35rem .6rem;text-align:left;vertical-align:top}
:where(thead th){background:#f6f8fa}
table.data-table,table.data-dictionary{width:100%}
.full-width{--wide:min(80rem,calc(100vw - 2.5rem));width:var(--wide);margin-left:calc((100% - var(--wide))/2)}
footer{max-width:50rem;margin:0 auto;padding:1rem 1.25rem 2rem;color:#6a737d;font-size:.85rem;border-top:1px solid #e1e4e8}
"""


def read_notebook(path: str | os.PathLike) -> dict:
    """The notebook as plain JSON (nbformat 4); no validation, which costs more than the render."""
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def joined(value: str | list[str] | None) -> str:
    """nbformat's multiline strings may be stored as a list of lines."""
    if value is None:
        return ""
    return "".join(value) if isinstance(value, list) else value


def cell_tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", ()))


def is_glue_output(output: dict) -> bool:
    """A value recorded with ``myst_nb.glue(..., display=False)`` for the MyST roles (not shown).

    ``glue`` names the value in the output's ``scrapbook`` metadata and, when it is not to be
    displayed, gives every mimetype a prefix (``mime_prefix``)."""
    scrap = (output.get("metadata") or {}).get("scrapbook") or {}
    return bool(scrap.get("name")) and bool(scrap.get("mime_prefix"))


def _figure_metadata(cell: dict) -> dict | None:
    fig = cell.get("metadata", {}).get("mystnb", {}).get("figure")
    return fig if isinstance(fig, dict) and fig.get("name") else None


def numbered_figures(nb: dict) -> dict[str, tuple[int, str]]:
    """``{figure name: (number, caption)}``, numbered 1, 2, ... in page order (removed cells skipped)."""
    figures: dict[str, tuple[int, str]] = {}
    for cell in nb.get("cells", ()):
        if cell.get("cell_type") != "code" or "remove-cell" in cell_tags(cell):
            continue
        fig = _figure_metadata(cell)
        if fig and fig["name"] not in figures:
            figures[fig["name"]] = (len(figures) + 1, str(fig.get("caption", "")))
    return figures


@functools.cache
def markdown_parser() -> MarkdownIt:
    # html=False: raw HTML in Markdown is shown as text, not inserted into the page.
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def render_markdown(text: str) -> str:
    return markdown_parser().render(text)


def _inline_text(token) -> str:
    parts = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts).strip()


def _markdown_cell(source: str) -> tuple[str, str | None]:
    """Rendered HTML and the text of the cell's first H1 (None if it has none)."""
    md = markdown_parser()
    tokens = md.parse(source, {})
    title = None
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1" and i + 1 < len(tokens):
            title = _inline_text(tokens[i + 1]) or None
            break
    return md.renderer.render(tokens, md.options, {}), title


def _pre(text: str, css_class: str = "") -> str:
    attr = f' class="{css_class}"' if css_class else ""
    return f"<pre{attr}>{escape(text, quote=False)}</pre>"


def _rich_output(data: dict) -> str:
    for mime in OUTPUT_MIME_PRIORITY:
        if mime not in data:
            continue
        value = joined(data[mime])
        if mime in ("text/html", "image/svg+xml"):
            return value  # produced by the book's own code
        if mime in ("image/png", "image/jpeg"):
            payload = "".join(value.split())
            return f'<img src="data:{mime};base64,{escape(payload)}" alt="">'
        if mime == "text/markdown":
            return render_markdown(value)
        return _pre(value)
    return ""  # no mimetype a page can show


def render_outputs(outputs: list[dict]) -> list[str]:
    """HTML of each shown output; consecutive stream outputs of one name are merged."""
    parts: list[str] = []
    stream_name, stream_text = None, []

    def flush_stream():
        if stream_name is not None:
            css = "stream stderr" if stream_name == "stderr" else "stream"
            parts.append(_pre(_ANSI_RE.sub("", "".join(stream_text)), css))

    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            name = output.get("name", "stdout")
            if name != stream_name:
                flush_stream()
                stream_name, stream_text = name, []
            stream_text.append(joined(output.get("text")))
            continue
        flush_stream()
        stream_name, stream_text = None, []
        if kind in ("display_data", "execute_result"):
            if is_glue_output(output):
                continue
            html = _rich_output(output.get("data") or {})
            if html:
                parts.append(html)
        elif kind == "error":
            header = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
            traceback = _ANSI_RE.sub("", "\n".join(output.get("traceback") or ()))
            parts.append(
                f'<pre class="error"><strong>{escape(header, quote=False)}</strong>\n'
                f"{escape(traceback, quote=False)}</pre>"
            )
    flush_stream()
    return parts


def _input_summary(tags: set[str]) -> str | None:
    """Summary line of a folded source, or None to show the source open."""
    if "injected-parameters" in tags:
        return "Parameters of this run"
    if "parameters" in tags:
        return "Parameters (defaults)"
    if "hide-input" in tags:
        return "Code"
    return None


def _code_cell(cell: dict, figures: dict[str, tuple[int, str]]) -> str:
    tags = cell_tags(cell)
    parts: list[str] = []
    source = joined(cell.get("source"))
    if "remove-input" not in tags and source.strip():
        code = f"<pre><code>{escape(source, quote=False)}</code></pre>"
        summary = _input_summary(tags)
        if summary:
            parts.append(f'<details class="cell-input"><summary>{summary}</summary>{code}</details>')
        else:
            parts.append(code)
    outputs = [] if "remove-output" in tags else render_outputs(cell.get("outputs") or [])
    body = "".join(f'<div class="output">{html}</div>\n' for html in outputs)
    fig = _figure_metadata(cell)
    if fig:
        number, caption = figures[fig["name"]]
        figcaption = (
            f'<figcaption><span class="figure-number">Figure {number}.</span> {escape(caption, quote=False)}</figcaption>'
        )
        before = fig.get("caption_before", False)
        parts.append(
            f'<figure id="{escape(fig["name"])}">\n'
            + (figcaption + "\n" if before else "")
            + body
            + ("" if before else figcaption + "\n")
            + "</figure>"
        )
    elif body and "hide-output" in tags:
        parts.append(f'<details class="cell-output"><summary>Output</summary>\n{body}</details>')
    elif body:
        parts.append(body.rstrip("\n"))
    html = "\n".join(parts)
    if html and "full-width" in tags:  # as in the book: wide tables may use more than the text column
        return f'<div class="full-width">\n{html}\n</div>'
    return html


def render_body(nb: dict) -> tuple[str, str | None]:
    """The page's content (HTML for inside ``<main>``) and its title: the text of the first H1."""
    figures = numbered_figures(nb)
    parts: list[str] = []
    title = None
    for cell in nb.get("cells", ()):
        kind = cell.get("cell_type")
        if "remove-cell" in cell_tags(cell):
            continue
        if kind == "markdown":
            html, heading = _markdown_cell(joined(cell.get("source")))
            title = title or heading
        elif kind == "code":
            html = _code_cell(cell, figures)
        else:
            continue  # raw cells are for other output formats
        if html.strip():
            parts.append(html.rstrip("\n"))
    return "\n".join(parts) + "\n", title


def page_document(body: str, title: str, head: str = "", source_name: str = "") -> str:
    """The whole HTML document around ``body``; ``head`` is extra markup for ``<head>`` (trusted)."""
    footer = (
        f"<footer>Generated by <code>rare-earths run</code> from <code>{escape(source_name, quote=False)}</code>.</footer>\n"
        if source_name
        else ""
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title, quote=False)}</title>\n"
        f"<style>\n{STYLE}</style>\n"
        + (head + "\n" if head else "")
        + "</head>\n"
        "<body>\n"
        f"<main>\n{body}</main>\n"
        f"{footer}"
        "</body>\n"
        "</html>\n"
    )


def notebook_page(nb: dict, source_name: str, head_for_body: Callable[[str], str] | None = None,
                  after_title: str = "") -> str:
    """The notebook as one HTML document; ``head_for_body(body)`` returns extra ``<head>`` markup,
    ``after_title`` (trusted HTML) goes right after the first heading."""
    body, title = render_body(nb)
    end = body.find("</h1>")
    if after_title and end >= 0:
        body = body[:end + 5] + "\n" + after_title + body[end + 5:]
    head = head_for_body(body) if head_for_body else ""
    return page_document(body, title or Path(source_name).stem, head=head, source_name=source_name)
