"""`rare-earths sweep` through the installed console script: the grid computed through the registry
(the values equal what the registry gives at each point, so what `rare-earths numbers -p` prints),
the CSV and its description, a failing point reported while the others finish, a page sweep in
parallel, the work sent to a Dask cluster the test starts, and bad input refused in one line with
exit 2 and nothing written."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

from support import DATA, run_cli
from rare_earths import __version__
from rare_earths.data.load import data_checked_to
from rare_earths.numbers import compute_numbers

GAP_NUMBERS = "costs.us_cost_usd_per_kg,costs.subsidy_usd_m_per_year"


def _read_sweep_csv(path):
    text = path.read_text(encoding="utf-8")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return comments, list(csv.DictReader(io.StringIO(body)))


def _registry(point: dict) -> dict:
    return {n.id: n for n in compute_numbers(point, domains=["costs"])}


def _price_overlay(folder, usd_per_kg: str):
    """An overlay that replaces the USGS 2024 NdPr price (by its key) with the analyst's own value."""
    with (DATA / "prices.csv").open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        row = next(r for r in reader if r["price_id"] == "usgs_ndpr_oxide_2024")
        header = reader.fieldnames
    folder.mkdir()
    with (folder / "prices.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerow({**row, "price_low_usd_per_kg": usd_per_kg, "price_high_usd_per_kg": usd_per_kg})
    return folder


def _numbers_cli(*args) -> dict:
    return {n["id"]: n for n in json.loads(run_cli("numbers", "--json", *args, check=True).stdout)}


PRICE_NUMBER = "costs.floor_multiple_of_2024_price"  # the floor over the 2024 price: moves with the overlay


def test_sweep_on_the_analysts_own_data(tmp_path):
    """`--data OVERLAY`: every point equals `rare-earths numbers --data OVERLAY -p ...`, differs from
    the shipped data where the overlay's row counts, and sweep.json records the overlay and its hash."""
    overlay = _price_overlay(tmp_path / "mine", "60")
    before = sorted((p.name, p.read_bytes()) for p in overlay.iterdir())
    result = run_cli("sweep", "-p", "cost_gap_high=0.4,0.5", "--numbers", f"{PRICE_NUMBER},costs.us_cost_usd_per_kg",
                     "--data", str(overlay), "--out", str(tmp_path / "out"), "--json", "--quiet", check=True)
    meta = json.loads(result.stdout)
    assert meta["data"]["overlay"] == str(overlay) and meta["data"]["overlay_tables"] == ["prices"]
    assert len(meta["data"]["overlay_sha256"]) == 64
    shipped = _numbers_cli(PRICE_NUMBER)[PRICE_NUMBER]["value"]
    for row in meta["rows"]:
        own = _numbers_cli("--data", str(overlay), "-p", f"cost_gap_high={row['cost_gap_high']}")
        assert row[PRICE_NUMBER] == own[PRICE_NUMBER]["value"] != shipped
        assert row["costs.us_cost_usd_per_kg"] == own["costs.us_cost_usd_per_kg"]["value"]
    assert sorted((p.name, p.read_bytes()) for p in overlay.iterdir()) == before  # the overlay is only read
    # Without --out, another overlay's sweep goes to another folder (the default name includes the data).
    from rare_earths.build.sweep import grid_hash

    args = (["cost_gap_high=0.4,0.5"], [PRICE_NUMBER], None)
    assert grid_hash(*args, {"folder": meta["data"]["folder"]}) != grid_hash(*args, {"folder": "/elsewhere"}) \
        != grid_hash(*args)


def test_sweep_refuses_a_bad_overlay_in_one_line_and_writes_nothing(tmp_path):
    overlay = _price_overlay(tmp_path / "mine", "sixty")
    result = run_cli("sweep", "-p", "cost_gap_high=0.4,0.5", "--data", str(overlay), "--out", str(tmp_path / "never"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith(f"rare-earths sweep: error: {overlay / 'prices.csv'}:2: column 'price_")
    assert "'sixty'" in result.stderr
    assert "\n" not in result.stderr.strip() and not (tmp_path / "never").exists()


def test_two_parameter_sweep_matches_the_registry_and_reports_a_failing_point(tmp_path):
    out = tmp_path / "grid"
    result = run_cli("sweep", "-p", "cost_gap_low=0.3:0.5:0.1", "-p", "china_cost_usd_per_kg=40:60:20",
                     "-p", "cost_gap_high=0.45", "--numbers", GAP_NUMBERS, "--out", str(out), "--workers", "2",
                     "--quiet")
    # cost_gap_low=0.5 is above the fixed cost_gap_high=0.45: those two points fail, the others finish.
    assert result.returncode == 1, result.stderr
    failed = [line for line in result.stderr.splitlines() if line.startswith("rare-earths sweep: failed: ")]
    assert len(failed) == 2 and all("point cost_gap_low=0.5 china_cost_usd_per_kg=" in line for line in failed), failed
    assert "Traceback" not in result.stderr
    assert result.stdout.split() == [str(out / name) for name in
                                     ("sweep.citation.txt", "sweep.csv", "sweep.html", "sweep.json")]
    comments, rows = _read_sweep_csv(out / "sweep.csv")
    assert len(rows) == 3 * 2
    # The grid, first parameter slowest, values exactly as the decimal steps give them.
    assert [(r["cost_gap_low"], r["china_cost_usd_per_kg"]) for r in rows] == [
        (lo, c) for lo in ("0.3", "0.4", "0.5") for c in ("40.0", "60.0")]
    for row in rows:
        point = {"cost_gap_low": float(row["cost_gap_low"]), "china_cost_usd_per_kg": float(row["china_cost_usd_per_kg"]),
                 "cost_gap_high": 0.45}
        if point["cost_gap_low"] > 0.45:
            assert row["error"].startswith("cost_gap_low=0.5") and row["costs.us_cost_usd_per_kg"] == ""
            continue
        expected = _registry(point)
        assert row["error"] == ""
        for id_ in GAP_NUMBERS.split(","):
            assert float(row[id_]) == expected[id_].value
            assert float(row[f"{id_}.low"]) == expected[id_].low and float(row[f"{id_}.high"]) == expected[id_].high
    header = "\n".join(comments)
    assert f"(version {__version__})" in header and f"checked to {data_checked_to().isoformat()}" in header
    assert "# costs.us_cost_usd_per_kg [USD/kg]: " in header and "# Sources: SMM, " in header
    assert "Fixed parameters: cost_gap_high=0.45" in header
    meta = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    assert meta["points"] == 6 and meta["failed"] == 2
    assert [f["parameters"]["cost_gap_low"] for f in meta["failures"]] == [0.5, 0.5]
    assert [a["values"] for a in meta["axes"]] == [[0.3, 0.4, 0.5], [40.0, 60.0]]
    page = (out / "sweep.html").read_text(encoding="utf-8")
    assert 'class="rr-chart"' in page and "window.vegaEmbed(" in page
    assert "<script>(function () {" in page.split("</head>")[0]  # the Vega bundle, inlined: drawn offline
    assert "Download the data (CSV)" in page and "Cite: " in page


def test_json_output_and_default_numbers_follow_the_swept_parameter(tmp_path):
    result = run_cli("sweep", "-p", "cost_gap_high=0.4:0.6:0.1", "--out", str(tmp_path / "s"), "--json", "--quiet",
                     "--workers", "1", check=True)
    data = json.loads(result.stdout)
    ids = [n["id"] for n in data["numbers"]]
    # Default: every number that depends on cost_gap_high (by its declared parameters), nothing else.
    expected = [n.id for n in compute_numbers() if "cost_gap_high" in n.parameters and n.id != "dataset.parameters"]
    assert ids == expected
    assert [row["cost_gap_high"] for row in data["rows"]] == [0.4, 0.5, 0.6]
    at_half = _registry({"cost_gap_high": 0.5})
    row = data["rows"][1]
    assert all(row[i] == at_half[i].value for i in ids if i.startswith("costs."))
    assert data["out"] == str(tmp_path / "s") and data["failures"] == []


@pytest.mark.parametrize("args, message", [
    (["-p", "cost_gap_high=0.6:0.3:0.1"], "cost_gap_high=0.6:0.3:0.1: reversed range"),
    (["-p", "cost_gap_high=0.3:0.3:0.1"], "cost_gap_high=0.3:0.3:0.1: empty range"),
    (["-p", "cost_gap_high=0:1:0.00001"], "too large a range: 100,001 points, more than 100,000"),
    (["-p", "cost_gap_high=0:1:0.01", "-p", "china_cost_usd_per_kg=1:1000:1"], "101 x 1,000 = 101,000 points, more than 100,000"),
    (["-p", "cost_gap_hgh=0.3:0.6:0.1"], "unknown parameter 'cost_gap_hgh' (did you mean cost_gap_high?)"),
    (["-p", "cost_gap_high=0.3:0.6:0.1", "--numbers", "costs.us_cost"], "unknown number id 'costs.us_cost'"),
    (["-p", "cost_gap_high=0.3:0.6:0.1", "--scheduler", "tcp://127.0.0.1:9"], "--scheduler tcp://127.0.0.1:9: cannot reach"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, args, message):
    out = tmp_path / "never"
    result = run_cli("sweep", *args, "--out", str(out), "--connect-timeout", "2")
    assert result.returncode == 2, result.stderr
    err = result.stderr.strip()
    assert "\n" not in err and "Traceback" not in err and err.startswith("rare-earths sweep: error: "), err
    assert message in err, err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_the_range_is_refused_when_it_leaves_what_the_parameter_allows():
    result = run_cli("sweep", "-p", "cost_gap_high=4:6:1")
    assert result.returncode == 2
    assert "cost_gap_high=4:6:1: 6 is outside what cost_gap_high allows (a fraction between 0 and 5)" in result.stderr


def test_sweep_on_a_dask_local_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")  # pinned: present wherever the suite runs
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://",
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        with distributed.Client(cluster.scheduler_address) as client, distributed.get_task_stream(client) as stream:
            result = run_cli("sweep", "-p", "china_cost_usd_per_kg=30:50:10", "--numbers", "costs.us_extra_cost_usd_per_kg_high",
                             "--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "dask"), "--json", "--quiet",
                             check=True)
    # The points were computed on the cluster's worker.
    assert any(str(task["key"]).startswith("compute_points") for task in stream.data), stream.data
    rows = json.loads(result.stdout)["rows"]
    assert [r["china_cost_usd_per_kg"] for r in rows] == [30.0, 40.0, 50.0]
    for row in rows:
        expected = _registry({"china_cost_usd_per_kg": row["china_cost_usd_per_kg"]})["costs.us_extra_cost_usd_per_kg_high"]
        assert row["costs.us_extra_cost_usd_per_kg_high"] == expected.value


def test_page_sweep_runs_the_chapter_at_every_point_in_parallel(tmp_path):
    """Two pages in parallel, on an overlay of the analyst's own 2024 price: each page's params.json
    records the overlay, and its numbers are the overlay's."""
    out = tmp_path / "pages"
    overlay = _price_overlay(tmp_path / "mine", "60")
    result = run_cli("sweep", "-p", "cost_gap_high=0.45:0.55:0.1", "--pages", "cost-gap", "--workers", "2", "--out", str(out),
                     "--data", str(overlay))
    assert result.returncode == 0, result.stderr
    assert "pages (cost-gap)" in result.stderr  # the progress bar
    with (out / "pages.csv").open(encoding="utf-8") as fh:
        pages = list(csv.DictReader(fh))
    assert [(p["cost_gap_high"], p["error"]) for p in pages] == [("0.45", ""), ("0.55", "")]
    for page in pages:
        params = json.loads((out / page["folder"] / "params.json").read_text(encoding="utf-8"))
        assert params["chapter"] == "cost-gap" and params["overrides"] == {"cost_gap_high": float(page["cost_gap_high"])}
        assert params["data"]["overlay"] == str(overlay)
        html = (out / page["folder"] / "cost-gap.html").read_text(encoding="utf-8")
        expected = _registry({"cost_gap_high": float(page["cost_gap_high"])})["costs.us_extra_cost_usd_per_kg_high"]
        assert expected.display() in html
        own = _numbers_cli("--data", str(overlay), PRICE_NUMBER)[PRICE_NUMBER]
        assert own["display"] != _registry({})[PRICE_NUMBER].display() and own["display"] in html
    # The numbers of a page sweep default to the chapter's own that depend on the swept parameter.
    meta = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    assert meta["numbers"] and all("cost-gap" in n["id"] or n["id"].startswith("costs.") for n in meta["numbers"])


def test_decimal_steps_are_exact():
    from rare_earths.numbers.sweep import parse_axis

    axis = parse_axis("cost_gap_high", "0.1:0.7:0.15")
    assert axis.values == tuple(float(Decimal("0.1") + i * Decimal("0.15")) for i in range(5))
    assert parse_axis("horizon", "2030:2040:5").values == (2030, 2035, 2040)
    assert parse_axis("demand_definition", "direct,us_allies").values == ("direct", "us_allies")
