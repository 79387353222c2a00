"""The whole book as one PDF, printed offline from its built HTML pages.

    python -m rare_earths.build --pdf          # build, then print (pages link the PDF)
    python -m rare_earths.build.pdf _build/html  # print an existing build (pages link it only if built with --pdf)

Why Chromium and not LaTeX or ``--builder pdfhtml``: Jupyter Book 1's ``pdfhtml`` drives
pyppeteer, which downloads its own Chromium at run time (no network here); ``--builder latex``
needs a TeX installation of several hundred MB and redraws every chart as a static image. The
pages are already complete, offline HTML with SVG charts: Debian's ``/usr/bin/chromium``
(``--headless --print-to-pdf``, installed by ``scripts/test.sh`` when missing) prints each page
in the table of contents' order with the book's print style sheet (``_ext/static/rr-print.css``:
scroll boxes expanded, so the claims ledger prints every row; captions kept with their charts;
controls hidden), the network cut off (``--host-resolver-rules``). The charts stay vector (SVG
renderer). pypdf (pinned) joins the pages, with one bookmark per page, and sets the document's
metadata to the release, not the day it was printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import rare_earths

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Time Chromium gives a page's scripts (the charts) before it prints, in virtual milliseconds.
VIRTUAL_TIME_MS = 20000
PAGE_TIMEOUT_S = 180


class PdfError(RuntimeError):
    """The PDF could not be made; the message says why in one line."""


def pdf_name() -> str:
    """``rare-earth-rivalry-<version>.pdf`` (the name the pages' download link uses)."""
    return f"rare-earth-rivalry-{rare_earths.__version__}.pdf"


def find_chromium() -> str | None:
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def page_order(book: Path) -> list[str]:
    """The pages in reading order (``_toc.yml``: root, then each file), as paths without suffix."""
    import yaml

    toc = yaml.safe_load((book / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))
            for part in entry.get("chapters", []) if "chapters" in entry else []:
                walk([part])

    walk(toc.get("chapters"))
    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    return [p.removesuffix(".md").removesuffix(".ipynb") for p in pages]


def print_page(chromium: str, html: Path, out: Path, profile: Path) -> None:
    """Print one page to ``out`` with headless Chromium, offline."""
    args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--host-resolver-rules=MAP * ~NOTFOUND", "--mute-audio",
            f"--user-data-dir={profile}", "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
            f"--virtual-time-budget={VIRTUAL_TIME_MS}", f"--print-to-pdf={out}", html.resolve().as_uri()]
    try:
        result = subprocess.run(args, capture_output=True, text=True, timeout=PAGE_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise PdfError(f"{html}: Chromium did not print it within {PAGE_TIMEOUT_S} s") from None
    if result.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise PdfError(f"{html}: Chromium could not print it (exit {result.returncode}): {last}")


def make_pdf(html_dir: Path, book: Path, out: Path | None = None, jobs: int = 2, quiet: bool = False,
             pages: list[str] | None = None) -> Path:
    """Print every page of the built book in ``html_dir`` (or only ``pages``, in that order) and join
    them into ``out`` (default ``html_dir/<pdf_name()>``). Raises :class:`PdfError`."""
    from pypdf import PdfWriter

    html_dir, book = Path(html_dir), Path(book)
    chromium = find_chromium()
    if chromium is None:
        raise PdfError("no Chromium found (Debian: apt-get install chromium; scripts/test.sh installs it)")
    pages = list(pages) if pages is not None else page_order(book)
    missing = [p for p in pages if not (html_dir / f"{p}.html").is_file()]
    if missing:
        raise PdfError(f"{html_dir}: not built: {', '.join(p + '.html' for p in missing)} (build the book first)")
    out = Path(out) if out else html_dir / pdf_name()
    with tempfile.TemporaryDirectory(prefix="rare-earths-pdf-") as tmp:
        tmp_dir = Path(tmp)

        def one(i_page):
            i, page = i_page
            target = tmp_dir / f"{i:03d}.pdf"
            profile = tmp_dir / f"profile-{i}"
            print_page(chromium, html_dir / f"{page}.html", target, profile)
            if not quiet:
                print(f"pdf: printed {page}", file=sys.stderr, flush=True)
            return target

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            parts = list(pool.map(one, enumerate(pages)))
        writer = PdfWriter()
        for page, part in zip(pages, parts):
            start = len(writer.pages)
            writer.append(str(part))
            writer.add_outline_item(title=_page_title(html_dir / f"{page}.html") or page, page_number=start)
        release = _release_date()
        writer.add_metadata({"/Title": f"{rare_earths.BOOK_TITLE} (version {rare_earths.__version__})",
                             "/Author": f"{rare_earths.BOOK_TITLE} contributors",
                             "/Subject": "US–China rare-earth supply chains: the claims, the data, the sources",
                             "/Producer": "rare_earths.build.pdf (headless Chromium, pypdf)",
                             "/CreationDate": release, "/ModDate": release})
        partial = out.with_name(f".{out.name}.partial")
        out.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("wb") as fh:
            writer.write(fh)
        os.replace(partial, out)
    return out


def _page_title(path: Path) -> str:
    import html
    import re

    match = re.search(r"<title>(.*?)</title>", path.read_text(encoding="utf-8"), flags=re.S)
    if not match:
        return ""
    return html.unescape(re.sub(r"\s+", " ", match.group(1))).split(" — ")[0].split(" &#8212; ")[0].strip()


def _release_date() -> str:
    from rare_earths.edition import release_date

    return "D:" + release_date().replace("-", "") + "000000Z"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rare_earths.build.pdf", description="Print a built book into one PDF.")
    parser.add_argument("html", type=Path, help="the built book (…/_build/html)")
    parser.add_argument("--book", type=Path, default=Path("."), help="the book's sources (for _toc.yml; default .)")
    parser.add_argument("--out", type=Path, help=f"the PDF (default HTML/{pdf_name()})")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="pages printed at once (default 2)")
    args = parser.parse_args(argv)
    try:
        print(make_pdf(args.html, args.book, args.out, args.jobs))
    except (PdfError, FileNotFoundError) as err:
        print(f"pdf: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
