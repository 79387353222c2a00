"""`rare-earths figure`, and `cite`/`numbers` on figure and key-number ids, through the console command."""

from __future__ import annotations

import csv
import io
import json

import pytest

from support import run_cli
from rare_earths.figures import build_figure, list_figures
from rare_earths.numbers.registry import get_number


def test_figure_list_names_every_registered_figure_with_chapter_and_caption():
    listed = json.loads(run_cli("figure", "--list", "--json", check=True).stdout)
    assert [f["id"] for f in listed] == [f.id for f in list_figures()]
    for rec in listed:
        assert rec["chapter"] and rec["caption"] and rec["label"] == f"fig-{rec['id']}"


@pytest.mark.parametrize("fmt, magic", [("svg", b"<svg"), ("png", b"\x89PNG")])
def test_figure_export_writes_image_csv_and_citation(tmp_path, fmt, magic):
    out = tmp_path / f"gap.{fmt}"
    result = run_cli("figure", "cost-gap-range", "--format", fmt, "-p", "cost_gap_high=0.5", "--out", str(out), check=True)
    assert result.stdout.split() == [str(out), str(out.with_suffix(".csv")), str(out.with_suffix(".citation.txt"))]
    assert magic in out.read_bytes()[:200]
    rows = list(csv.DictReader(io.StringIO(out.with_suffix(".csv").read_text())))
    us = next(r for r in rows if r["producer"].startswith("United States"))
    assert float(us["high_usd_per_kg"]) == pytest.approx(55 * 1.5)  # China's 55 USD/kg plus a 50 % gap
    citation = out.with_suffix(".citation.txt").read_text()
    assert "Rare Earth Rivalry" in citation and "figure cost-gap-range" in citation
    assert "Parameters (non-default): cost_gap_high=0.5" in citation
    assert "USGS" in citation and "SMM" in citation


def test_figure_export_is_deterministic(tmp_path):
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    run_cli("figure", "floor-vs-prices", "--out", str(a), check=True)
    run_cli("figure", "floor-vs-prices", "--out", str(b), check=True)
    assert a.read_bytes() == b.read_bytes()
    assert a.with_suffix(".csv").read_bytes() == b.with_suffix(".csv").read_bytes()


def test_figure_refuses_to_overwrite(tmp_path):
    out = tmp_path / "f.svg"
    out.write_text("mine")
    result = run_cli("figure", "cost-gap-range", "--out", str(out))
    assert result.returncode == 2 and "already exist" in result.stderr
    assert out.read_text() == "mine"


def test_figure_unknown_id_suggests():
    result = run_cli("figure", "cost-gap-rang")
    assert result.returncode == 2 and "did you mean cost-gap-range?" in result.stderr


def test_cite_key_number_names_value_sources_and_parameters():
    number = get_number("costs.us_extra_cost_usd_per_kg_high", {"cost_gap_high": 0.5})
    text = run_cli("cite", "costs.us_extra_cost_usd_per_kg_high", "-p", "cost_gap_high=0.5", check=True).stdout
    assert f"{number.display()} {number.unit}" in text and number.display() == "27.50"  # 55 x 0.5
    assert "Parameters (non-default): cost_gap_high=0.5" in text
    assert "USGS" in text
    default = run_cli("cite", "costs.us_extra_cost_usd_per_kg_high", check=True).stdout
    assert "Parameters" not in default


def test_cite_figure_matches_the_exported_citation():
    fig = build_figure("reserves-ranked" if "reserves-ranked" in {f.id for f in list_figures()} else "cost-gap-range")
    assert run_cli("cite", fig.id, check=True).stdout.strip() == fig.citation()


def test_numbers_accepts_figure_ids():
    rec = json.loads(run_cli("numbers", "cost-gap-range", "--json", "-p", "cost_gap_high=0.5", check=True).stdout)[0]
    assert rec["id"] == "cost-gap-range" and rec["kind"] == "figure"
    assert rec["parameters"] == {"cost_gap_high": 0.5}
    assert max(r["high_usd_per_kg"] for r in rec["data"]) == pytest.approx(82.5)  # 55 x (1 + 0.5)


def test_module_index_matches_the_registrations_and_one_figure_imports_one_module():
    import subprocess
    import sys

    from rare_earths.figures import MODULE_OF

    assert {f.id: f.builder.__module__.rsplit(".", 1)[-1] for f in list_figures()} == MODULE_OF
    code = ("import sys; from rare_earths.figures import build_figure; build_figure('cost-gap-range'); "
            "print(sorted(m for m in sys.modules if m.startswith('rare_earths.figures.') and m != 'rare_earths.figures.charts'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['rare_earths.figures.costs']"
