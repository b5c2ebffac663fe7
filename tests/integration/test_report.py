"""`inkstream report` renders in headless Chromium with no system font at all: charts drawn, labels
present, every Chinese character drawn with a real glyph.

How missing glyphs are detected: Chromium is started with ``FONTCONFIG_FILE`` pointing at a
fontconfig file that lists no font directory, so the browser has no system font whatever the
machine has installed (CI installs fonts-wqy-microhei; that must not hide a page that relies on
it). A small script, added to a copy of the page only for the test, waits for the page's font
to load, then draws on a canvas, in the body's font, every distinct CJK character of the visible
text and one private-use character (U+E000) that no font maps: that one is drawn as the missing-
glyph box ("tofu") or as nothing. A character whose pixels equal the tofu's, or that leaves the
canvas empty, has no glyph. Comparing pixels rather than widths matters: a CJK glyph and a tofu
box are both one em wide, so widths cannot tell them apart. The same check on the page rendered
without its embedded font must find missing glyphs, which proves the check can fail under this
set-up (the negative control).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from pipeline import report
from pipeline.config import Settings
from pipeline.indexing import client
from pipeline.stages import run_issue

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

GLYPH_CHECK = """<script>
(async () => {
  const out = document.createElement('pre');
  out.id = 'glyph-check';
  try {
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
    out.textContent = JSON.stringify({checked: chars.length, missing: missing,
      fonts: [...document.fonts].map(f => f.family + ':' + f.status)});
  } catch (e) {
    out.textContent = JSON.stringify({error: String(e)});
  }
  document.body.appendChild(out);
})();
</script>"""


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium missing: `make tools` installs it")
        pytest.skip("chromium not installed (make tools)")
    return exe


def _fontless_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose fontconfig knows no font at all."""
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
                    f"<fontconfig><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>\n", encoding="utf-8")
    return {**os.environ, "FONTCONFIG_FILE": str(conf), "FONTCONFIG_PATH": str(tmp_path)}


def _glyph_check(common: list[str], env: dict[str, str], page_html: str, path: Path) -> dict:
    """Run the check script in a fresh browser. A font load that fails with a NetworkError is
    retried (twice): under CPU load, headless Chromium's virtual time has been seen to fail the
    data-URL font once; a font that is really broken fails every time."""
    path.write_text(page_html.replace("</body>", GLYPH_CHECK + "</body>"), encoding="utf-8")
    for _attempt in range(3):
        dom = subprocess.run([*common, "--virtual-time-budget=15000", "--dump-dom", path.as_uri()],
                             capture_output=True, text=True, timeout=120, env=env)
        assert dom.returncode == 0, dom.stderr[-2000:]
        found = re.search(r'<pre id="glyph-check">(.*?)</pre>', dom.stdout, re.S)
        assert found, "the glyph check did not run"
        result = json.loads(html.unescape(found.group(1)))
        if "NetworkError" not in result.get("error", ""):
            break
    assert "error" not in result, result
    return result


def test_report_is_drawn_in_a_real_browser_without_system_fonts(settings: Settings, tmp_path: Path) -> None:
    exe = _chromium()
    for day in (18, 19, 20):  # three issue dates: trends need more than one
        run_issue(settings, "grrb", date(2026, 11, day), f"run-report-{day}")
    es = client.make_client(settings.es)
    try:
        data = report.gather(es, settings.es)
    finally:
        es.close()
    env = _fontless_env(tmp_path)
    page_html = report.render(data)
    page = tmp_path / "report.html"
    page.write_text(page_html, encoding="utf-8")
    assert "@font-face" in page_html and "<script" not in page_html
    common = [exe, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,2400"]

    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, env=env)
    assert dom.returncode == 0, dom.stderr[-2000:]
    for label in ("Articles per day", "Top persons", "Top organisations", "Entity trends", "Places on the map",
                  "Named together", "Metrics by what is counted", "Latest articles", "2026-11-19",
                  data["persons"][0][0], data["metrics"][0]["unit"]):
        assert label in dom.stdout, label
    assert "Money reported" not in dom.stdout  # no sum across unrelated subjects
    assert dom.stdout.count("<circle") >= 5  # trend points and map points
    assert data["points"] and data["pairs"] and data["metrics"]

    checked = _glyph_check(common, env, page_html, tmp_path / "check.html")
    assert checked["checked"] > 50, checked
    assert checked["missing"] == [], f"characters drawn as tofu: {''.join(checked['missing'])}"
    assert any(f.startswith(f"{report.FONT_FAMILY}:loaded") for f in checked["fonts"]), checked["fonts"]

    control = _glyph_check(common, env, report.render(data, embed_font=False), tmp_path / "control.html")
    assert len(control["missing"]) > control["checked"] // 2, "with no font the check must see tofu"

    shot = tmp_path / "report.png"
    proc = subprocess.run([*common, "--virtual-time-budget=15000", f"--screenshot={shot}", page.as_uri()],
                          capture_output=True, timeout=120, env=env)
    assert proc.returncode == 0 and shot.is_file()
    if target := os.environ.get("REPORT_SCREENSHOT_COPY"):  # to look at it: REPORT_SCREENSHOT_COPY=/tmp/r.png
        shutil.copy(shot, target)
    image = Image.open(shot).convert("RGB")
    stats = ImageStat.Stat(image)
    assert max(stats.stddev) > 10, "screenshot is blank"
    colours = image.getcolors(maxcolors=1 << 20) or []
    bar_blue = sum(n for n, rgb in colours if rgb == (0x2F, 0x6D, 0xB5))
    assert bar_blue > 500, "the articles-per-day bars are not drawn"
    # text drawn: the page's dark text colour covers a real share of the pixels (tofu-free text is checked above)
    dark = sum(n for n, rgb in colours if max(rgb) < 0x50)
    assert dark > 2000, "no text drawn"
