"""Figures that stand alone: the exported SVG/PNG draws its title, a subtitle, the source line,
the data date, the licence and the book's URL and version, at a named size.

The chart itself is the book's (:meth:`Figure.spec`); :func:`export_spec` puts it in a Vega-Lite
``vconcat`` whose title and subtitle are the figure's title and caption and whose second view is
a text mark, the footer. vl-convert renders it (pinned in ``requirements/constraints.txt``) with
Liberation Sans, which vl-convert bundles (:data:`EXPORT_FONT`), so a PNG looks the same on any
machine and needs no font from the network; an SVG keeps its text live, with the same family
first and the house fallbacks after it.

Sizes (:data:`SIZES`): ``slide`` 1920x1080 px (16:9), ``memo`` 1950 px wide at 300 ppi (a 6.5 in
memo column), ``square`` 1080x1080 px. The chart is padded (never stretched) to the size; an SVG
gets the same aspect ratio. Without a size the image is the chart's own size at ``scale``.

:func:`write_export` writes the image with its ``.csv`` (the plotted data under a header naming
units, sources, the data date, licence and version) and ``.citation.txt``, and refuses to
replace a file it did not write.
"""

from __future__ import annotations

import copy
import os
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rare_earths

#: Bundled with vl-convert (1.9.0.post1 embeds Liberation Sans regular and bold): PNGs need no
#: system font. The house stack follows for SVGs opened elsewhere.
EXPORT_FONT = '"Liberation Sans", Arial, Helvetica, sans-serif'
LICENCE = "CC BY 4.0"
FOOTER_FONT_SIZE = 11
FOOTER_LINE_HEIGHT = 15
#: Average advance of a Liberation Sans character at 1 px font size (for wrapping the footer).
_CHAR_WIDTH_EM = 0.52


@dataclass(frozen=True)
class Size:
    name: str
    width: int  # pixels of the PNG
    height: int | None  # None: the chart's own aspect ratio
    ppi: int = 72
    description: str = ""


SIZES: dict[str, Size] = {
    "slide": Size("slide", 1920, 1080, 144, "16:9 slide, 1920×1080 px"),
    "memo": Size("memo", 1950, None, 300, "memo column, 6.5 in at 300 dpi (1950 px wide)"),
    "square": Size("square", 1080, 1080, 144, "square, 1080×1080 px"),
}
FORMATS = ("svg", "png")
_LEGEND_CHANNELS = ("color", "fill", "stroke", "shape", "size", "opacity", "fillOpacity", "strokeOpacity",
                    "strokeDash", "strokeWidth")


class ExportError(ValueError):
    """A bad export request (size, scale, path); the message is one line."""


def export_lines(fig) -> dict[str, Any]:
    """The words an exported figure draws: ``title``, ``subtitle`` (list of sentences) and ``footer``
    (source line, data date and licence, book and URL, parameters)."""
    from rare_earths.data.load import data_checked_to
    from rare_earths.format import source_label

    title = fig.short_title
    rest = fig.caption.strip()[len(title):].lstrip(" .:") if fig.caption.strip().startswith(title) else fig.caption.strip()
    # The caption's source sentence is the footer's job: keep the finding and the definitions.
    subtitle = [s for s in re.split(r"(?<=[.;])\s+", rest) if s and not s.lower().startswith(("source", "sources"))]
    producers = "; ".join(dict.fromkeys(source_label(r) for r in fig._source_rows))
    footer = [f"Source: {producers}.",
              f"Data checked to {data_checked_to().isoformat()}. Licence: {LICENCE} (curated data; quoted sources keep their own terms)."]
    if fig.parameters:
        footer.append("Parameters (non-default): " + ", ".join(f"{k}={v}" for k, v in sorted(fig.parameters.items())) + ".")
    footer.append(f"{rare_earths.BOOK_TITLE}, version {rare_earths.__version__}, figure {fig.id}: {fig.url()}")
    return {"title": title, "subtitle": subtitle, "footer": footer}


def _wrap(lines: list[str], width_px: float, font_px: float) -> list[str]:
    chars = max(40, int(width_px / (font_px * _CHAR_WIDTH_EM)))
    out: list[str] = []
    for line in lines:
        out += textwrap.wrap(line, chars, break_on_hyphens=False, break_long_words=True) or [""]
    return out


def export_spec(fig, width_px: float | None = None, padding: dict | None = None, height: float | None = None,
                left_px: float | None = None) -> dict[str, Any]:
    """The figure's Vega-Lite spec with its title, subtitle and footer drawn in.

    ``width_px`` wraps the text to that width (default: the chart's own width, measured);
    ``padding`` pads the whole image; ``height`` sets the height of a single-view chart; ``left_px``
    is how far the chart's axis labels reach left of its plot (default: measured)."""
    spec = fig.spec()
    outer_keys = ("$schema", "config", "datasets", "background", "padding", "params", "autosize")
    outer = {k: spec.pop(k) for k in outer_keys if k in spec}
    description = spec.pop("description", fig.alt_text.strip())
    if height is not None and ("mark" in spec or "layer" in spec) and isinstance(spec.get("height", 0), (int, float)):
        spec["height"] = height
    lines = export_lines(fig)
    if width_px is None or left_px is None:
        width_px, _, left_px = _measure(fig)
    config = copy.deepcopy(outer.pop("config", {}))
    config["font"] = EXPORT_FONT
    for part in ("axis", "legend", "header", "title", "text"):
        block = config.setdefault(part, {})
        for key in ("labelFont", "titleFont", "font", "subtitleFont"):
            if key in block:
                block[key] = EXPORT_FONT
    title_size = config.get("title", {}).get("subtitleFontSize", 13)
    footer = _wrap(lines["footer"], width_px, FOOTER_FONT_SIZE)
    footer_view = {
        "data": {"values": [{"line": text, "row": i} for i, text in enumerate(footer)]},
        "mark": {"type": "text", "align": "left", "baseline": "top", "fontSize": FOOTER_FONT_SIZE,
                 "color": "#333333", "font": EXPORT_FONT},
        "encoding": {"text": {"field": "line", "type": "nominal"},
                     "y": {"field": "row", "type": "ordinal", "axis": None},
                     "x": {"value": -left_px}},
        "height": {"step": FOOTER_LINE_HEIGHT},
        "width": 10,
        "view": {"stroke": None},
    }
    out: dict[str, Any] = {
        **{k: v for k, v in outer.items()},
        "config": config,
        "description": description,
        "title": {"text": lines["title"], "subtitle": _wrap([" ".join(lines["subtitle"])], width_px, title_size),
                  "anchor": "start", "font": EXPORT_FONT, "subtitleFont": EXPORT_FONT},
        "vconcat": [spec, footer_view],
        # Legends stay with the chart (a shared one would go under the footer).
        "resolve": {"legend": {c: "independent" for c in _LEGEND_CHANNELS}},
        "spacing": 14,
        "background": "white",
    }
    if padding is not None:
        out["padding"] = padding
    return out


_SVG_SIZE = re.compile(r'<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"')


def _svg_size(svg: str) -> tuple[float, float]:
    match = _SVG_SIZE.search(svg)
    if not match:  # pragma: no cover - vl-convert always writes both
        raise ExportError("vl-convert returned an SVG without width and height")
    return float(match.group(1)), float(match.group(2))


def _render_svg(spec: dict, fig) -> str:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(spec, vl_version=fig._vl_version())


_ROOT_TRANSLATE = re.compile(r'<g[^>]*transform="translate\(([-\d.]+),([-\d.]+)\)"')


def _measure(fig) -> tuple[float, float, float]:
    """Width and height (px) of the chart alone, and how far its axes and labels reach left of
    its plot area (the footer starts there, under the title, not under the plot)."""
    spec = fig.spec()
    svg = _render_svg(spec, fig)
    width, height = _svg_size(svg)
    match = _ROOT_TRANSLATE.search(svg)
    left = float(match.group(1)) - _base_padding(spec) if match else 0.0
    return width, height, max(0.0, left)


def _base_padding(spec: dict) -> float:
    pad = spec.get("config", {}).get("padding", spec.get("padding", 5))
    return float(pad) if isinstance(pad, (int, float)) else 5.0


def sized_spec(fig, size: Size | None) -> tuple[dict[str, Any], float]:
    """The export spec padded to ``size``'s aspect ratio, and the scale that makes it ``size.width`` px wide."""
    chart_w, _, left = _measure(fig)
    spec = export_spec(fig, chart_w, left_px=left)
    if size is None:
        return spec, 1.0
    width, height = _svg_size(_render_svg(spec, fig))
    if size.height is not None:
        # Single views grow (or shrink) towards the aspect ratio before padding takes the rest.
        want_h = width * size.height / size.width
        view_h = fig.spec().get("height")
        if isinstance(view_h, (int, float)) and ("mark" in fig.spec() or "layer" in fig.spec()):
            new_h = max(120.0, min(900.0, view_h + (want_h - height)))
            spec = export_spec(fig, chart_w, height=new_h, left_px=left)
            width, height = _svg_size(_render_svg(spec, fig))
    scale = size.width / width if size.height is None else min(size.width / width, size.height / height)
    target_w = size.width / scale
    target_h = (size.height / scale) if size.height is not None else height
    base = _base_padding(spec)
    extra_w, extra_h = max(0.0, target_w - width), max(0.0, target_h - height)
    padding = {"left": base + extra_w / 2, "right": base + extra_w / 2, "top": base + extra_h / 2, "bottom": base + extra_h / 2}
    spec = export_spec(fig, chart_w, padding=padding, left_px=left,
                       height=spec["vconcat"][0].get("height") if size.height is not None else None)
    return spec, scale


def render(fig, fmt: str = "svg", size: str | None = None, scale: float = 2.0) -> bytes:
    """The exported image: SVG text (UTF-8) or PNG bytes, with its title, subtitle and footer."""
    import vl_convert as vlc

    if fmt not in FORMATS:
        raise ExportError(f"format {fmt!r}: choose svg or png")
    preset = None
    if size is not None:
        if size not in SIZES:
            raise ExportError(f"--size {size}: choose one of {', '.join(SIZES)}")
        preset = SIZES[size]
    spec, fit = sized_spec(fig, preset)
    if fmt == "svg":
        svg = _render_svg(spec, fig)
        return fig.mark_svg(svg).encode("utf-8")
    if preset is None:
        return bytes(vlc.vegalite_to_png(spec, vl_version=fig._vl_version(), scale=scale))
    # ppi only writes the pHYs chunk's density here: the pixel size comes from the scale alone.
    png_scale = fit * (1 + 1e-6)  # vl-convert truncates: 1919.9999 px would lose a column
    return bytes(vlc.vegalite_to_png(spec, vl_version=fig._vl_version(), scale=png_scale * 72 / preset.ppi, ppi=preset.ppi))


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG (its IHDR chunk)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ExportError("not a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def png_ppi(data: bytes) -> float | None:
    """Pixels per inch from a PNG's pHYs chunk (None when it has none)."""
    at = data.find(b"pHYs")
    if at < 0:
        return None
    per_metre = int.from_bytes(data[at + 4:at + 8], "big")
    return round(per_metre * 0.0254, 1)


def column_titles(spec: Any, columns: list[str]) -> dict[str, str]:
    """``{column: title}`` for the data columns the chart's encodings title (axis, legend, tooltip),
    in the data's column order: the titles carry the units (``Reserves (Mt REO)``)."""
    found: dict[str, str] = {}

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            field, title = node.get("field"), node.get("title")
            if title is None and isinstance(node.get("axis"), dict):
                title = node["axis"].get("title")
            if title is None and isinstance(node.get("legend"), dict):
                title = node["legend"].get("title")
            if isinstance(field, str) and isinstance(title, str) and title.strip() and field not in found:
                found[field] = title.strip()
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(spec)
    return {c: found[c] for c in columns if c in found}


def default_path(fig, fmt: str) -> Path:
    """``<figure id>.<format>`` in the current folder."""
    return Path(f"{fig.id}.{fmt}")


def write_export(fig, fmt: str = "svg", out: str | os.PathLike | None = None, size: str | None = None,
                 scale: float = 2.0, force: bool = False, check_path=None) -> list[Path]:
    """Write the image, ``.csv`` and ``.citation.txt`` (paths returned, image first).

    A file that already holds exactly the bytes to write is left as it is, so an SVG and then a
    PNG under one name share their ``.csv`` and ``.citation.txt`` without ``force``; ``force``
    replaces only files this function wrote. ``check_path(path)`` is called on the image's path
    before anything is rendered (the command refuses the book's sources there). Raises
    :class:`ExportError` (one line) for a bad request, OSError when a file cannot be written."""
    import math

    if fmt not in FORMATS:
        raise ExportError(f"--format {fmt}: choose svg or png")
    if not (math.isfinite(scale) and 0.1 <= scale <= 10):
        raise ExportError(f"--scale {scale:g}: must be a number between 0.1 and 10")
    if size is not None and size not in SIZES:
        raise ExportError(f"--size {size}: choose one of {', '.join(SIZES)}")
    path = Path(out) if out else default_path(fig, fmt)
    if path.suffix.lower() != f".{fmt}":
        raise ExportError(f"--out {path} does not end in .{fmt} (use --format to choose svg or png)")
    if check_path is not None:
        check_path(path)  # the caller's rule for where outputs may go (raises with one line)
    targets = {path: render(fig, fmt, size, scale), path.with_suffix(".csv"): fig.csv_export_text().encode("utf-8"),
               path.with_suffix(".citation.txt"): (fig.citation() + "\n").encode("utf-8")}
    pending = {p: data for p, data in targets.items() if not (p.is_file() and p.read_bytes() == data)}
    existing = [p for p in pending if p.exists()]
    if existing and not force:
        raise ExportError(f"{', '.join(map(str, existing))} already exist(s): choose another --out or pass --force")
    foreign = [str(p) for p in existing if not written_by_export(p, path)]
    if foreign:
        raise ExportError(f"{', '.join(foreign)} exist(s) and {'was' if len(foreign) == 1 else 'were'} not written by "
                          "`rare-earths figure`: not replaced, even with --force (choose another --out)")
    path.parent.mkdir(parents=True, exist_ok=True)
    for p, data in pending.items():
        tmp = p.with_name(f".{p.name}.partial")
        tmp.write_bytes(data)
        os.replace(tmp, p)
    return list(targets)


def written_by_export(path: Path, image_path: Path) -> bool:
    """Whether an existing file is an output of ``rare-earths figure`` (by its content)."""
    title = rare_earths.BOOK_TITLE
    try:
        head = path.read_bytes()[:4096]
    except OSError:
        return False
    if path.suffix == ".csv":
        return head.startswith(f"# {title}".encode())
    if path.name.endswith(".citation.txt"):
        return head.startswith(title.encode())
    if path.suffix == ".svg":
        return b"data-rare-earths-figure=" in head
    # A PNG carries no mark of its own: it is ours when its citation beside it is.
    sidecar = image_path.with_suffix(".citation.txt")
    return path.suffix == ".png" and sidecar.is_file() and sidecar.read_bytes().startswith(title.encode())


#: The page's own "Download the chart" links: the chart as drawn on the page (its SVG), with the
#: title, subtitle and footer of :func:`export_lines` around it, saved as ``<id>.svg`` or
#: ``<id>.png`` (2x). Everything happens in the page: no network, no server.
_PAGE_EXPORT_JS = r"""(function () {
  "use strict";
  if (window.rrExportFigure) { return; }
  function esc(s) { return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;"); }
  var FONT = "Liberation Sans, Arial, Helvetica, sans-serif";
  function wrap(ctx, text, font, max) {
    ctx.font = font; var out = [], line = "";
    String(text).split(/\s+/).forEach(function (word) {
      if (!word) { return; }
      var next = line ? line + " " + word : word;
      if (ctx.measureText(next).width > max && line) { out.push(line); line = word; } else { line = next; }
    });
    if (line) { out.push(line); }
    return out;
  }
  function compose(id) {
    var chart = document.getElementById("chart-" + id);
    var svg = chart && chart.querySelector("svg");
    var words = JSON.parse(document.getElementById("chart-" + id + "-export").textContent);
    if (!svg) { throw new Error("the chart is not drawn yet"); }
    var w = svg.width.baseVal.value, h = svg.height.baseVal.value, pad = 16, width = Math.max(w, 480);
    var ctx = document.createElement("canvas").getContext("2d"), y = pad, parts = [];
    function lines(list, size, weight, colour, step) {
      list.forEach(function (text) {
        y += step;
        parts.push('<text x="' + pad + '" y="' + y + '" font-family="' + FONT + '" font-size="' + size +
                   '" font-weight="' + weight + '" fill="' + colour + '">' + esc(text) + "</text>");
      });
    }
    lines(wrap(ctx, words.title, "600 18px " + FONT, width), 18, 600, "#222222", 22);
    lines(wrap(ctx, words.subtitle.join(" "), "13px " + FONT, width), 13, 400, "#444444", 17);
    y += 10;
    var clone = svg.cloneNode(true);
    clone.setAttribute("x", pad); clone.setAttribute("y", y);
    y += h + 6;
    var footer = [];
    words.footer.forEach(function (text) { footer = footer.concat(wrap(ctx, text, "11px " + FONT, width)); });
    lines(footer, 11, 400, "#333333", 15);
    y += pad;
    var total = width + 2 * pad;
    var text = '<svg xmlns="http://www.w3.org/2000/svg" width="' + total + '" height="' + y + '" viewBox="0 0 ' + total +
               " " + y + '" role="img" aria-label="' + esc(words.title) + '"><rect width="100%" height="100%" fill="#ffffff"/>' +
               parts.join("") + new XMLSerializer().serializeToString(clone) + "</svg>";
    return {svg: text, width: total, height: y};
  }
  function save(blob, name) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob); a.download = name;
    document.body.appendChild(a); a.click();
    window.setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
  window.rrExportFigure = function (id, format) {
    var image = compose(id);
    var blob = new Blob([image.svg], {type: "image/svg+xml"});
    if (format === "svg") { save(blob, id + ".svg"); return image; }
    var img = new Image();
    img.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = image.width * 2; canvas.height = image.height * 2;
      var c = canvas.getContext("2d"); c.scale(2, 2); c.drawImage(img, 0, 0);
      canvas.toBlob(function (png) { save(png, id + ".png"); }, "image/png");
    };
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(image.svg);
    return image;
  };
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.rr-figure-export");
    if (!link) { return; }
    event.preventDefault();
    window.rrExportFigure(link.getAttribute("data-figure"), link.getAttribute("data-format"));
  });
})();"""


def page_export_html(fig, words_json: str) -> str:
    """The "Download the chart (SVG, PNG), with title and source" links of a figure on its page,
    the words they draw (:func:`export_lines`, as JSON safe inside a script element: ``words_json``)
    and the script that draws them."""
    import html as _html

    e = _html.escape
    cid = f"chart-{fig.id}"
    links = " · ".join(f'<a class="rr-figure-export" href="#{e(fig.label)}" data-figure="{e(fig.id)}" '
                       f'data-format="{fmt}">{fmt.upper()}</a>' for fmt in FORMATS)
    return (f'<script type="application/json" id="{cid}-export">{words_json}</script>'
            f"<script>{_PAGE_EXPORT_JS}</script>"
            f"Download the chart with its title and source: {links}")
