"""Sphinx extension: the ``{release-changes}`` directive, the body of the book's Changes page.

It lists every release (``releases/<version>.notes.yml``), newest first, and for each the key
numbers that moved since the release before (old, new, why), compared from the committed
snapshots ``releases/<version>.numbers.json`` by :func:`rare_earths.releases.release_changes`,
and the numbers added or removed, counted by domain. A moved number without a why fails the
build (:class:`rare_earths.releases.ReleaseError`, reported as an error on the page). The page
depends on those files (``env.note_dependency``), so editing one re-reads it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

__version__ = "1.0"


def _para(*parts: Any) -> nodes.paragraph:
    para = nodes.paragraph()
    for part in parts:
        para += part if isinstance(part, nodes.Node) else nodes.Text(str(part))
    return para


def _table(head: list[str], rows: list[list[Any]], widths: list[int]) -> nodes.table:
    table = nodes.table(classes=["rr-changes-table"])
    group = nodes.tgroup(cols=len(head))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)

    def row(cells: list[Any], header: bool = False) -> nodes.row:
        out = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += _para(cell)
            out += entry
        return out

    thead = nodes.thead()
    thead += row(head, True)
    group += thead
    body = nodes.tbody()
    for cells in rows:
        body += row(cells)
    group += body
    return table


def _by_domain(ids: list[str]) -> str:
    counts = Counter(i.split(".", 1)[0] for i in ids)
    return ", ".join(f"{domain}.* ({n})" for domain, n in sorted(counts.items()))


class ReleaseChanges(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        from rare_earths.releases import ReleaseError, release_changes, releases_dir

        folder = releases_dir()
        for path in sorted(folder.glob("*")):
            self.env.note_dependency(str(path))
        try:
            releases = release_changes(folder)
        except ReleaseError as err:
            raise self.error(str(err)) from None
        out: list[nodes.Node] = []
        for rel in releases:
            section = nodes.section(ids=[f"release-{rel.version.replace('.', '-')}"])
            section += nodes.title(text=f"Version {rel.version} ({rel.date})")
            section += _para(rel.summary)
            if rel.previous is None:
                section += _para(f"First release: {rel.count} key numbers.")
            else:
                section += _para(f"Since {rel.previous}: {len(rel.moved)} key number(s) moved, {len(rel.added)} added, "
                                 f"{len(rel.removed)} removed ({rel.count} in all).")
                if rel.moved:
                    rows = [[nodes.literal(text=m.id), m.label, m.old, m.new, m.why] for m in rel.moved]
                    section += _table(["id", "number", f"in {rel.previous}", f"in {rel.version}", "why"], rows,
                                      [18, 26, 12, 12, 32])
                if rel.added:
                    section += _para(f"Added: {_by_domain(rel.added)}.")
                if rel.removed:
                    section += _para("Removed: ", ", ".join(rel.removed), ".")
            out.append(section)
        return out


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("release-changes", ReleaseChanges)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
