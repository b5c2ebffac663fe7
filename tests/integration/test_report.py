"""`inkstream report` renders in headless Chromium with no CJK font on the system: charts drawn,
labels present, every Chinese character drawn with a real glyph.

How missing glyphs are detected: Chromium is started with ``FONTCONFIG_FILE`` pointing at a
fontconfig file that reads the system's font folders but rejects every font covering Chinese,
Japanese or Korean (checked with ``fc-list :lang=zh-cn``), so the browser has Latin fonts only,
whatever the machine has installed (CI installs fonts-wqy-microhei; that must not hide a page that
relies on it). Through the DevTools protocol the test opens the page, waits (wall clock) for its
load event and ``document.fonts.ready``, then runs a check in the page: every distinct CJK
character of the page's text is drawn on a canvas in the body's font, and so is one private-use
character (U+E000) that no font maps, which comes out as the missing-glyph box ("tofu") or as
nothing. A character whose pixels equal the tofu's, or that leaves the canvas empty, has no
glyph. Pixels rather than widths: a CJK glyph and a tofu box are both one em wide, so widths
cannot tell them apart. The same check on the page rendered without its embedded font must find
missing glyphs, which proves the check can fail under this set-up (the negative control). Then a
screenshot of the page is checked for the bars and for drawn text.

Two set-ups that looked simpler and were flaky on this machine: ``--screenshot``/``--dump-dom``
end the page on a timer (virtual time or ``--timeout``), which can cancel a web font still being
decoded; and a fontconfig with no font at all made Chromium fail to load web fonts (even a static
TrueType one) in about half the runs, which a real machine, Latin fonts installed, never does.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import websockets.sync.client as websockets_sync
from PIL import Image, ImageStat

from pipeline.config import Settings
from pipeline.indexing import client
from pipeline.ops import report
from pipeline.runner.backfill import run_issue

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

GLYPH_CHECK = """(async () => {
  const family = getComputedStyle(document.body).fontFamily;
  let text = '';
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    if (!['SCRIPT', 'STYLE'].includes(walk.currentNode.parentNode.nodeName)) text += walk.currentNode.data;
  }
  const chars = [...new Set([...text].filter(c => /[\\u3000-\\u9fff\\uff00-\\uffef]/.test(c)))];
  await document.fonts.load('28px ' + family, chars.join(''));
  await document.fonts.ready;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 40;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  ctx.font = '28px ' + family;
  ctx.textBaseline = 'top';
  const alpha = () => ctx.getImageData(0, 0, 40, 40).data.filter((_, i) => i % 4 === 3).join(',');
  const pixels = ch => {
    ctx.clearRect(0, 0, 40, 40);
    if (ch) ctx.fillText(ch, 4, 4);
    return alpha();
  };
  const tofu = pixels('\\ue000');
  const blank = pixels('');
  const missing = chars.filter(ch => { const p = pixels(ch); return p === tofu || p === blank; });
  return JSON.stringify({checked: chars.length, missing: missing,
                         fonts: [...document.fonts].map(f => f.family + ':' + f.status)});
})()"""


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium missing: `make tools` installs it")
        pytest.skip("chromium not installed (make tools)")
    return exe


def _no_cjk_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose fontconfig sees the system's fonts except every font that covers
    Chinese, Japanese or Korean (a machine with no CJK font; CI's fonts-wqy-microhei is hidden)."""
    conf = tmp_path / "fonts.conf"
    rejected = "".join(
        f'<pattern><patelt name="lang"><string>{lang}</string></patelt></pattern>'
        for lang in ("zh-cn", "zh-tw", "ja", "ko")
    )
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
        "<dir>/usr/share/fonts</dir><dir>/usr/local/share/fonts</dir>"
        f"<cachedir>{tmp_path / 'fc-cache'}</cachedir>"
        f"<selectfont><rejectfont>{rejected}</rejectfont></selectfont></fontconfig>\n",
        encoding="utf-8",
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    if fc_list := shutil.which("fc-list"):
        cjk = subprocess.run([fc_list, ":lang=zh-cn"], capture_output=True, text=True, env=env, timeout=60).stdout
        assert not cjk.strip(), f"fontconfig still offers a CJK font: {cjk[:200]}"
    return env


class Browser:
    """Headless Chromium driven over the DevTools protocol (one page)."""

    def __init__(self, exe: str, profile: Path, env: dict[str, str], size: tuple[int, int]) -> None:
        self.proc = subprocess.Popen(
            [
                exe,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={size[0]},{size[1]}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and port_file.read_text().strip()):
            assert self.proc.poll() is None and time.monotonic() < deadline, "chromium did not start"
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            pages = [t for t in json.load(resp) if t["type"] == "page"]
        self._connection = websockets_sync.connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=30)
        self.ws = self._connection.__enter__()
        self.next_id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=120))
            if msg.get("id") == self.next_id:
                assert "error" not in msg, msg
                return msg["result"]

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        details = result.get("exceptionDetails", {})
        assert not details, details.get("exception", {}).get("description") or details
        return result["result"].get("value")

    def open(self, uri: str) -> None:
        """Navigate and wait for the load event and the page's fonts."""
        self.call("Page.navigate", url=uri)
        deadline = time.monotonic() + 60
        while not self.evaluate(f"document.URL === {json.dumps(uri)} && document.readyState === 'complete'"):
            assert time.monotonic() < deadline, "page did not load"
            time.sleep(0.1)
        self.evaluate("document.fonts.ready.then(() => document.fonts.status)")

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))

    def close(self) -> None:
        try:
            self._connection.__exit__(None, None, None)
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def test_report_is_drawn_in_a_real_browser_without_system_fonts(settings: Settings, tmp_path: Path) -> None:
    exe = _chromium()
    for day in (18, 19, 20):  # three issue dates: trends need more than one
        run_issue(settings, "grrb", date(2026, 11, day), f"run-report-{day}")
    es = client.make_client(settings.es)
    try:
        data = report.gather(es, settings.es)
    finally:
        es.close()
    assert data["points"] and data["pairs"] and data["metrics"]
    page_html = report.render(data)
    assert "@font-face" in page_html and "<script" not in page_html
    page, control = tmp_path / "report.html", tmp_path / "control.html"
    page.write_text(page_html, encoding="utf-8")
    control.write_text(report.render(data, embed_font=False), encoding="utf-8")

    browser = Browser(exe, tmp_path / "profile", _no_cjk_env(tmp_path), (1400, 2400))
    try:
        browser.open(page.as_uri())
        dom = browser.evaluate("document.documentElement.outerHTML")
        checked = json.loads(browser.evaluate(GLYPH_CHECK))
        shot = tmp_path / "report.png"
        browser.screenshot(shot)
        browser.open(control.as_uri())
        unchecked = json.loads(browser.evaluate(GLYPH_CHECK))
    finally:
        browser.close()

    for label in (
        "Articles per day",
        "Top persons",
        "Top organisations",
        "Entity trends",
        "Places on the map",
        "Named together",
        "Metrics by what is counted",
        "Latest articles",
        "2026-11-19",
        data["persons"][0][0],
        data["metrics"][0]["unit"],
    ):
        assert label in dom, label
    assert "Money reported" not in dom  # no sum across unrelated subjects
    assert dom.count("<circle") >= 5  # trend points and map points

    assert checked["checked"] > 50, checked
    assert checked["missing"] == [], f"characters drawn as tofu: {''.join(checked['missing'])}"
    assert any(f.startswith(f"{report.FONT_FAMILY}:loaded") for f in checked["fonts"]), checked["fonts"]
    assert len(unchecked["missing"]) > unchecked["checked"] // 2, "with no font the check must see tofu"

    if target := os.environ.get("REPORT_SCREENSHOT_COPY"):  # to look at it: REPORT_SCREENSHOT_COPY=/tmp/r.png
        shutil.copy(shot, target)
    image = Image.open(shot).convert("RGB")
    stats = ImageStat.Stat(image)
    assert max(stats.stddev) > 10, "screenshot is blank"
    colours = image.getcolors(maxcolors=1 << 20) or []
    bar_blue = sum(n for n, rgb in colours if rgb == (0x2F, 0x6D, 0xB5))
    assert bar_blue > 500, "the articles-per-day bars are not drawn"
    dark = sum(n for n, rgb in colours if max(rgb) < 0x50)  # the page's text colour is #222
    assert dark > 2000, "no text drawn"
