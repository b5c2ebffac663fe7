"""Page bytes -> text: UTF-8, UTF-8 with BOM, GB18030; anything else is a clear per-page error."""

from __future__ import annotations

from pipeline.errors import InvalidPage

_CONTROL_OK = {"\n", "\r", "\t", "\f"}


def decode_page(data: bytes, page: str, max_bytes: int) -> tuple[str, str]:
    """Return (text, encoding) or raise InvalidPage saying why."""
    if len(data) > max_bytes:
        raise InvalidPage(page, f"page is {len(data)} bytes, above the limit of {max_bytes}")
    if not data.strip():
        raise InvalidPage(page, "page is empty")
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = [("utf-8-sig", data)]
    else:
        candidates = [("utf-8", data), ("gb18030", data)]
    for encoding, raw in candidates:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_binary(text):
            raise InvalidPage(page, f"page decodes as {encoding} but holds control characters (binary?)")
        return text, "utf-8" if encoding == "utf-8-sig" else encoding
    raise InvalidPage(page, "page is neither UTF-8 nor GB18030 text")


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in _CONTROL_OK) or ch == "\ufffd")
    return bad > max(4, len(sample) // 1000)
