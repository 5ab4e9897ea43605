"""Test documents for the knowledge tests: a small folder of every supported type, written per test.

The facts are made up (so no model could know them) and each file has a distinctive fact, so a search
can be checked against the one file that holds the answer.
"""

from __future__ import annotations

import json
from pathlib import Path


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal, valid PDF with one text page per item (Helvetica, one line per string)."""
    objects: list[str] = ["<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>")
    font = 3 + 2 * len(pages)
    for i, lines in enumerate(pages):
        escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
        stream = "BT /F1 12 Tf 72 720 Td 16 TL " + " ".join(f"({line}) Tj T*" for line in escaped) + " ET"
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
                       f"/Resources << /Font << /F1 {font} 0 R >> >> >>")
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def make_docx(path: Path, heading: str, paragraphs: list[str]) -> None:
    import docx

    document = docx.Document()
    document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Mascot", "Otter"
    table.cell(1, 0).text, table.cell(1, 1).text = "Founded", "2011"
    document.save(str(path))


MARKDOWN = """# Glacier Coffee handbook

## Opening hours
The Glacier Coffee kiosk opens at 06:45 on weekdays and at 08:30 on Saturdays. It is closed on Sundays.

## Loyalty card
Every tenth drink is free with the loyalty card. Stamps expire after eighteen months.

## Milk options
Oat, almond and soy milk cost nothing extra. Lactose-free milk is kept in the small fridge.
"""

HTML = """<html><head><title>Roasting notes</title><style>p {color: red}</style><script>var x = 1;</script></head>
<body><h1>Roasting notes</h1><p>The house blend is roasted on Tuesdays at the Marvila roastery.</p>
<h2>Storage</h2><ul><li>Keep beans in the amber jars.</li><li>Use them within three weeks of roasting.</li></ul>
</body></html>"""

CSV = """product,price,category,description
Flat white,3.20,coffee,Double ristretto with velvety steamed milk
Chai latte,3.50,tea,Spiced black tea brewed with cardamom and ginger
Pastel de nata,1.40,pastry,Custard tart baked every morning by the Belem bakery
"""

RECORDS = [{"supplier": "Quinta do Vale", "country": "Portugal", "notes": "Delivers oranges every Monday"},
           {"supplier": "Kaffa Imports", "country": "Ethiopia", "notes": "Washed Yirgacheffe beans, shipped quarterly"}]


def write_corpus(folder: Path) -> Path:
    """The sample folder: one file of every supported type, plus the bad ones the ingest must survive."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "handbook.md").write_text(MARKDOWN)
    (folder / "roasting.html").write_text(HTML)
    (folder / "menu.csv").write_text(CSV)
    (folder / "suppliers.json").write_text(json.dumps(RECORDS))
    (folder / "staff.txt").write_text("The barista of the month is Leonor Prates. She trained in Lisbon and won "
                                      "the regional latte art contest with a swan.")
    make_docx(folder / "history.docx", "Company history",
              ["Glacier Coffee began as a bicycle cart at the Cais do Sodre ferry terminal.",
               "The first kiosk opened next to the tram 28 stop."])
    (folder / "equipment.pdf").write_bytes(make_pdf([
        ["The espresso machine is a three-group Faema E71.", "It is descaled every second Thursday."],
        ["The grinder burrs are replaced after 800 kilograms of coffee."]]))
    # what must not stop the batch
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    (folder / "empty.txt").write_text("   \n")
    (folder / "logo.xyz").write_bytes(b"\x00\x01binary")
    return folder
