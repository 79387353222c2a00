"""Derive the USGS rows of the curated tables from the official files frozen in ``data/raw/``.

An *edition* (MCS 2025, MCS 2026, ...) is a folder of official files, each with a manifest beside it
(``<file>.manifest.json``: the fields of an OWID origin block, see :data:`REQUIRED_FIELDS`). The
importer checks every file against its manifest (sha256, required fields), recognises the layout of
each data release by its header, and derives, values and annotations alike:

* ``usgs_country_supply``: mine production and reserves by country and year, with the estimate flag
  (``Estimated.`` in the release; the ``PROD_EST_`` column of the MCS 2025 world data), the bound
  (``>``), the status (a number, ``—`` none, ``NA``) and the footnotes, verbatim;
* ``usgs_us_imports``: US net import reliance (compounds and metals) and import sources;
* ``prices``: the USGS annual average prices of NdPr, dysprosium and terbium oxides
  (:data:`PRICE_SERIES`). ``prices.csv`` holds the newest edition's series; older editions' values
  survive as revisions;
* ``revisions``: every quantity on which the edition disagrees with the previous one, and the changes
  within an edition recorded as corrections of kind ``revision``.

Where a curated row deliberately differs from the release (the v1.3 PDF against the v1.0 data release,
a row printed only in the chapter), ``data/corrections.csv`` says so, field by field, naming its source;
:func:`apply_corrections` applies them and :func:`check_corrections` finds each correction's text in its
frozen authority file. Notes (``note``) are the editors' and are never derived: a new row gets a plain
note saying how the value is printed.

Nothing here downloads anything: an edition is read from files on disk only.

>>> ed = read_edition("data/raw/usgs-mcs-2026")        # doctest: +SKIP
>>> rows = derive(ed)                                    # doctest: +SKIP
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from rare_earths.data.schema import TABLES

MANIFEST_SUFFIX = ".manifest.json"

#: Fields every manifest must have (OWID's origin block, plus what the importer needs to place the file).
REQUIRED_FIELDS = ("sha256", "producer", "title", "url", "date_published", "date_retrieved", "licence",
                   "edition", "version", "role", "layout")

#: Layouts the importer can read; a data release with another layout is refused.
DATA_LAYOUTS = ("usgs_mcs_commodities_long", "usgs_mcs_world_data_wide", "usgs_mcs_salient_wide")
#: Layouts that are frozen as authorities but not parsed (chapters, metadata, version histories).
OTHER_LAYOUTS = ("pdf", "fgdc_xml", "text")

#: Country names as the book writes them (the releases differ between editions).
COUNTRY_NAMES = {"Burma": "Burma (Myanmar)", "Other countries": "Other", "Other Countries": "Other",
                 "World total": "World total (rounded)"}
WORLD = "World total (rounded)"

#: USGS price series carried in prices.csv: (chapter, detail prefix in the long layout, salient column,
#: commodity as the book writes it, price_id stem).
PRICE_SERIES = (
    ("RARE EARTHS", "Neodymium-praseodymium (NdPr) oxide", None, "NdPr oxide", "usgs_ndpr_oxide"),
    ("RARE EARTHS (Heavy)", "Dysprosium oxide", "Price_Dy2O3_dkg", "Dysprosium oxide", "usgs_dysprosium_oxide"),
    ("RARE EARTHS (Heavy)", "Terbium oxide", "Price_TbO2_dkg", "Terbium oxide", "usgs_terbium_oxide"),
)
#: Heavy rare earths whose import sources the book reports (the release also has erbium and ytterbium).
HEAVY_IMPORT_ELEMENTS = ("Terbium", "Holmium", "Lutetium")

RARE_EARTHS_COMMODITY = "rare-earth compounds and metals"
HEAVY_COMMODITY = "heavy rare-earth compounds and metals"

DERIVED_TABLES = ("usgs_country_supply", "usgs_us_imports", "prices")


class ImportProblem(Exception):
    """One problem with the input, named by file: ``str()`` is the one line the command prints."""

    def __init__(self, file: str | Path, message: str):
        self.file, self.message = str(file), message
        super().__init__(f"{file}: {message}")


@dataclass
class RawFile:
    path: Path
    manifest: dict

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class Edition:
    """The verified files of one edition."""

    name: str  # "MCS 2026"
    version: str  # the newest version among its files ("1.3")
    files: list[RawFile] = field(default_factory=list)

    @property
    def year(self) -> int:
        return int(self.name.split()[-1])

    @property
    def slug(self) -> str:  # "mcs2026"
        return self.name.lower().replace(" ", "")

    @property
    def label(self) -> str:  # "MCS 2026 v1.3", or "MCS 2025" for an edition never revised
        return self.name if self.version == "1.0" else f"{self.name} v{self.version}"

    def source_id(self, chapter: str = "RARE EARTHS") -> str:
        base = f"usgs_mcs_{self.year}_ree"
        return base + ("_heavy" if "HEAVY" in chapter.upper() else "")

    def data_files(self) -> list[RawFile]:
        return [f for f in self.files if f.manifest["layout"] in DATA_LAYOUTS]


# ---------------------------------------------------------------------------------------------
# Reading and verifying the files
# ---------------------------------------------------------------------------------------------


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.]", version))


def read_manifest(path: Path) -> dict:
    manifest_path = path.with_name(path.name + MANIFEST_SUFFIX)
    if not manifest_path.is_file():
        raise ImportProblem(path, f"no manifest ({manifest_path.name} not found beside it)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ImportProblem(manifest_path, f"not valid JSON ({err})") from None
    if not isinstance(manifest, dict):
        raise ImportProblem(manifest_path, "not a JSON object")
    missing = [f for f in REQUIRED_FIELDS if not str(manifest.get(f) or "").strip()]
    if missing:
        raise ImportProblem(manifest_path, f"missing manifest field(s): {', '.join(missing)}")
    if not re.fullmatch(r"MCS \d{4}", str(manifest["edition"])):
        raise ImportProblem(manifest_path, f"edition {manifest['edition']!r} is not of the form 'MCS YYYY'")
    if manifest["layout"] not in DATA_LAYOUTS + OTHER_LAYOUTS:
        raise ImportProblem(path, f"layout {manifest['layout']!r} is not one the importer knows "
                                  f"({', '.join(DATA_LAYOUTS + OTHER_LAYOUTS)})")
    return manifest


def verify_file(path: Path, manifest: dict) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != str(manifest["sha256"]).lower():
        raise ImportProblem(path, f"sha256 {digest} differs from its manifest ({manifest['sha256']}): "
                                  "the file is not the frozen copy")


def _collect(paths) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(q for q in p.iterdir() if q.is_file() and not q.name.endswith(MANIFEST_SUFFIX)
                              and q.name != "README.md" and not q.name.startswith(".")))
        elif p.is_file():
            out.append(p)
        else:
            raise ImportProblem(p, "no such file or folder")
    return out


def read_edition(*paths) -> Edition:
    """Read and verify the files of one edition (a folder, or file paths with manifests beside them)."""
    files = _collect(paths)
    if not files:
        raise ImportProblem(paths[0] if paths else ".", "no files to import")
    raw = []
    for path in files:
        manifest = read_manifest(path)
        verify_file(path, manifest)
        raw.append(RawFile(path, manifest))
    editions = sorted({f.manifest["edition"] for f in raw})
    if len(editions) != 1:
        raise ImportProblem(files[0].parent, f"files of several editions given together: {', '.join(editions)}")
    edition = Edition(editions[0], max((f.manifest["version"] for f in raw), key=_version_key), raw)
    if not edition.data_files():
        raise ImportProblem(files[0].parent, f"{edition.name}: no data release among the files (layouts {', '.join(DATA_LAYOUTS)})")
    for f in edition.data_files():
        _read_release(f)  # recognise the layout now, so a bad release fails before anything is derived
    return edition


# ---------------------------------------------------------------------------------------------
# Parsing the data releases
# ---------------------------------------------------------------------------------------------

LONG_COLUMNS = ("MCS chapter", "Section", "Commodity", "Country", "Statistics", "Statistics_detail", "Unit", "Year",
                "Value", "Notes")
WIDE_WORLD_COLUMNS = ("SOURCE", "COMMODITY", "COUNTRY", "TYPE", "UNIT_MEAS", "PROD_NOTES", "RESERVE_NOTES")
SALIENT_COLUMNS = ("DataSource", "Commodity", "Year", "NIR_Compounds-Metals_t")


def _read_release(f: RawFile) -> list[dict]:
    encoding = f.manifest.get("encoding") or "utf-8-sig"
    try:
        text = f.path.read_bytes().decode(encoding)
    except (UnicodeDecodeError, LookupError) as err:
        raise ImportProblem(f.path, f"cannot be read as {encoding} ({err})") from None
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    header = set(rows[0].keys()) if rows else set()
    layout = f.manifest["layout"]
    expected = {"usgs_mcs_commodities_long": LONG_COLUMNS, "usgs_mcs_world_data_wide": WIDE_WORLD_COLUMNS,
                "usgs_mcs_salient_wide": SALIENT_COLUMNS}[layout]
    missing = [c for c in expected if c not in header]
    if missing or not rows:
        raise ImportProblem(f.path, f"layout not recognised as {layout}: "
                                    + (f"column(s) {', '.join(missing)} missing" if missing else "no data rows"))
    if layout == "usgs_mcs_world_data_wide" and not any(re.fullmatch(r"PROD_(EST_)?\s*\d{4}", c) for c in header):
        raise ImportProblem(f.path, f"layout not recognised as {layout}: no PROD_<year> column")
    return [{k.strip() if k else k: (v or "") for k, v in r.items()} for r in rows]


def _number(text: str) -> tuple[str, float | None, str]:
    """(status, value, bound) of a printed cell: '1,500' -> reported; '>95' -> bound '>'; '—'/'' none; 'NA'."""
    t = text.strip()
    if t in ("", "—", "-", "--"):
        return "none", None, "="
    if t.upper() == "NA":
        return "not_available", None, "="
    bound = "="
    if t[0] in "<>":
        bound, t = t[0], t[1:]
    try:
        return "reported", float(t.replace(",", "")), bound
    except ValueError:
        raise ValueError(f"not a number: {text!r}") from None


def _split_notes(notes: str) -> tuple[bool, str]:
    """(estimated, footnotes): 'Estimated.' opens the notes of an estimate; the rest are footnotes, verbatim."""
    parts = [p.strip() for p in notes.split(" -- ") if p.strip()]
    estimated = bool(parts) and parts[0] == "Estimated."
    if estimated:
        parts = parts[1:]
    return estimated, " -- ".join(parts)


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _printed(status: str, value: float | None, bound: str) -> str:
    if status == "none":
        return "—"
    if status == "not_available":
        return "NA"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
    return ("" if bound == "=" else bound) + text


def _bool(x: bool) -> str:
    return "true" if x else "false"


def _standard_note(row: dict) -> str:
    if row.get("status") == "not_available":
        return "Printed as NA: not available (not zero)."
    if row.get("status") == "none":
        return "Printed as a dash: zero or none listed."
    if row.get("country") == WORLD and row.get("bound") == ">":
        return "Lower bound ('more than'): any share of world reserves computed from it is an upper bound."
    if row.get("country") == WORLD:
        return "Published world total, rounded; compare with the sum of the country rows."
    return ""


def _supply_row(ed: Edition, country: str, measure: str, year: int, estimated: bool, cell: str, footnotes: str,
                chapter: str = "Rare Earths") -> dict:
    status, value, bound = _number(cell)
    country = COUNTRY_NAMES.get(country.strip(), country.strip())
    what = {"mine_production": f"Mine production {year}{'e' if estimated else ''}", "reserves": "Reserves"}[measure]
    row = {
        "source_id": ed.source_id(), "edition": ed.name, "version": ed.version, "country": country,
        "is_world_total": _bool(country == WORLD), "measure": measure, "year": str(year),
        "estimated": _bool(estimated), "status": status, "value_t_reo": _fmt(value), "bound": bound,
        "locator": f"{ed.label}, {chapter}, World Mine Production and Reserves table",
        "source_text": f"{what}, {country}: {_printed(status, value, bound)}",
        "footnotes": footnotes,
    }
    row["note"] = _standard_note(row)
    return row


def _nir_row(ed: Edition, source_id: str, chapter: str, commodity: str, year: int, estimated: bool, cell: str,
             footnotes: str) -> dict:
    status, value, bound = _number(cell)
    return {
        "source_id": source_id, "edition": ed.name, "version": ed.version, "measure": "net_import_reliance",
        "commodity": commodity, "partner": "all", "year_start": str(year), "year_end": str(year),
        "estimated": _bool(estimated), "value_pct": _fmt(value), "bound": bound,
        "locator": f"{ed.label}, {chapter}, Salient Statistics—United States, net import reliance as a percentage of "
                   "apparent consumption, compounds and metals",
        "source_text": f"Net import reliance, {commodity}, {year}{'e' if estimated else ''}: {_printed(status, value, bound)}",
        "footnotes": footnotes,
        "note": "Percent of apparent consumption." + (" Printed as 'more than' (>): a lower bound." if bound == ">" else ""),
    }


def _price_row(ed: Edition, source_id: str, chapter: str, stem: str, commodity: str, purity: str, year: int,
               estimated: bool, value: float, footnotes: str, detail: str) -> dict:
    return {
        "price_id": f"{stem}_{year}", "source_id": source_id, "commodity": commodity, "purity": purity,
        "kind": "annual_average", "year": str(year), "date": "", "estimated": _bool(estimated),
        "price_low_usd_per_kg": _fmt(value), "price_high_usd_per_kg": _fmt(value), "bound": "=",
        "locator": f"{ed.label}, {chapter}, Salient Statistics—United States, price, average, dollars per kilogram",
        "source_text": f"Price, {detail}, {year}{'e' if estimated else ''}: {_printed('reported', value, '=')}",
        "footnotes": footnotes,
        "note": "USGS annual average price, USD/kg." + (" Estimate." if estimated else ""),
    }


def _chapter_title(chapter: str) -> str:
    return "Rare Earths (Heavy)" if "HEAVY" in chapter.upper() else "Rare Earths"


def _derive_long(ed: Edition, rows: list[dict]) -> dict[str, list[dict]]:
    out = {t: [] for t in DERIVED_TABLES}
    ree = [r for r in rows if r["MCS chapter"].strip().upper() in ("RARE EARTHS", "RARE EARTHS (HEAVY)")]
    for r in ree:
        chapter, section = r["MCS chapter"].strip(), r["Section"].strip()
        title = _chapter_title(chapter)
        estimated, footnotes = _split_notes(r["Notes"])
        if section == "World Mine Production and Reserves" and chapter.upper() == "RARE EARTHS":
            measure = {"Production": "mine_production", "Reserves": "reserves"}.get(r["Statistics"].strip())
            if measure:
                out["usgs_country_supply"].append(_supply_row(ed, r["Country"], measure, int(r["Year"]), estimated,
                                                              r["Value"], footnotes, title))
        elif section.startswith("Salient Statistics") and r["Statistics"].strip() == "Net import reliance":
            detail = r["Statistics_detail"].strip().lower()
            if detail.endswith("compounds and metals"):
                commodity = HEAVY_COMMODITY if "HEAVY" in chapter.upper() else RARE_EARTHS_COMMODITY
                out["usgs_us_imports"].append(_nir_row(ed, ed.source_id(chapter), title, commodity, int(r["Year"]),
                                                       estimated, r["Value"], footnotes))
        elif section.startswith("Salient Statistics") and r["Statistics"].strip() == "Price":
            detail = r["Statistics_detail"].split(":", 1)[-1].strip()
            for ch, prefix, _col, commodity, stem in PRICE_SERIES:
                if ch.upper() == chapter.upper() and detail.startswith(prefix + ","):
                    purity = detail[len(prefix) + 1:].strip().replace("%, minimum", "% minimum")
                    status, value, _ = _number(r["Value"])
                    out["prices"].append(_price_row(ed, ed.source_id(chapter), title, stem, commodity, purity,
                                                    int(r["Year"]), estimated, value, footnotes, detail))
        elif section == "Import Sources":
            element = r["Commodity"].strip()
            heavy = "HEAVY" in chapter.upper()
            if heavy and element not in HEAVY_IMPORT_ELEMENTS:
                continue
            years = re.findall(r"\d{2,4}", r["Year"])
            start = int(years[0])
            end = int(years[1]) if len(years[1]) == 4 else int(str(start)[:2] + years[1])
            period = f"{start}–{str(end)[-2:]}"
            commodity = f"{element.lower()} compounds and metals" if heavy else RARE_EARTHS_COMMODITY
            partner = COUNTRY_NAMES.get(r["Country"].strip(), r["Country"].strip())
            status, value, bound = _number(r["Value"])
            what = f"{element.lower()} compounds and metals" if heavy else "compounds and metals"
            out["usgs_us_imports"].append({
                "source_id": ed.source_id(chapter), "edition": ed.name, "version": ed.version,
                "measure": "import_source_share", "commodity": commodity, "partner": partner,
                "year_start": str(start), "year_end": str(end), "estimated": "false", "value_pct": _fmt(value),
                "bound": bound, "locator": f"{ed.label}, {title}, Import Sources ({period})",
                "source_text": f"Import Sources ({period}), {what}, {partner}: {_fmt(value)}%",
                "footnotes": footnotes,
                "note": "Share of U.S. import value over the period." + ("; 'Other' = all other countries." if partner == "Other" else ""),
            })
    return out


def _derive_world_wide(ed: Edition, rows: list[dict]) -> dict[str, list[dict]]:
    out = {t: [] for t in DERIVED_TABLES}
    prod_cols = [(c, int(m.group(2)), bool(m.group(1))) for c in rows[0]
                 if (m := re.fullmatch(r"PROD_(EST_)?\s*(\d{4})", c or ""))]
    res_cols = [(c, int(m.group(1))) for c in rows[0] if (m := re.fullmatch(r"RESERVES_(\d{4})", c or ""))]
    for r in rows:
        if r["COMMODITY"].strip().lower() != "rare earths":
            continue
        country = r["COUNTRY"]
        for col, year, est in prod_cols:
            out["usgs_country_supply"].append(_supply_row(ed, country, "mine_production", year, est, r[col],
                                                          r["PROD_NOTES"].strip()))
        for col, year in res_cols:
            notes = r["RESERVE_NOTES"].strip()
            cell = "NA" if notes == "NA" and not r[col].strip() else r[col]
            out["usgs_country_supply"].append(_supply_row(ed, country, "reserves", year, False, cell,
                                                          "" if notes == "NA" else notes))
    return out


def _derive_salient_wide(ed: Edition, rows: list[dict]) -> dict[str, list[dict]]:
    # The salient file carries no estimate flag; its latest year is the chapter's estimate year ("2024e").
    out = {t: [] for t in DERIVED_TABLES}
    rows = [r for r in rows if r["Commodity"].strip().lower() == "rare earths"]
    last = max(int(r["Year"]) for r in rows)
    for r in rows:
        year = int(r["Year"])
        out["usgs_us_imports"].append(_nir_row(ed, ed.source_id(), "Rare Earths", RARE_EARTHS_COMMODITY, year,
                                               year == last, r["NIR_Compounds-Metals_t"], ""))
        for _ch, _prefix, column, commodity, stem in PRICE_SERIES:
            if column and r.get(column, "").strip():
                _, value, _ = _number(r[column])
                out["prices"].append(_price_row(ed, ed.source_id(), "Rare Earths", stem, commodity, "", year,
                                                year == last, value, "", commodity.lower()))
    return out


def derive_release(ed: Edition) -> dict[str, list[dict]]:
    """The rows every data release of the edition gives, before corrections (CSV text values)."""
    out = {t: [] for t in DERIVED_TABLES}
    for f in ed.data_files():
        rows = _read_release(f)
        parse = {"usgs_mcs_commodities_long": _derive_long, "usgs_mcs_world_data_wide": _derive_world_wide,
                 "usgs_mcs_salient_wide": _derive_salient_wide}[f.manifest["layout"]]
        try:
            part = parse(ed, rows)
        except (ValueError, KeyError, IndexError) as err:
            raise ImportProblem(f.path, f"layout not recognised as {f.manifest['layout']}: {err}") from None
        for table, new in part.items():
            out[table].extend(new)
    if not out["usgs_country_supply"]:
        raise ImportProblem(ed.files[0].path.parent, f"{ed.name}: no rare-earth world production rows in its data releases")
    return out


# ---------------------------------------------------------------------------------------------
# Keys, corrections, derivation
# ---------------------------------------------------------------------------------------------


def row_key(table: str, row: dict) -> str:
    return " | ".join(str(row[c]) for c in TABLES[table].primary_key)


def _edition_of(table: str, row: dict, sources: dict[str, str] | None = None) -> str:
    if table == "prices":
        m = re.match(r"usgs_mcs_(\d{4})_ree", row["source_id"])
        return f"MCS {m.group(1)}" if m else ""
    return row["edition"]


def corrections_for(edition: str, corrections: list[dict]) -> list[dict]:
    out = []
    for c in corrections:
        key = c["row_key"]
        if c["table"] == "prices":
            if re.match(rf"usgs_mcs_{edition.split()[-1]}_ree", c["source_id"] or ""):
                out.append(c)
        elif key.split(" | ")[0] == edition:
            out.append(c)
    return out


def apply_corrections(table: str, rows: list[dict], corrections: list[dict]) -> list[dict]:
    """Apply the field corrections of kind ``revision`` (whole added rows stay in the curated table)."""
    by_key = {row_key(table, r): r for r in rows}
    for c in corrections:
        if c["table"] != table or c["field"] == "*":
            continue
        row = by_key.get(c["row_key"])
        if row is None:
            raise ImportProblem("corrections.csv", f"{c['correction_id']}: no derived {table} row {c['row_key']!r}")
        if row[c["field"]] != c["release_value"]:
            raise ImportProblem("corrections.csv", f"{c['correction_id']}: the release gives {row[c['field']]!r} for "
                                                   f"{c['field']}, not {c['release_value']!r}")
        row[c["field"]] = c["curated_value"]
        if c["field"] in ("value_t_reo", "bound"):
            status, value, bound = row["status"], row["value_t_reo"], row["bound"]
            row["source_text"] = re.sub(r": [^:]*$", ": " + _printed(status, float(value) if value else None, bound),
                                        row["source_text"])
    return rows


def derive(ed: Edition, corrections: list[dict] | None = None) -> dict[str, list[dict]]:
    """The edition's curated USGS rows: the releases' rows with the edition's corrections applied."""
    out = derive_release(ed)
    mine = corrections_for(ed.name, corrections or [])
    for table in DERIVED_TABLES:
        out[table] = apply_corrections(table, out[table], mine)
    return out


def check_corrections(corrections: list[dict], raw_root: Path) -> list[str]:
    """Problems with corrections whose authority file is frozen: the file is missing, or its text lacks source_text."""
    problems = []
    texts: dict[str, str] = {}
    for c in corrections:
        name = c.get("authority_file") or ""
        if not name:
            continue
        path = raw_root / name
        if name not in texts:
            texts[name] = _plain_text(path) if path.is_file() else None
        if texts[name] is None:
            problems.append(f"corrections.csv: {c['correction_id']}: authority file data/raw/{name} not found")
        elif _squash(c["source_text"]) not in texts[name]:
            problems.append(f"corrections.csv: {c['correction_id']}: source_text not found in data/raw/{name}")
    return problems


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')).strip()


def _plain_text(path: Path) -> str:
    if path.suffix.lower() == ".pdf":
        from pypdf import PdfReader

        text = "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)
    else:
        text = path.read_bytes().decode("utf-8", errors="replace")
    return _squash(text)


# ---------------------------------------------------------------------------------------------
# Revisions between editions and within an edition
# ---------------------------------------------------------------------------------------------

_COUNTRY_SLUG = {"United States": "us", WORLD: "world", "Burma (Myanmar)": "burma"}
_PRICE_SLUG = {"NdPr oxide": "ndpr_oxide", "Dysprosium oxide": "dy_oxide", "Terbium oxide": "tb_oxide"}


def _slug(country: str) -> str:
    return _COUNTRY_SLUG.get(country, re.sub(r"[^a-z0-9]+", "_", country.lower()).strip("_"))


def _label(ed_label: str, year: int | None, estimated: bool) -> str:
    return f"{ed_label} ({year}e)" if estimated and year is not None else ed_label


def revisions_between(old: Edition, old_rows: dict, new: Edition, new_rows: dict) -> list[dict]:
    """Revision rows for every quantity both editions give with different values or bounds."""
    out = []
    o, n = old.slug, new.slug

    def add(rid, quantity, unit, osrc, olab, oval, obound, nsrc, nlab, nval, nbound, note):
        out.append({"revision_id": rid, "quantity": quantity, "unit": unit, "old_source_id": osrc, "old_label": olab,
                    "old_value": oval, "old_bound": obound, "new_source_id": nsrc, "new_label": nlab,
                    "new_value": nval, "new_bound": nbound, "note": note})

    reported = lambda rows: [r for r in rows if r["status"] == "reported"]  # noqa: E731
    osup, nsup = reported(old_rows["usgs_country_supply"]), reported(new_rows["usgs_country_supply"])
    oprod = {(r["country"], r["year"]): r for r in osup if r["measure"] == "mine_production"}
    for r in nsup:
        if r["measure"] != "mine_production" or (r["country"], r["year"]) not in oprod:
            continue
        p = oprod[(r["country"], r["year"])]
        if (p["value_t_reo"], p["bound"]) != (r["value_t_reo"], r["bound"]):
            y = int(r["year"])
            add(f"{o}_{n}_production_{y}_{_slug(r['country'])}", f"{r['country']} mine production {y}", "t REO",
                p["source_id"], _label(old.label, y, p["estimated"] == "true"), p["value_t_reo"], p["bound"],
                r["source_id"], _label(new.label, y, r["estimated"] == "true"), r["value_t_reo"], r["bound"],
                f"{old.name} printed {_printed('reported', float(p['value_t_reo']), p['bound'])} for {y}; "
                f"{new.name} prints {_printed('reported', float(r['value_t_reo']), r['bound'])}.")
    ores = {r["country"]: r for r in osup if r["measure"] == "reserves"}
    for r in nsup:
        if r["measure"] != "reserves" or r["country"] not in ores:
            continue
        p = ores[r["country"]]
        if (p["value_t_reo"], p["bound"]) != (r["value_t_reo"], r["bound"]):
            who = "World" if r["country"] == WORLD else r["country"]
            add(f"{o}_{n}_{_slug(r['country'])}_reserves", f"{who} rare-earth reserves", "t REO",
                p["source_id"], old.label, p["value_t_reo"], p["bound"], r["source_id"], new.label,
                r["value_t_reo"], r["bound"],
                f"Between editions: {_printed('reported', float(p['value_t_reo']), p['bound'])} in {old.name}, "
                f"{_printed('reported', float(r['value_t_reo']), r['bound'])} in {new.label}.")
    onir = {(r["commodity"], r["year_end"]): r for r in old_rows["usgs_us_imports"] if r["measure"] == "net_import_reliance"}
    for r in new_rows["usgs_us_imports"]:
        p = onir.get((r["commodity"], r["year_end"]))
        if r["measure"] != "net_import_reliance" or p is None or not p["value_pct"] or not r["value_pct"]:
            continue
        if (p["value_pct"], p["bound"]) != (r["value_pct"], r["bound"]):
            y = int(r["year_end"])
            add(f"{o}_{n}_nir_{y}", f"U.S. net import reliance, {r['commodity']}, {y}", "% of apparent consumption",
                p["source_id"], _label(old.label, y, p["estimated"] == "true"), p["value_pct"], p["bound"],
                r["source_id"], _label(new.label, y, r["estimated"] == "true"), r["value_pct"], r["bound"],
                f"{old.name} printed {_printed('reported', float(p['value_pct']), p['bound'])} for {y}; "
                f"{new.name} prints {_printed('reported', float(r['value_pct']), r['bound'])}.")
    oprice = {(r["commodity"], r["year"]): r for r in old_rows["prices"]}
    for r in new_rows["prices"]:
        p = oprice.get((r["commodity"], r["year"]))
        if p is None or p["price_low_usd_per_kg"] == r["price_low_usd_per_kg"]:
            continue
        y = int(r["year"])
        purity = r["purity"].replace(" minimum", " min")
        add(f"{o}_{n}_{_PRICE_SLUG.get(r['commodity'], _slug(r['commodity']))}_price_{y}",
            f"{r['commodity']}{f' ({purity})' if purity else ''} annual average price, {y}", "USD/kg",
            p["source_id"], _label(old.label, y, p["estimated"] == "true"), p["price_low_usd_per_kg"], "=",
            r["source_id"], _label(new.label, y, r["estimated"] == "true"), r["price_low_usd_per_kg"], "=",
            f"{old.name} printed {p['price_low_usd_per_kg']} for {y}; {new.name} prints {r['price_low_usd_per_kg']}.")
    return out


def revisions_within(ed: Edition, corrections: list[dict], release_version: str = "1.0") -> list[dict]:
    """Revision rows for the corrections that change a value within the edition (v1.0 release -> later version)."""
    out = []
    for c in corrections_for(ed.name, corrections):
        if c["kind"] != "revision" or c["table"] != "usgs_country_supply" or c["field"] != "value_t_reo":
            continue
        _ed, _v, country, measure, _year = c["row_key"].split(" | ")
        bound = ">" if country == WORLD and measure == "reserves" else "="
        who = "World" if country == WORLD else country
        what = "rare-earth reserves" if measure == "reserves" else f"mine production {_year}"
        v_old, v_new = release_version.replace(".", ""), c["version"].replace(".", "")
        out.append({
            "revision_id": f"{ed.slug}_v{v_old}_v{v_new}_{_slug(country)}_{measure if measure != 'reserves' else 'reserves'}",
            "quantity": f"{who} {what} ({ed.name})", "unit": "t REO",
            "old_source_id": c["source_id"], "old_label": f"{ed.name} v{release_version}", "old_value": c["release_value"],
            "old_bound": bound, "new_source_id": c["source_id"], "new_label": f"{ed.name} v{c['version']}",
            "new_value": c["curated_value"], "new_bound": bound,
            "note": f"Revised within the edition in version {c['version']}; the data release (v{release_version}) still "
                    f"holds {_printed('reported', float(c['release_value']), bound)}.",
        })
    return out


# ---------------------------------------------------------------------------------------------
# Frozen editions in a data folder
# ---------------------------------------------------------------------------------------------


def raw_root(data: Path) -> Path:
    return Path(data) / "raw"


def frozen_editions(data: Path) -> dict[str, Path]:
    """Edition name -> folder, for every folder under ``data/raw`` whose files carry manifests."""
    out = {}
    root = raw_root(data)
    if not root.is_dir():
        return out
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for m in sorted(folder.glob("*" + MANIFEST_SUFFIX)):
            try:
                out.setdefault(json.loads(m.read_text(encoding="utf-8"))["edition"], folder)
            except (json.JSONDecodeError, KeyError, UnicodeDecodeError):
                continue
    return out


def read_csv_rows(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def load_corrections(data: Path) -> list[dict]:
    path = Path(data) / "corrections.csv"
    return read_csv_rows(path)[1] if path.is_file() else []


def derive_all(data: Path) -> tuple[dict[str, Edition], dict[str, dict[str, list[dict]]], list[dict]]:
    """Every frozen edition of a data folder, derived with its corrections; and all revision rows between and within."""
    corrections = load_corrections(data)
    editions = {name: read_edition(folder) for name, folder in frozen_editions(data).items()}
    rows = {name: derive(ed, corrections) for name, ed in editions.items()}
    revisions = []
    names = sorted(editions, key=lambda n: int(n.split()[-1]))
    for old, new in zip(names, names[1:]):
        revisions += revisions_between(editions[old], rows[old], editions[new], rows[new])
    for name in names:
        revisions += revisions_within(editions[name], corrections)
    return editions, rows, revisions


def newest_prices(rows_by_edition: dict[str, dict[str, list[dict]]]) -> list[dict]:
    """USGS price rows as prices.csv holds them: for each price_id, the newest edition's row."""
    best: dict[str, tuple[int, dict]] = {}
    for name, rows in rows_by_edition.items():
        year = int(name.split()[-1])
        for r in rows["prices"]:
            if r["price_id"] not in best or best[r["price_id"]][0] < year:
                best[r["price_id"]] = (year, r)
    return [r for _, r in best.values()]


# ---------------------------------------------------------------------------------------------
# Writing an edition into a data folder (``rare-earths import``)
# ---------------------------------------------------------------------------------------------

_COMPARED = {t: [c for c in TABLES[t].column_names if c != "note"] for t in DERIVED_TABLES + ("revisions",)}


def added_keys(corrections: list[dict], table: str) -> set[str]:
    """Keys of curated rows that the data releases lack (corrections with field '*')."""
    return {c["row_key"] for c in corrections if c["table"] == table and c["field"] == "*"}


def _usgs_edition_of_price(row: dict) -> int | None:
    m = re.match(r"usgs_mcs_(\d{4})_ree", row.get("source_id") or "")
    return int(m.group(1)) if m else None


@dataclass
class Plan:
    """What an import would write: table -> (header, rows), the files to freeze, and messages."""

    tables: dict[str, tuple[list[str], list[dict]]] = field(default_factory=dict)
    freeze: list[tuple[Path, Path]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def _merge(existing: list[dict], derived: list[dict], key, replace) -> list[dict]:
    """Existing rows with ``replace(row)`` true are replaced by the derived rows (notes kept by key)."""
    notes = {key(r): r.get("note", "") for r in existing if replace(r)}
    kept = [r for r in existing if not replace(r)]
    new = []
    for r in derived:
        r = dict(r)
        if key(r) in notes and notes[key(r)]:
            r["note"] = notes[key(r)]
        new.append(r)
    return kept + new


def plan_import(ed: Edition, data: Path, force: bool = False) -> Plan:
    """Everything ``rare-earths import`` would write for ``ed`` into ``data``; raises :class:`ImportProblem`."""
    data = Path(data)
    plan = Plan()
    corrections = load_corrections(data)
    derived = derive(ed, corrections)
    # The previous edition: the newest frozen one older than this.
    frozen = {n: f for n, f in frozen_editions(data).items() if n != ed.name}
    older = sorted((n for n in frozen if int(n.split()[-1]) < ed.year), key=lambda n: int(n.split()[-1]))
    revisions = revisions_within(ed, corrections)
    if older:
        prev = read_edition(frozen[older[-1]])
        revisions = revisions_between(prev, derive(prev, corrections), ed, derived) + revisions
        plan.messages.append(f"revisions against {prev.name} (frozen in {frozen[older[-1]].relative_to(data)})")
    else:
        plan.messages.append("no earlier frozen edition: no revision rows between editions")

    for table in ("usgs_country_supply", "usgs_us_imports"):
        header, rows = read_csv_rows(data / f"{table}.csv")
        extra = added_keys(corrections, table)
        mine = [r for r in rows if r["edition"] == ed.name and row_key(table, r) not in extra]
        if mine and not force:
            raise ImportProblem(data / f"{table}.csv", f"already holds {len(mine)} {ed.name} row(s); pass --force to "
                                                       "replace them with the derived rows (their notes are kept)")
        merged = _merge(rows, derived[table], lambda r, t=table: row_key(t, r),
                        lambda r, t=table: r["edition"] == ed.name and row_key(t, r) not in extra)
        plan.tables[table] = (header, merged)
        plan.messages.append(f"{table}.csv: {len(derived[table])} {ed.name} row(s)"
                             + (f" (replacing {len(mine)})" if mine else ""))

    header, rows = read_csv_rows(data / "prices.csv")
    by_id = {r["price_id"]: r for r in rows}
    replace_ids, superseded = set(), 0
    new_prices = []
    for r in derived["prices"]:
        old = by_id.get(r["price_id"])
        if old is None:
            new_prices.append(r)
            continue
        year = _usgs_edition_of_price(old)
        if year is None:
            raise ImportProblem(data / "prices.csv", f"price_id {r['price_id']} belongs to source {old['source_id']}, "
                                                     "not to a USGS edition: rename one of them")
        if year > ed.year:
            continue  # a newer edition's value stays
        if year == ed.year and not force:
            raise ImportProblem(data / "prices.csv", f"already holds {ed.name} price {r['price_id']}; pass --force to "
                                                     "replace the edition's rows")
        superseded += year < ed.year
        replace_ids.add(r["price_id"])
        new_prices.append(r)
    kept_notes = {i: by_id[i]["note"] for i in replace_ids if by_id[i].get("note") and _usgs_edition_of_price(by_id[i]) == ed.year}
    for r in new_prices:
        if r["price_id"] in kept_notes:
            r["note"] = kept_notes[r["price_id"]]
    merged = [r for r in rows if r["price_id"] not in replace_ids]
    # keep a replaced row's position
    order = [r["price_id"] for r in rows]
    merged = rows[:]
    for r in new_prices:
        if r["price_id"] in order:
            merged[order.index(r["price_id"])] = r
        else:
            merged.append(r)
    plan.tables["prices"] = (header, merged)
    plan.messages.append(f"prices.csv: {len(new_prices)} {ed.name} USGS price row(s)"
                         + (f", {superseded} replacing an older edition's (kept in revisions.csv)" if superseded else ""))

    header, rows = read_csv_rows(data / "revisions.csv")
    by_id = {r["revision_id"]: r for r in rows}
    for r in revisions:
        old = by_id.get(r["revision_id"])
        if old is not None and not force and any(old[c] != r[c] for c in _COMPARED["revisions"]):
            raise ImportProblem(data / "revisions.csv", f"revision {r['revision_id']} exists with other values; pass "
                                                        "--force to replace it (its note is kept)")
        if old is not None and old.get("note"):
            r["note"] = old["note"]
    ids = {r["revision_id"] for r in revisions}
    order = [r["revision_id"] for r in rows]
    merged = [r for r in rows]
    for r in revisions:
        if r["revision_id"] in order:
            merged[order.index(r["revision_id"])] = r
        else:
            merged.append(r)
    plan.tables["revisions"] = (header, merged)
    plan.messages.append(f"revisions.csv: {len(revisions)} revision row(s), {len(ids - set(order))} new")

    header, rows = read_csv_rows(data / "sources.csv")
    have = {r["source_id"] for r in rows}
    needed = sorted({r["source_id"] for t in DERIVED_TABLES for r in derived[t]} - have)
    for sid in needed:
        rows.append(_source_row(ed, sid, header))
        plan.messages.append(f"sources.csv: added {sid}, generated from the manifests: check its title and citation, "
                             "then run scripts/generate.py")
    if needed:
        plan.tables["sources"] = (header, rows)

    root = raw_root(data)
    for f in ed.files:
        if root in f.path.resolve().parents:
            continue
        target = root / f"usgs-mcs-{ed.year}" / f.name
        for src, dst in ((f.path, target), (f.path.with_name(f.name + MANIFEST_SUFFIX), target.with_name(target.name + MANIFEST_SUFFIX))):
            if dst.exists() and dst.read_bytes() != src.read_bytes() and not force:
                raise ImportProblem(dst, "a different file is already frozen here; pass --force to replace it")
            plan.freeze.append((src, dst))
    if plan.freeze:
        plan.messages.append(f"froze {len(plan.freeze) // 2} file(s) with their manifests in {(root / f'usgs-mcs-{ed.year}').relative_to(data)}")
    return plan


def _source_row(ed: Edition, source_id: str, header: list[str]) -> dict:
    heavy = source_id.endswith("_heavy")
    chapter = [f for f in ed.files if f.manifest["layout"] == "pdf"
               and (("heavy" in f.name.lower()) == heavy)]
    release = ed.data_files()[0].manifest
    m = chapter[0].manifest if chapter else release
    title = f"Rare earths{' (heavy)' if heavy else ''}, in Mineral Commodity Summaries {ed.year}"
    url = m["url"]
    row = {c: "" for c in header}
    row.update({
        "source_id": source_id, "producer": "U.S. Geological Survey", "producer_short": "USGS", "title": title,
        "date_published": m["date_published"], "date_precision": "day", "edition": ed.name, "version": ed.version,
        "kind": "official_statistics", "url": url, "doi": release.get("doi", ""), "licence": m["licence"],
        "date_accessed": m["date_retrieved"], "bibtex_type": "techreport",
        "citation": f"U.S. Geological Survey, {ed.year}, {title} (version {ed.version}): U.S. Geological Survey, {url}.",
        "note": "Generated by rare-earths import from the manifests of the frozen files; check title, date and citation.",
    })
    return row


def write_plan(plan: Plan, data: Path) -> None:
    """Write a plan into ``data`` after checking the result in a scratch copy (nothing is written if it fails)."""
    import shutil
    import tempfile

    from rare_earths.data.checks import validate_dataset

    data = Path(data)
    with tempfile.TemporaryDirectory(prefix="rare-earths-import-") as tmp:
        scratch = Path(tmp) / "data"
        shutil.copytree(data, scratch, ignore=shutil.ignore_patterns("raw"))
        for table, (header, rows) in plan.tables.items():
            _write_csv(scratch / f"{table}.csv", header, rows)
        problems = validate_dataset(scratch)
        if problems:
            raise ImportProblem(problems[0].file, f"the imported data would not be valid: {problems[0]} "
                                                  f"({len(problems)} problem(s)); nothing was written")
        for src, dst in plan.freeze:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
        for table in plan.tables:
            shutil.copyfile(scratch / f"{table}.csv", data / f"{table}.csv")


def _write_csv(path: Path, header: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\r\n", extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({c: r.get(c, "") for c in header})
