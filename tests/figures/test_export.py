"""Exports that stand alone (rare_earths.figures.export): the image draws its title, subtitle,
source line, data date, licence, version and URL; size presets give their pixel sizes."""

from __future__ import annotations

import html
import re
import subprocess

import pytest

import rare_earths
from rare_earths.data.load import data_checked_to
from rare_earths.figures import build_figure
from rare_earths.figures import export
from support import CLI, run_cli


@pytest.fixture(scope="module")
def fig():
    return build_figure("cost-gap-range")


def _svg_text(svg: bytes) -> str:
    """Every text element of an SVG, unescaped, joined by spaces (vl-convert draws one per line)."""
    texts = re.findall(r"<text[^>]*>(.*?)</text>", svg.decode("utf-8"), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", t)) for t in texts)


def test_exported_svg_draws_title_source_date_licence_version_and_url(fig):
    drawn = _svg_text(export.render(fig, "svg"))
    assert fig.short_title in drawn
    assert "Source: SMM 2025-09-18; USGS MCS 2026 v1.3." in drawn  # the figure's two sources, short
    assert f"Data checked to {data_checked_to().isoformat()}" in drawn and "Licence: CC BY 4.0" in drawn
    assert f"version {rare_earths.__version__}" in drawn
    # the URL may wrap between two lines: compare without the line break
    assert fig.url() in drawn.replace(" ", "") or fig.url() in drawn
    # the subtitle is the caption after its title, without the source sentence the footer gives
    assert "US unit cost of separated NdPr oxide" in drawn
    # the chart's own text is still there (axis title with its unit)
    assert "Unit cost of NdPr oxide (USD/kg)" in drawn


@pytest.mark.parametrize("size, width, height, ppi", [
    ("slide", 1920, 1080, 144),  # 16:9
    ("square", 1080, 1080, 144),
    ("memo", 1950, None, 300),  # 6.5 in at 300 dpi; height follows the chart
])
def test_png_presets_have_their_pixel_size_and_density(fig, size, width, height, ppi):
    png = export.render(fig, "png", size)
    got_w, got_h = export.png_size(png)
    assert got_w == width and (height is None or got_h == height), (got_w, got_h)
    assert export.png_ppi(png) == pytest.approx(ppi, abs=0.5)
    if height is None:
        assert 0.2 < got_h / got_w < 3  # the chart's own aspect ratio, not stretched to a preset


def test_slide_svg_has_the_slide_aspect_ratio(fig):
    svg = export.render(fig, "svg", "slide").decode("utf-8")
    width, height = (float(v) for v in re.search(r'<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"', svg).groups())
    assert width / height == pytest.approx(16 / 9, rel=0.01)


def test_csv_header_names_units_source_licence_version_and_url(fig):
    header = [line for line in fig.csv_export_text().splitlines() if line.startswith("#")]
    text = "\n".join(header)
    assert f"version {rare_earths.__version__}" in text and "Licence: CC BY 4.0" in text
    assert "Sources: SMM" in text and fig.url() in text
    # every plotted number column with a titled encoding, with the unit in brackets
    assert re.search(r"[:;] high_usd_per_kg = [^;]+ \(USD/kg\)(;|$)", text, re.M), text


def test_figure_cli_names_files_by_id_and_exports_svg_then_png_without_force(tmp_path):
    def figure(*args):
        return subprocess.run([str(CLI), "figure", "cost-gap-range", *args], cwd=tmp_path, capture_output=True,
                              text=True, timeout=300)

    assert figure().returncode == 0
    second = figure("--format", "png", "--size", "slide")  # same name, same .csv and .citation.txt: no --force
    assert second.returncode == 0, second.stderr
    assert second.stdout.split() == ["cost-gap-range.png", "cost-gap-range.csv", "cost-gap-range.citation.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cost-gap-range.citation.txt", "cost-gap-range.csv", "cost-gap-range.png", "cost-gap-range.svg"]
    assert export.png_size((tmp_path / "cost-gap-range.png").read_bytes()) == (1920, 1080)
    assert run_cli("figure", "cost-gap-range", "--size", "tiny").returncode == 2
