"""Chinese and Arabic numerals -> numbers (两千 -> 2000, 三万余 -> 30000, 1.5亿 -> 150000000)."""

from __future__ import annotations

from decimal import Decimal

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
CN_NUMERAL_CHARS = "".join(DIGITS) + "".join(SMALL_UNITS) + "".join(BIG_UNITS)


def parse_chinese(text: str) -> int:
    """Parse a Chinese numeral ("两千三百", "十五", "三万四千") into an int."""
    total = 0
    section = 0
    digit = 0
    for ch in text:
        if ch in DIGITS:
            digit = DIGITS[ch]
        elif ch in SMALL_UNITS:
            section += (digit or 1) * SMALL_UNITS[ch]
            digit = 0
        elif ch in BIG_UNITS:
            section += digit
            total = (total + section) * BIG_UNITS[ch] if ch == "亿" else total + section * BIG_UNITS[ch]
            section = digit = 0
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + section + digit


def parse_number(text: str) -> Decimal:
    """Arabic ("3,800", "1.5") or Chinese numerals, with an optional trailing scale (万/亿/千万)."""
    text = text.replace(",", "").replace("，", "")
    scale = Decimal(1)
    while text and text[-1] in BIG_UNITS and any(c.isdigit() for c in text[:-1]):
        scale *= BIG_UNITS[text[-1]]
        text = text[:-1]
    if text and text[-1] in "千百" and any(c.isdigit() for c in text[:-1]):
        scale *= SMALL_UNITS[text[-1]]
        text = text[:-1]
    if any(c.isdigit() for c in text):
        return Decimal(text) * scale
    return Decimal(parse_chinese(text)) * scale


def as_json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
