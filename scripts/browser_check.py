"""Check a built book in headless Chromium, offline: charts render, nothing loads from the network.

    .venv/bin/python scripts/browser_check.py _build/html [--screenshots test-artifacts/screenshots] [--search WORD]

Prints one line per problem and exits 1 if there is any. :func:`check_site` is the reusable part.

How: Chromium (Debian package ``chromium``) runs headless with DNS disabled
(``--host-resolver-rules="MAP * ~NOTFOUND"``) and a fresh profile, driven over the Chrome DevTools
Protocol through ``--remote-debugging-pipe`` (file descriptors 3 and 4: no port, no extra Python
package). Every built page is opened from disk (file://) and:

* every request the page makes (``Network.requestWillBeSent``) must be file:, data:, blob: or about:;
* no console error, uncaught exception or failed load, except known harmless ones
  (:data:`HARMLESS_CONSOLE`: Jupyter Book 1 declares ``THEBE_JS_URL`` twice);
* every chart container (the div each Altair/vega-embed script targets, and every ``.vega-embed``)
  holds an ``svg.marks`` (the book renders charts as SVG) and no error text;
* every ``<a download href="data:...">`` link downloads a file with that name and content;
* ``search.html?q=WORD`` lists results.

Static checks need no browser: no ``<script src>``/``<link href>``/``<img src>`` (etc.) of any built
HTML file points to the network; chart pages include the local Vega bundle, other pages do not.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
from vega_offline import BUNDLE_STEM, external_loads  # noqa: E402

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-extensions", "--disable-default-apps", "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars", "--mute-audio",
    "--password-store=basic", "--use-mock-keychain", "--window-size=1280,900",
]
#: Console messages that are known and harmless (regexes).
HARMLESS_CONSOLE = [
    r"THEBE_JS_URL",  # JB1 adds sphinx-thebe's `const THEBE_JS_URL` twice on a page
    # pydata-sphinx-theme on a first visit (empty localStorage) when html_theme_options has no
    # default_mode: it resets to "auto", which is what it would use anyway.
    r"^Got invalid theme mode: \. Resetting to auto\.$",
]
#: Only on search.html opened from disk: Sphinx's search fetches each result page to show a summary;
#: browsers block fetch() between file:// URLs (CORS), so results are listed without summaries.
#: Served over HTTP the summaries load. These are not network requests.
HARMLESS_SEARCH_FROM_DISK = [
    r"^Access to fetch at 'file://[^']+\.html' from origin 'null' has been blocked by CORS policy",
    r"^Failed to load resource: net::ERR_FAILED file://\S+\.html$",
    r"^failed to load file://\S+\.html \(net::ERR_FAILED\)$",
    # the same blocked fetch, when Sphinx's summary promise reports it as uncaught (timing-dependent:
    # seen once in CI-like runs); requests that leave the machine are checked separately
    r"^Uncaught \(in promise\) TypeError: Failed to fetch$",
]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome-error:", "devtools:")

_CHART_TARGET_RES = [
    re.compile(r'class="rr-chart" id="([^"]+)"'),  # the book's Figure.chart_html
    re.compile(r"""outputDiv\.id\s*!==\s*["']([^"']+)["']"""),  # Altair universal template
    re.compile(r"""vegaEmbed\(\s*["']#([^"']+)["']"""),  # standard/other templates
]


def find_chromium() -> str | None:
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


# ------------------------------------------------------------------------------------------------
# A minimal CDP client over --remote-debugging-pipe
# ------------------------------------------------------------------------------------------------

class CDPError(RuntimeError):
    pass


class Chromium:
    """Headless Chromium driven over the DevTools pipe. Use as a context manager."""

    def __init__(self, executable: str | None = None, extra_flags: list[str] | None = None):
        self.executable = executable or find_chromium()
        if not self.executable:
            raise FileNotFoundError("chromium not found (Debian: apt-get install chromium)")
        self.profile = tempfile.mkdtemp(prefix="rr-chromium-profile-")
        to_child_r, self._to_child_w = os.pipe()
        self._from_child_r, from_child_w = os.pipe()

        def wire_fds():  # runs in the child before exec: CDP reads fd 3, writes fd 4
            # Move both ends out of the way first (either may already be fd 3 or 4), then place them;
            # dup2 onto the same fd would keep close-on-exec, so set inheritable explicitly.
            high_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        cmd = [self.executable, *CHROMIUM_FLAGS, *(extra_flags or []), f"--user-data-dir={self.profile}",
               "--remote-debugging-pipe", "about:blank"]
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr,
                                     preexec_fn=wire_fds, close_fds=False)
        os.close(to_child_r)
        os.close(from_child_w)
        self._next_id = 0
        self._responses: dict[int, dict] = {}
        self._events: list[dict] = []
        self._inbox: queue.Queue = queue.Queue()
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    # -- plumbing --
    def _read_loop(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_child_r, 1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                self._inbox.put(None)
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                try:
                    self._inbox.put(json.loads(raw))
                except ValueError:
                    pass

    def _pump(self, timeout: float) -> bool:
        try:
            msg = self._inbox.get(timeout=max(timeout, 0.001))
        except queue.Empty:
            return False
        if msg is None:
            raise CDPError(f"chromium exited: {self.stderr_text()[-2000:]}")
        if "id" in msg:
            self._responses[msg["id"]] = msg
        else:
            self._events.append(msg)
        return True

    def stderr_text(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> dict:
        self._next_id += 1
        mid = self._next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while mid not in self._responses:
            if time.monotonic() > deadline:
                raise CDPError(f"timeout waiting for {method}")
            self._pump(deadline - time.monotonic())
        resp = self._responses.pop(mid)
        if "error" in resp:
            raise CDPError(f"{method}: {resp['error']}")
        return resp.get("result", {})

    def events(self, session: str | None = None, method: str | None = None) -> list[dict]:
        while self._pump(0.001):
            pass
        return [e for e in self._events
                if (session is None or e.get("sessionId") == session) and (method is None or e["method"] == method)]

    def wait_event(self, method: str, session: str | None = None, timeout: float = 30, since: int = 0) -> dict | None:
        deadline = time.monotonic() + timeout
        while True:
            for e in self._events[since:]:
                if e["method"] == method and (session is None or e.get("sessionId") == session):
                    return e
            if time.monotonic() > deadline:
                return None
            self._pump(min(0.2, max(deadline - time.monotonic(), 0.001)))

    def evaluate(self, session: str, expression: str, timeout: float = 30):
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                        session, timeout=timeout)
        if "exceptionDetails" in res:
            raise CDPError(f"evaluate failed: {res['exceptionDetails'].get('text')} {expression[:80]}")
        return res.get("result", {}).get("value")

    def new_page(self) -> str:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.send(f"{domain}.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session)
        self._targets = getattr(self, "_targets", {})
        self._targets[session] = target
        return session

    def close_page(self, session: str) -> None:
        target = self._targets.pop(session, None)
        if target:
            self.send("Target.closeTarget", {"targetId": target})

    def navigate(self, session: str, url: str, timeout: float = 30) -> None:
        since = len(self._events)
        res = self.send("Page.navigate", {"url": url}, session)
        if res.get("errorText"):
            raise CDPError(f"navigate {url}: {res['errorText']}")
        if not self.wait_event("Page.loadEventFired", session, timeout, since=since):
            raise CDPError(f"timeout loading {url}")

    def screenshot(self, session: str, path: Path, max_height: int = 6000) -> None:
        metrics = self.send("Page.getLayoutMetrics", session=session)
        size = metrics.get("cssContentSize") or metrics.get("contentSize")
        width = int(min(size["width"], 1280)) or 1280
        height = int(min(size["height"], max_height)) or 900
        shot = self.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        }, session, timeout=60)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                try:
                    self.send("Browser.close", timeout=5)
                except Exception:
                    pass
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=5)
        finally:
            for fd in (self._to_child_w, self._from_child_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._stderr.close()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> "Chromium":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ------------------------------------------------------------------------------------------------
# Checks
# ------------------------------------------------------------------------------------------------

def html_pages(html_dir: Path) -> list[Path]:
    skip = {"_static", "_sources", "_images", "_downloads", ".doctrees"}
    pages = [p for p in html_dir.rglob("*.html") if not skip & set(p.relative_to(html_dir).parts)]
    # Jupyter Book writes index.html as an instant redirect to the root chapter: nothing to check there,
    # and the navigation it triggers races the checks.
    return sorted(p for p in pages if not _is_redirect(p))


def _is_redirect(page: Path) -> bool:
    text = page.read_text(encoding="utf-8", errors="replace")
    return len(text) < 2000 and 'http-equiv="Refresh"' in text.replace("refresh", "Refresh")


def chart_targets(page_html: str) -> list[str]:
    """Ids of the divs the page's chart scripts render into."""
    ids: list[str] = []
    for rx in _CHART_TARGET_RES:
        ids += rx.findall(page_html)
    return list(dict.fromkeys(ids))


def static_problems(html_dir: Path) -> list[str]:
    """Checks that need no browser."""
    problems: list[str] = []
    for page in html_pages(html_dir):
        rel = page.relative_to(html_dir).as_posix()
        text = page.read_text(encoding="utf-8", errors="replace")
        for url in dict.fromkeys(external_loads(text)):
            problems.append(f"{rel}: loads {url} from the network")
        has_chart = bool(chart_targets(text)) or "vegaEmbed(" in text
        bundles = re.findall(rf"""<script[^>]+src=["']([^"']*{BUNDLE_STEM}-[^"'?]+\.js)""", text)
        if has_chart and not bundles:
            problems.append(f"{rel}: has charts but does not load the local Vega bundle ({BUNDLE_STEM}-*.js)")
        if not has_chart and bundles:
            problems.append(f"{rel}: loads the Vega bundle but has no chart")
        for src in bundles:
            target = (page.parent / src).resolve()
            if not target.is_file():
                problems.append(f"{rel}: Vega bundle {src} is missing")
            else:
                with target.open(encoding="utf-8") as fh:
                    head = fh.read(4096)
                if "(function () {" not in head:
                    problems.append(f"{rel}: Vega bundle {src} is not wrapped in a function (its globals break search)")
    return problems


_STATUS_JS = r"""
(() => {
  const ids = %s;
  const seen = new Set();
  const out = [];
  const look = (el, id) => {
    const err = el ? el.querySelector('.error') : null;
    out.push({id: id, found: !!el, svg: !!(el && el.querySelector('svg.marks')),
              canvas: !!(el && el.querySelector('canvas.marks')),
              error: err ? err.innerText.slice(0, 300) : null});
  };
  for (const id of ids) { const el = document.getElementById(id); if (el) seen.add(el); look(el, id); }
  document.querySelectorAll('.vega-embed').forEach((el, i) => {
    if (!seen.has(el)) look(el, el.id || ('.vega-embed #' + i));
  });
  return out;
})()
"""

_DOWNLOADS_JS = r"""
Array.from(document.querySelectorAll('a[download][href^="data:"]')).map((a, i) => {
  a.setAttribute('data-rr-check', String(i));
  return {i: i, name: a.getAttribute('download'), href: a.getAttribute('href')};
})
"""


def _decode_data_url(url: str) -> bytes:
    header, _, payload = url.partition(",")
    if header.endswith(";base64"):
        return base64.b64decode(payload)
    return urllib.parse.unquote_to_bytes(payload)


def _harmless(text: str, extra: list[str] = ()) -> bool:
    return any(re.search(rx, text) for rx in [*HARMLESS_CONSOLE, *extra])


def _console_problems(browser: Chromium, session: str, rel: str, since: int, extra_harmless: list[str] = ()) -> list[str]:
    problems: list[str] = []
    urls = {e["params"]["requestId"]: e["params"]["request"]["url"] for e in browser._events[since:]
            if e.get("sessionId") == session and e["method"] == "Network.requestWillBeSent"}
    for e in browser._events[since:]:
        if e.get("sessionId") != session:
            continue
        p = e.get("params", {})
        text = None
        if e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
        elif e["method"] == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            text = (d.get("exception") or {}).get("description") or d.get("text", "")
        elif e["method"] == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            entry = p["entry"]
            text = f"{entry.get('text', '')} {entry.get('url', '')}".strip()
        elif e["method"] == "Network.loadingFailed" and not p.get("canceled"):
            text = f"failed to load {urls.get(p.get('requestId'), '?')} ({p.get('errorText')})"
        if text is not None and not _harmless(text, extra_harmless):
            problems.append(f"{rel}: console error: {text[:300]}")
    return problems


def _wait_charts(browser: Chromium, session: str, ids: list[str], timeout: float, renderer: str) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        status = browser.evaluate(session, _STATUS_JS % json.dumps(ids)) or []
        done = all(s["found"] and (s[renderer] or s["error"]) for s in status)
        if done or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def _default_search_word(html_dir: Path) -> str | None:
    index = html_dir / "index.html"
    if not index.is_file():
        return None
    text = index.read_text(encoding="utf-8", errors="replace")
    redirect = re.search(r"""http-equiv=["']?refresh["']?[^>]*url=([^"'>\s]+)""", text, re.I)
    if redirect and (html_dir / redirect.group(1)).is_file():  # JB1 writes index.html as a redirect to the root
        text = (html_dir / redirect.group(1)).read_text(encoding="utf-8", errors="replace")
    m = re.search(r"<title>(.*?)</title>", text, re.S)
    words = re.findall(r"[A-Za-z]{4,}", m.group(1) if m else "")
    return max(words, key=len) if words else None


def check_site(html_dir: str | os.PathLike, screenshots: str | os.PathLike | None = None,
               search: str | None = None, chromium: str | None = None, renderer: str = "svg",
               chart_timeout: float = 20.0, pages: list[str] | None = None) -> list[str]:
    """Problems (one line each) with the built HTML book in ``html_dir``; empty means all good.

    ``screenshots``: folder for a full-page PNG of every page with charts and of the search page.
    ``search``: a word that must give search results (default: the longest word of the book title).
    ``renderer``: "svg" (the book's choice: each chart needs ``svg.marks``) or "canvas".
    ``pages``: only these pages (paths relative to ``html_dir``) in the browser (static checks: all).
    """
    html_dir = Path(html_dir).resolve()
    if not (html_dir / "index.html").is_file():
        return [f"{html_dir}: no index.html (not a built book?)"]
    problems = static_problems(html_dir)
    shots = Path(screenshots) if screenshots else None
    search = search or _default_search_word(html_dir)
    selected = [html_dir / p for p in pages] if pages else [p for p in html_pages(html_dir) if p.name != "search.html"]
    download_dir = Path(tempfile.mkdtemp(prefix="rr-downloads-"))
    try:
        with Chromium(chromium) as browser:
            browser.send("Browser.setDownloadBehavior",
                         {"behavior": "allow", "downloadPath": str(download_dir), "eventsEnabled": True})
            for page in selected:
                rel = page.relative_to(html_dir).as_posix()
                problems += _check_page(browser, page, rel, shots, renderer, chart_timeout, download_dir)
            if search:
                problems += _check_search(browser, html_dir, search, shots)
            else:
                problems.append("search: no search word given and none found in the book title")
    except (CDPError, FileNotFoundError) as err:
        problems.append(f"browser: {err}")
    finally:
        shutil.rmtree(download_dir, ignore_errors=True)
    return problems


def check_page(page: str | os.PathLike, screenshots: str | os.PathLike | None = None, chromium: str | None = None,
               renderer: str = "svg", chart_timeout: float = 20.0) -> list[str]:
    """Problems with one standalone HTML page (e.g. from `rare-earths run`) opened offline in Chromium."""
    page = Path(page).resolve()
    download_dir = Path(tempfile.mkdtemp(prefix="rr-downloads-"))
    try:
        with Chromium(chromium) as browser:
            browser.send("Browser.setDownloadBehavior",
                         {"behavior": "allow", "downloadPath": str(download_dir), "eventsEnabled": True})
            return _check_page(browser, page, page.name, Path(screenshots) if screenshots else None, renderer,
                               chart_timeout, download_dir)
    except (CDPError, FileNotFoundError) as err:
        return [f"browser: {err}"]
    finally:
        shutil.rmtree(download_dir, ignore_errors=True)


def _check_page(browser: Chromium, page: Path, rel: str, shots: Path | None, renderer: str,
                chart_timeout: float, download_dir: Path) -> list[str]:
    problems: list[str] = []
    text = page.read_text(encoding="utf-8", errors="replace")
    ids = chart_targets(text)
    session = browser.new_page()
    since = len(browser._events)
    try:
        browser.navigate(session, page.as_uri())
        status = _wait_charts(browser, session, ids, chart_timeout, renderer) if (ids or "vega-embed" in text) else []
        for s in status:
            if not s["found"]:
                problems.append(f"{rel}: chart container #{s['id']} not found")
            elif s["error"]:
                problems.append(f"{rel}: chart #{s['id']} shows an error: {s['error']}")
            elif not s[renderer]:
                problems.append(f"{rel}: chart #{s['id']} has no {renderer}.marks (did not render)")
        problems += _check_downloads(browser, session, rel, download_dir)
        time.sleep(0.2)  # let late console messages arrive
        browser.events()
        for e in browser._events[since:]:
            if e.get("sessionId") == session and e["method"] == "Network.requestWillBeSent":
                url = e["params"]["request"]["url"]
                if not url.startswith(LOCAL_SCHEMES):
                    problems.append(f"{rel}: request left the machine: {url}")
        problems += _console_problems(browser, session, rel, since)
        if shots and status:
            browser.screenshot(session, shots / (rel.replace("/", "__").removesuffix(".html") + ".png"))
    except CDPError as err:
        problems.append(f"{rel}: {err}")
    finally:
        browser.close_page(session)
    return problems


def _check_downloads(browser: Chromium, session: str, rel: str, download_dir: Path) -> list[str]:
    problems: list[str] = []
    links = browser.evaluate(session, _DOWNLOADS_JS) or []
    for link in links:
        expected = _decode_data_url(link["href"])
        since = len(browser._events)
        browser.evaluate(session, f"document.querySelector('a[data-rr-check=\"{link['i']}\"]').click()")
        begin = browser.wait_event("Browser.downloadWillBegin", timeout=10, since=since)
        if not begin:
            problems.append(f"{rel}: clicking the download link {link['name']!r} started no download")
            continue
        guid = begin["params"]["guid"]
        deadline = time.monotonic() + 10
        state = None
        while time.monotonic() < deadline and state not in ("completed", "canceled"):
            for e in browser.events(method="Browser.downloadProgress")[::-1]:
                if e["params"].get("guid") == guid:
                    state = e["params"].get("state")
                    break
            time.sleep(0.05)
        name = begin["params"].get("suggestedFilename")
        if state != "completed":
            problems.append(f"{rel}: download {link['name']!r} did not complete ({state})")
        elif name != link["name"]:
            problems.append(f"{rel}: download saved as {name!r}, expected {link['name']!r}")
        else:
            got = (download_dir / name).read_bytes() if (download_dir / name).is_file() else None
            if got != expected:
                problems.append(f"{rel}: downloaded {name!r} differs from the link's data")
            (download_dir / name).unlink(missing_ok=True)
    return problems


def _check_search(browser: Chromium, html_dir: Path, word: str, shots: Path | None) -> list[str]:
    page = html_dir / "search.html"
    if not page.is_file():
        return ["search.html is missing"]
    session = browser.new_page()
    since = len(browser._events)
    problems: list[str] = []
    try:
        browser.navigate(session, page.as_uri() + "?q=" + urllib.parse.quote(word))
        deadline = time.monotonic() + 15
        count = 0
        while time.monotonic() < deadline:
            count = browser.evaluate(session, "document.querySelectorAll('#search-results ul.search li').length") or 0
            if count:
                break
            time.sleep(0.1)
        if not count:
            summary = browser.evaluate(session, "(document.querySelector('#search-results')||{}).innerText||''")
            problems.append(f"search.html?q={word}: no results ({summary.strip()[:200]!r})")
        problems += _console_problems(browser, session, "search.html", since, HARMLESS_SEARCH_FROM_DISK)
        if shots:
            browser.screenshot(session, shots / "search.png", max_height=1500)
    except CDPError as err:
        problems.append(f"search.html: {err}")
    finally:
        browser.close_page(session)
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("html_dir", type=Path)
    ap.add_argument("--screenshots", type=Path, default=None)
    ap.add_argument("--search", default=None)
    args = ap.parse_args(argv)
    problems = check_site(args.html_dir, args.screenshots, args.search)
    for p in problems:
        print(p)
    print(f"browser_check: {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
