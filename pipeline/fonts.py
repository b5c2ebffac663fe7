"""The CJK font the project embeds where no system font can be assumed (the HTML report, the page
PDFs it sets): Noto Sans CJK SC from the ``manimgx-fonts-cjk`` wheel (SIL OFL 1.1), cut by fontTools'
subsetter to the characters a document uses."""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from importlib import resources

FONT_PACKAGE = "manimgx_fonts_cjk"
FONT_FILE = "NotoSansCJK-VF.otf.ttc"
FONT_NAME = "Noto Sans CJK SC"


@functools.cache
def font_number() -> int:
    """The SC face's index in the font collection."""
    from fontTools.ttLib import TTCollection

    with resources.as_file(resources.files(FONT_PACKAGE) / FONT_FILE) as path:
        collection = TTCollection(str(path), lazy=True)
        names = [f["name"].getDebugName(1) for f in collection.fonts]
        collection.close()
    return names.index(FONT_NAME)


def subset(text: str, layout_features: Sequence[str], drop_tables: Sequence[str]) -> bytes:
    """The SC face (variable, CFF2) cut to the glyphs of ``text`` plus the .notdef box, unhinted,
    keeping ``layout_features`` and dropping ``drop_tables``, as OpenType bytes."""
    from fontTools import subset as ft_subset
    from fontTools.ttLib import TTFont

    options = ft_subset.Options()
    options.layout_features = list(layout_features)
    options.notdef_outline = True
    options.hinting = False
    options.drop_tables += list(drop_tables)
    with resources.as_file(resources.files(FONT_PACKAGE) / FONT_FILE) as path:
        font = TTFont(str(path), fontNumber=font_number(), lazy=False)
        subsetter = ft_subset.Subsetter(options)
        subsetter.populate(text=text)
        subsetter.subset(font)
        out = io.BytesIO()
        font.save(out)
        font.close()
    return out.getvalue()
