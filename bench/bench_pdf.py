"""Page-PDF extraction speed: ``extract_page`` (characters, lines, blocks, XY-cut reading order) against
PDFium's own plain-text extraction of the same PDFs (the floor: the characters alone), timed in the
same run. With
``pdfminer.six`` installed (not a dependency), its character-and-layout pass is timed as well: the
alternative library (docs/pdf.md).

The PDFs are the sample pages set by ``pdfgen.render_text_pdf`` (rendering is not timed)."""

from __future__ import annotations

import io

from common import best_of, report, sample_pages

from pipeline.evaluation.pdfgen import render_text_pdf
from pipeline.sources.pdf import extract_page


def pdfium_text(data: bytes) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        page = doc[0]
        textpage = page.get_textpage()
        text = str(textpage.get_text_range())
        textpage.close()
        page.close()
    finally:
        doc.close()
    return text


def pdfminer_chars(data: bytes) -> int:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar, LTTextContainer

    n = 0
    for page in extract_pages(io.BytesIO(data)):
        for box in page:
            if isinstance(box, LTTextContainer):
                n += sum(1 for line in box for ch in line if isinstance(ch, LTChar))
    return n


def main() -> None:
    pages = sample_pages()
    pdfs = [render_text_pdf(text, title=f"{n:02d}版") for n, text in enumerate(pages, 1)]
    for data in pdfs:  # warm-up
        extract_page(data, "bench")
    extract = best_of(lambda: [extract_page(data, "bench") for data in pdfs], repeat=5)
    floor = best_of(lambda: [pdfium_text(data) for data in pdfs], repeat=5)
    rows: dict[str, object] = {
        "pages": len(pdfs),
        "extract_ms_per_page": round(1000 * extract / len(pdfs), 2),
        "ratio_to_pdfium_text": round(extract / floor, 2),
    }
    try:
        import pdfminer  # noqa: F401
    except ImportError:
        rows["pdfminer"] = "not installed"
    else:
        miner = best_of(lambda: [pdfminer_chars(data) for data in pdfs], repeat=3)
        rows["pdfminer_ratio_to_extract"] = round(miner / extract, 2)
    report("pdf", rows)


if __name__ == "__main__":
    main()
