"""Tables in the chapters: plain HTML tables with every cell escaped, and interactive ones
(filter box, category drop-down, click-to-sort headers, state in the URL hash)."""

from __future__ import annotations

import html
import re
from typing import Iterable

import pandas as pd

NUMBER_INDEX = "number_id"  # the index name of numbers_table's frames (their rows are anchored)


def numbers_table(numbers: dict, ids: Iterable[str]) -> "pd.DataFrame":
    """A small table of registered numbers (label, value, range, unit, sources) for display
    (values typeset as the prose prints them: ``≤58.7``)."""
    from rare_earths.book.glue import typeset

    ids = list(ids)
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValueError(f"numbers_table: ids listed more than once: {repeated}")
    rows = []
    for i in ids:
        n = numbers[i]
        rows.append({"number": n.label, "value": typeset(n.display()), "range": typeset(n.display_range()), "unit": n.unit,
                     "sources": ", ".join(n.sources), "id": n.id})
    # Indexed by the ids too, so a table made from some of its columns still anchors its rows.
    return pd.DataFrame(rows, index=pd.Index([r["id"] for r in rows], name=NUMBER_INDEX))


def dataset_tables(numbers: dict) -> "pd.DataFrame":
    """The dataset's tables for the methods chapter: file, title, rows (the registry's
    ``dataset.rows.<table>`` numbers, as printed) and primary key, in schema order."""
    from rare_earths.data.schema import TABLES

    return pd.DataFrame([{"file": t.path, "table": t.title, "rows": numbers[f"dataset.rows.{name}"].display(),
                          "primary key": ", ".join(t.primary_key)} for name, t in TABLES.items()])


def summary_table(numbers: dict, ids: Iterable[str]) -> "pd.DataFrame":
    """Headline numbers for display: label, value with unit and range, the sources' short names, id."""
    from rare_earths.book.glue import typeset
    from rare_earths.data.load import load_table
    from rare_earths.format import source_label

    sources = load_table("sources").set_index("source_id", drop=False)
    rows = []
    for i in ids:
        n = numbers[i]
        rows.append({"number": n.label,
                     "value": typeset(f"{n.display()} {n.unit}" + (f" ({n.display_range()})" if n.is_ranged else "")),
                     "sources": "; ".join(source_label(sources.loc[s]) for s in n.sources), "id": n.id})
    return pd.DataFrame(rows)


#: Columns that hold one token each (an id, a value with its bound): never broken across lines.
_UNBROKEN_COLUMNS = {"id": "rr-id", "value": "rr-value", "range": "rr-value"}


def caption_html(caption: str) -> str:
    """A caption's HTML: the text escaped, and `code` spans (backticks) shown as code, not as backticks."""
    parts = re.split(r"`([^`]+)`", caption)
    return "".join(f"<code>{html.escape(p)}</code>" if i % 2 else html.escape(p) for i, p in enumerate(parts))


def table_html(frame: pd.DataFrame, caption: str | None = None) -> str:
    """A DataFrame as a plain HTML table, every cell escaped, inside a box that scrolls sideways
    when the table is wider than the page (a line above says so; ``_static/rare_earths.js``)."""
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False, name=None):
        cells = []
        for column, value in zip(frame.columns, values):
            cls = _UNBROKEN_COLUMNS.get(str(column))
            text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
            cells.append(f'<td class="{cls}">{html.escape(text)}</td>' if cls else f"<td>{html.escape(text)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    cap = f"<p class='table-caption'>{caption_html(caption)}</p>" if caption else ""
    return (f"{cap}<p class='rr-scroll-hint' aria-hidden='true'>Scroll sideways for more columns →</p>"
            f"<div class='rr-scroll' role='region' tabindex='0' aria-label='{html.escape((caption or 'table').replace('`', ''), quote=True)}'>"
            f"<table class='data-table'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def show_table(frame: pd.DataFrame, caption: str | None = None) -> None:
    """Display a DataFrame as an HTML table with every cell escaped (quotes may contain markup)."""
    from IPython.display import HTML, display

    display(HTML(_anchor_number_rows(table_html(frame, caption), frame)))


#: The anchor of a key number's row in a numbers table (what its citation's URL points to).
NUMBER_ANCHOR_PREFIX = "number-"



def number_anchor(number_id: str) -> str:
    """``number-costs.floor_multiple_of_2024_price``: the id of the number's row."""
    return NUMBER_ANCHOR_PREFIX + number_id


def _anchor_number_rows(table_html: str, frame: pd.DataFrame) -> str:
    """Give each row of a numbers table (a frame with an ``id`` column of key-number ids, or
    indexed by them as :func:`numbers_table` is) the id :func:`number_anchor`, so a citation can
    link to it; a repeated id is anchored once."""
    ids = list(frame["id"]) if "id" in frame.columns else list(frame.index) if frame.index.name == NUMBER_INDEX else []
    if not ids or not all(isinstance(v, str) and "." in v for v in ids):
        return table_html
    head, sep, body = table_html.partition("<tbody>")
    if not sep:
        return table_html
    seen: set[str] = set()
    parts = body.split("<tr>")
    for i, number_id in enumerate(ids, start=1):
        if i < len(parts) and number_id not in seen:
            seen.add(number_id)
            parts[i] = f'<tr id="{html.escape(number_anchor(number_id), quote=True)}">' + parts[i]
        elif i < len(parts):
            parts[i] = "<tr>" + parts[i]
    return head + sep + parts[0] + "".join(parts[1:])


# ---------------------------------------------------------------------------------------------
# Interactive tables (filter box, category drop-down, click-to-sort headers)
# ---------------------------------------------------------------------------------------------


_TABLE_NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

#: The table's behaviour: one inline script per table, no external JS/CSS. It reads everything
#: it needs from the table's own DOM (no data is embedded in the script), so cell text can never
#: break out of it. State can come from the URL hash ``#<name>?q=...&<filter>=...&sort=N&order=desc``
#: (N: 1-based column); the "Link to this view" anchor always holds the hash of the current view.
_TABLE_JS = r"""(function () {
  "use strict";
  var root = document.getElementById("__ROOT_ID__");
  if (!root || root.getAttribute("data-rr-ready") === "1") { return; }
  root.setAttribute("data-rr-ready", "1");
  var name = root.getAttribute("data-rr-table");
  var filterKey = root.getAttribute("data-rr-filter-key") || "";
  var table = root.querySelector("table");
  var tbody = table.tBodies[0];
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var rows = Array.prototype.slice.call(tbody.rows);
  var text = rows.map(function (tr) { return tr.textContent.toLowerCase(); });
  rows.forEach(function (tr, i) { tr.setAttribute("data-rr-row", String(i)); });
  var box = root.querySelector(".rr-table-q");
  var select = root.querySelector(".rr-table-filter");
  var status = root.querySelector(".rr-table-status");
  var link = root.querySelector(".rr-table-link");
  var reset = root.querySelector(".rr-table-reset");
  var state = {q: "", f: "", col: -1, dir: 1};

  function sortKey(tr, col) {
    var td = tr.cells[col];
    var raw = td ? td.getAttribute("data-sort") : null;
    return raw !== null ? raw : (td ? td.textContent.trim() : "");
  }
  function compare(a, b) {
    var numeric = heads[state.col].getAttribute("data-type") === "number";
    var x = sortKey(a, state.col), y = sortKey(b, state.col);
    if (x === "" || y === "") {  // empty cells last, whatever the direction
      return (x === "") - (y === "") || (+a.getAttribute("data-rr-row") - +b.getAttribute("data-rr-row"));
    }
    var c = numeric ? (parseFloat(x) - parseFloat(y)) : x.localeCompare(y, undefined, {numeric: true, sensitivity: "base"});
    return (c * state.dir) || (+a.getAttribute("data-rr-row") - +b.getAttribute("data-rr-row"));
  }
  function hash() {
    var parts = [];
    if (state.q) { parts.push("q=" + encodeURIComponent(state.q)); }
    if (state.f && filterKey) { parts.push(encodeURIComponent(filterKey) + "=" + encodeURIComponent(state.f)); }
    if (state.col >= 0) {
      parts.push("sort=" + (state.col + 1));
      if (state.dir < 0) { parts.push("order=desc"); }
    }
    return "#" + name + (parts.length ? "?" + parts.join("&") : "");
  }
  function apply() {
    var words = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    var order = rows.slice();
    if (state.col >= 0) { order.sort(compare); }
    var shown = 0;
    order.forEach(function (tr) {
      var i = +tr.getAttribute("data-rr-row");
      var ok = (!state.f || tr.getAttribute("data-rr-filter") === state.f) &&
               words.every(function (w) { return text[i].indexOf(w) !== -1; });
      if (ok) { tr.removeAttribute("hidden"); shown += 1; } else { tr.setAttribute("hidden", ""); }
      tbody.appendChild(tr);
    });
    heads.forEach(function (th, i) {
      th.setAttribute("aria-sort", i === state.col ? (state.dir > 0 ? "ascending" : "descending") : "none");
    });
    if (box && box.value !== state.q) { box.value = state.q; }
    if (select && select.value !== state.f) { select.value = state.f; }
    status.textContent = "Showing " + shown + " of " + rows.length + " rows";
    root.setAttribute("data-rr-shown", String(shown));
    link.setAttribute("href", hash());
  }
  function fromHash() {
    var h = window.location.hash.slice(1);
    var cut = h.indexOf("?");
    if ((cut < 0 ? h : h.slice(0, cut)) !== name) { return false; }
    var params = new URLSearchParams(cut < 0 ? "" : h.slice(cut + 1));
    state.q = params.get("q") || "";
    var f = filterKey ? (params.get(filterKey) || "") : "";
    var known = select ? Array.prototype.some.call(select.options, function (o) { return o.value === f; }) : false;
    state.f = known ? f : "";
    var col = parseInt(params.get("sort") || "0", 10) - 1;
    state.col = (col >= 0 && col < heads.length) ? col : -1;
    state.dir = params.get("order") === "desc" ? -1 : 1;
    apply();
    return true;
  }
  if (box) { box.addEventListener("input", function () { state.q = box.value; apply(); }); }
  if (select) { select.addEventListener("change", function () { state.f = select.value; apply(); }); }
  if (reset) { reset.addEventListener("click", function () { state = {q: "", f: "", col: -1, dir: 1}; apply(); }); }
  heads.forEach(function (th, i) {
    var button = th.querySelector("button");
    if (!button) { return; }
    button.addEventListener("click", function () {
      if (state.col === i) { state.dir = -state.dir; } else { state.col = i; state.dir = 1; }
      apply();
    });
  });
  window.addEventListener("hashchange", fromHash);
  root.querySelector(".rr-table-controls").removeAttribute("hidden");
  if (fromHash()) {
    root.scrollIntoView();
    // Charts above the table render after load and push it down: scroll again once they have.
    window.addEventListener("load", function () { window.setTimeout(function () { root.scrollIntoView(); }, 300); });
  } else { apply(); }
})();"""

_TABLE_CSS = """
__SEL__ .rr-table-caption { font-size: 0.9em; margin: 0 0 0.4em; }
__SEL__ .rr-table-controls { display: flex; flex-wrap: wrap; gap: 0.4em 1em; align-items: center; margin: 0 0 0.5em; font-size: 0.9em; }
__SEL__ .rr-table-controls[hidden] { display: none; }
__SEL__ .rr-table-controls input, __SEL__ .rr-table-controls select, __SEL__ .rr-table-controls button {
  font: inherit; padding: 0.2em 0.4em; border: 1px solid var(--pst-color-border, #b5b5b5); border-radius: 4px;
  background: var(--pst-color-background, #ffffff); color: var(--pst-color-text-base, #222222); }
__SEL__ .rr-table-controls input { min-width: 16em; }
__SEL__ .rr-table-status { color: var(--pst-color-text-muted, #555555); }
__SEL__ .rr-table-scroll { max-height: __MAXH__; overflow: auto; border: 1px solid var(--pst-color-border, #d5d5d5); }
__SEL__ table { border-collapse: collapse; width: 100%; margin: 0; font-size: 0.85em; }
__SEL__ th, __SEL__ td { text-align: left; vertical-align: top; padding: 0.3em 0.5em;
  border-bottom: 1px solid var(--pst-color-border, #e3e3e3); }
__SEL__ thead th { position: sticky; top: 0; z-index: 1; background: var(--pst-color-surface, #f3f3f3); white-space: nowrap; }
__SEL__ thead th button { font: inherit; font-weight: 600; color: inherit; background: none; border: 0; padding: 0; cursor: pointer; text-align: left; }
__SEL__ thead th button::after { content: " \\2195"; opacity: 0.45; }
__SEL__ thead th[aria-sort="ascending"] button::after { content: " \\25B2"; opacity: 1; }
__SEL__ thead th[aria-sort="descending"] button::after { content: " \\25BC"; opacity: 1; }
__SEL__ td.rr-num { text-align: right; font-variant-numeric: tabular-nums; }
__SEL__ td { white-space: nowrap; }
__SEL__ td.rr-wide { white-space: normal; min-width: 18em; overflow-wrap: anywhere; }
__SEL__ tbody tr[hidden] { display: none; }
"""


def _cell_text(value) -> str:
    """A cell's display text: '' for missing values, ISO dates, integral floats without '.0'."""
    import datetime as dt
    import math

    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def interactive_table_html(
    frame: pd.DataFrame,
    name: str,
    *,
    columns: Iterable[str] | None = None,
    filter_column: str | None = None,
    filter_values: Iterable[str] | None = None,
    filter_label: str | None = None,
    caption: str | None = None,
    links: dict | None = None,
    wide_columns: Iterable[str] | None = None,
    max_height: str = "38rem",
) -> str:
    """A self-contained HTML table: text filter, a drop-down on one column, click-to-sort headers.

    ``name`` (lower-case words joined by dashes) fixes every element id (``rr-table-<name>``, …):
    the same inputs give the same bytes, and two tables on a page need two names. ``columns``
    selects and orders the columns shown (default: all). ``filter_column`` gets a drop-down with
    ``filter_values`` (default: its distinct values in order of appearance), each with its count.
    ``links`` maps a shown column to a column holding an http(s) URL: the cell becomes a link.
    ``wide_columns`` wrap, with a minimum width (long text); numeric columns sort as numbers and align
    right. ``wide_columns`` default to the text columns with a value longer than 40 characters;
    other cells do not wrap. Every text (cells, headers, options, caption) is HTML-escaped; the inline script holds
    no data. Without JavaScript the full table shows and the controls stay hidden.

    The view can be set from the URL: ``#<name>?q=canada&<filter_column>=misdated&sort=3&order=desc``.
    """
    import html
    import math

    if not isinstance(name, str) or not _TABLE_NAME_RE.match(name):
        raise ValueError(f"interactive_table: name must be lower-case words joined by dashes, got {name!r}")
    if not isinstance(frame, pd.DataFrame):
        raise TypeError("interactive_table: frame must be a pandas DataFrame")
    shown = list(frame.columns if columns is None else columns)
    links = dict(links or {})
    for col in [*shown, *links.values(), *([filter_column] if filter_column else [])]:
        if col not in frame.columns:
            raise KeyError(f"interactive_table: no column {col!r} in the frame")
    if wide_columns is None:
        wide = {c for c in shown if frame[c].map(lambda v: len(_cell_text(v))).max() > 40}
    else:
        wide = set(wide_columns)
    e = lambda text: html.escape(str(text), quote=True)  # noqa: E731
    root_id = f"rr-table-{name}"
    numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in shown}

    head = "".join(
        f'<th scope="col" data-type="{"number" if numeric[c] else "text"}" aria-sort="none">'
        f'<button type="button" title="Sort by {e(c)}">{e(c)}</button></th>'
        for c in shown
    )
    body_rows = []
    anchored: set[str] = set()
    for _, row in frame.iterrows():
        cells = []
        for c in shown:
            value = row[c]
            label = _cell_text(value)
            attrs = []
            classes = []
            if numeric[c]:
                classes.append("rr-num")
                if label != "":
                    number = float(value)
                    attrs.append(f' data-sort="{e(repr(number) if math.isfinite(number) else "")}"')
            if c in wide:
                classes.append("rr-wide")
            content = e(label)
            if c in links:
                url = _cell_text(row[links[c]])
                if url.startswith(("https://", "http://")) and label:
                    content = f'<a href="{e(url)}">{content}</a>'
            cls = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{cls}{''.join(attrs)}>{content}</td>")
        filt = f' data-rr-filter="{e(_cell_text(row[filter_column]))}"' if filter_column else ""
        # A row with an id can be linked to (row_anchor: rr-table-claims-ledger-C07), once per id.
        anchor = ""
        if "id" in frame.columns and _cell_text(row["id"]) and _cell_text(row["id"]) not in anchored:
            anchored.add(_cell_text(row["id"]))
            anchor = f' id="{e(row_anchor(name, _cell_text(row["id"])))}"'
        body_rows.append(f"<tr{filt}{anchor}>{''.join(cells)}</tr>")

    controls = [
        f'<label>Filter <input type="search" class="rr-table-q" id="{root_id}-q" '
        f'placeholder="words in any column" aria-controls="{root_id}-table"></label>'
    ]
    if filter_column:
        values = [_cell_text(v) for v in frame[filter_column]]
        order = list(dict.fromkeys(values)) if filter_values is None else [str(v) for v in filter_values]
        counts = {v: values.count(v) for v in order}
        options = [f'<option value="">all ({len(values)})</option>']
        options += [f'<option value="{e(v)}">{e(v)} ({counts[v]})</option>' for v in order]
        controls.append(
            f'<label>{e(filter_label or filter_column)} <select class="rr-table-filter" id="{root_id}-filter" '
            f'aria-controls="{root_id}-table">{"".join(options)}</select></label>'
        )
    controls.append(f'<button type="button" class="rr-table-reset" id="{root_id}-reset">Reset</button>')
    controls.append(f'<span class="rr-table-status" id="{root_id}-status" role="status" aria-live="polite"></span>')
    controls.append(f'<a class="rr-table-link" id="{root_id}-link" href="#{name}">Link to this view</a>')

    css = _TABLE_CSS.replace("__SEL__", f"#{root_id}").replace("__MAXH__", e(max_height)).strip()
    js = _TABLE_JS.replace("__ROOT_ID__", root_id)
    cap = f'<p class="rr-table-caption" id="{root_id}-caption">{e(caption)}</p>\n' if caption else ""
    labelled = f' aria-labelledby="{root_id}-caption"' if caption else f' aria-label="{e(name)}"'
    filter_key = f' data-rr-filter-key="{e(filter_column)}"' if filter_column else ""
    return (
        f'<div class="rr-table" id="{root_id}" data-rr-table="{e(name)}"{filter_key}>\n'
        # The "Link to this view" default href (#<name>) must lead somewhere without JavaScript too.
        f'<span class="rr-table-anchor" id="{e(name)}"></span>\n'
        f"<style>\n{css}\n</style>\n"
        f"{cap}"
        f'<div class="rr-table-controls" hidden>{"".join(controls)}</div>\n'
        f'<p class="rr-scroll-hint" aria-hidden="true">Scroll sideways for more columns \u2192</p>\n'
        f'<div class="rr-table-scroll rr-scroll" role="region" tabindex="0"{labelled}>\n'
        f'<table id="{root_id}-table" class="rr-table-table">\n'
        f"<thead><tr>{head}</tr></thead>\n"
        f"<tbody>\n" + "\n".join(body_rows) + "\n</tbody>\n</table>\n</div>\n"
        f"<script>\n{js}\n</script>\n"
        "</div>"
    )


def row_anchor(name: str, row_id: str) -> str:
    """The element id of the row ``row_id`` (its ``id`` column) of the interactive table ``name``."""
    return f"rr-table-{name}-{row_id}"


def interactive_table(frame: pd.DataFrame | list[dict], name: str, **options):
    """:func:`interactive_table_html` as a notebook output (``IPython.display.HTML``; ``.data`` is the HTML).

    ``frame`` is a DataFrame or a list of row dicts. End a cell with it (or pass it to
    ``display``) to show the table once.
    """
    from IPython.display import HTML

    frame = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(list(frame))
    return HTML(interactive_table_html(frame, name, **options))
