"""Mutation fuzzing of the readers and the extractor: seeds, mutators, and a bounded runner.

Seeds are made, not stored: text and HTML reports from the project's generator
(:mod:`nianbao.generate`), and binary ones from the same records through the real converters
(LibreOffice → DOCX and PDF, Chromium → PDF, pypdfium2 + Pillow → PNG/JPEG/TIFF/GIF/BMP/WebP
scans), cached in a folder so that a campaign builds them once. Mutators know each format a
little (lines and numbers of a text, tags and spans of HTML, the members and the XML of a DOCX,
the xref of a PDF, the header of an image) and also flip, cut and splice bytes blindly.

The runner feeds each input to ``nianbao.extract.extract_bytes`` in worker processes and
watches them from outside: an input whose worker runs over the time limit or over the memory
limit is killed and counted (``hang``, ``memory``), one that raises anything but the project's
named errors, or a :class:`StageError` (the last-resort guard catching a defect), or gives a
record that is not valid JSON, is a ``crash``. Every such input is saved with what happened.

Used by ``scripts/fuzz.py`` (the campaign) and ``tests/test_fuzz.py`` (the short one CI runs).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import random
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ("text", "html", "docx", "pdf", "image")
EXT = {"text": ".txt", "html": ".html", "docx": ".docx", "pdf": ".pdf", "image": ".png"}


# --------------------------------------------------------------------------- seeds

def text_seeds(n: int = 3) -> list[tuple[str, bytes]]:
    """(name, bytes) of generated text reports: ``n`` of each text shape."""
    from nianbao.generate.render import SHAPES, generate

    out = []
    for shape in SHAPES:
        for seed in range(n):
            doc = generate(shape, seed)
            if doc.fmt == "txt":
                out.append((f"{shape}-{seed}.txt", doc.data))
    return out


def html_seeds(n: int = 6) -> list[tuple[str, bytes]]:
    from nianbao.generate.render import generate

    out = []
    for seed in range(n * 3):
        for shape in ("html", "legacy"):
            doc = generate(shape, seed)
            if doc.fmt == "html" and len(out) < 2 * n:
                out.append((f"{shape}-{seed}.html", doc.data))
    return out


def _records(n: int) -> list[dict]:
    sys.path.insert(0, str(ROOT / "tests"))
    import formats_corpus

    return formats_corpus.generated_records(n, seed=11)


def binary_seeds(fmt: str, cache: Path, n: int = 3) -> list[tuple[str, bytes]]:
    """Seeds of a binary format, made with the real converters on first use and kept in ``cache``."""
    folder = Path(cache) / fmt
    done = folder / ".done"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        {"docx": _make_docx, "pdf": _make_pdf, "image": _make_images}[fmt](folder, n)
        done.write_text("ok")
    return [(p.name, p.read_bytes()) for p in sorted(folder.iterdir())
            if p.is_file() and not p.name.startswith(".") and p.stat().st_size]


def _html_files(folder: Path, n: int, table_page: bool = False) -> list[Path]:
    sys.path.insert(0, str(ROOT / "tests"))
    import formats_corpus

    paths = []
    src = folder / "html"
    src.mkdir(exist_ok=True)
    for i, rec in enumerate(r for r in _records(4 * n) if not table_page or r.get("t3")):
        if len(paths) >= n:
            break
        p = src / f"seed{i}.html"
        p.write_text(formats_corpus.render_table_page(rec) if table_page else
                     formats_corpus.render_html(rec, filler=1 + i % 3), encoding="utf-8")
        paths.append(p)
    return paths


def _make_docx(folder: Path, n: int) -> None:
    from nianbao.sources import office

    got = office.convert(_html_files(folder, n), folder / "lo", target="docx:MS Word 2007 XML",
                         infilter="HTML (StarWriter)")
    for src, out in got.items():
        if out:
            (folder / f"lo-{src.stem}.docx").write_bytes(out.read_bytes())
    _cleanup(folder)


def _make_pdf(folder: Path, n: int) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    import formats_corpus
    from nianbao.sources import office

    htmls = _html_files(folder, n)
    if formats_corpus.chromium():
        for h in htmls[: max(1, n - 1)]:
            formats_corpus.chromium_pdf(h, folder / f"chromium-{h.stem}.pdf")
    got = office.convert(htmls[-1:], folder / "lo", target="pdf:writer_pdf_Export", infilter="HTML (StarWriter)")
    for src, out in got.items():
        if out:
            (folder / f"lo-{src.stem}.pdf").write_bytes(out.read_bytes())
    _cleanup(folder)


def _make_images(folder: Path, n: int) -> None:
    """Scans of a page holding table 三, small (OCR of a fuzz input must stay quick), in each
    image format the readers take; a TIFF of two frames."""
    import pypdfium2 as pdfium
    from nianbao.sources import office

    got = office.convert(_html_files(folder, n, table_page=True), folder / "lo", target="pdf:writer_pdf_Export",
                         infilter="HTML (StarWriter)")
    pages = []
    for out in (p for p in got.values() if p):
        doc = pdfium.PdfDocument(str(out))
        try:
            pages.append(doc[0].render(scale=90 / 72, grayscale=True).to_pil())
        finally:
            doc.close()
    for i, page in enumerate(pages):
        # the heading and the first rows of the table: few text boxes, so that OCR is quick
        crop = page.crop((0, 0, page.width, min(page.height, int(page.width * 0.3))))
        crop.save(folder / f"scan{i}.png")
        if i == 0:
            crop.save(folder / f"scan{i}.jpg", quality=80)
            crop.convert("RGB").save(folder / f"scan{i}.webp")
            crop.save(folder / f"scan{i}.gif")
            crop.save(folder / f"scan{i}.bmp")
            other = pages[-1].crop((0, 0, page.width, min(page.height, int(page.width * 0.3))))
            crop.save(folder / f"scan{i}-2frames.tif", save_all=True, append_images=[other], compression="tiff_lzw")
    _cleanup(folder)


def _cleanup(folder: Path) -> None:
    import shutil

    for sub in ("html", "lo"):
        shutil.rmtree(folder / sub, ignore_errors=True)


# --------------------------------------------------------------------------- mutators

_DIGITS = "0123456789"
_ODD_CHARS = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u202e", "\u202d", "\u2028", "\u3000", "\xa0", "\ufffd",
              "－", "−", "—", "，", "．", "|", "｜", "/", "\t", "\r", "\x1b", "\U0001f600", "\ud7ff", "?", "*"]
_FULLWIDTH = str.maketrans(_DIGITS + "-.,", "０１２３４５６７８９－．，")


def _span(rng: random.Random, n: int, most: int = 200) -> tuple[int, int]:
    a = rng.randrange(n + 1)
    return a, min(n, a + rng.randint(0, most))


def _number(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.3:
        return str(rng.randint(0, 999))
    if r < 0.5:
        return "".join(rng.choice(_DIGITS) for _ in range(rng.randint(10, 60)))
    if r < 0.6:
        return "9" * rng.choice([309, 400, 4301, 6000])  # past float, past int()'s digit limit
    if r < 0.75:
        return rng.choice(["-", "－", "−", "+"]) + str(rng.randint(0, 99999))
    if r < 0.9:
        return f"{rng.randint(0, 9999)}.{rng.randint(0, 99)}" * rng.randint(1, 4)  # decimals run together
    return " ".join(str(rng.randint(0, 99)) for _ in range(rng.randint(2, 30)))


def mutate_text(text: str, rng: random.Random) -> str:
    """One edit of a report's text of the kinds real copies and attackers make."""
    lines = text.split("\n")
    op = rng.randrange(14)
    if op == 0 and len(lines) > 1:                      # duplicated rows
        i = rng.randrange(len(lines))
        lines[i:i] = lines[i:i + rng.randint(1, 8)] * rng.randint(1, 20)
    elif op == 1 and len(lines) > 2:                    # swapped rows
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 2 and lines:                             # a row deleted
        del lines[rng.randrange(len(lines))]
    elif op == 3:                                       # numbers replaced
        return re.sub(r"\d+", lambda m: _number(rng) if rng.random() < 0.2 else m.group(), text)
    elif op == 4:                                       # separators between numbers dropped
        i = rng.randrange(len(lines)) if lines else 0
        if lines:
            lines[i] = re.sub(r"(?<=\d)[\s|]+(?=\d)", "", lines[i])
    elif op == 5:                                       # full-width digits
        a, b = _span(rng, len(text), 2000)
        return text[:a] + text[a:b].translate(_FULLWIDTH) + text[b:]
    elif op == 6:                                       # invisible and odd characters sprinkled
        chars = list(text)
        for _ in range(rng.randint(1, 200)):
            chars.insert(rng.randrange(len(chars) + 1), rng.choice(_ODD_CHARS))
        return "".join(chars)
    elif op == 7:                                       # one very long line
        return text + "\n" + (rng.choice(["1 ", "12", "政府", "| ", "一、"]) * rng.randint(1000, 60000))
    elif op == 8:                                       # a block repeated many times
        a, b = _span(rng, len(text), 3000)
        return text[:b] + text[a:b] * rng.randint(2, 60) + text[b:]
    elif op == 9:                                       # lines joined (flattened text)
        i = rng.randrange(len(lines)) if lines else 0
        lines[i:i + 30] = [" ".join(lines[i:i + 30])]
    elif op == 10:                                      # a number inserted anywhere
        a = rng.randrange(len(text) + 1)
        return text[:a] + _number(rng) + text[a:]
    elif op == 11:                                      # labels cut short
        a, b = _span(rng, len(text), 40)
        return text[:a] + text[b:]
    elif op == 12:                                      # random code points
        a = rng.randrange(len(text) + 1)
        return text[:a] + "".join(chr(rng.choice([rng.randint(32, 0x2fff), rng.randint(0x4e00, 0x9fff),
                                                   rng.randint(0xe000, 0x10ffff)])) for _ in range(rng.randint(1, 50))) + text[a:]
    else:                                               # rows of cells in pipes
        i = rng.randrange(len(lines)) if lines else 0
        if lines:
            lines[i] = " | ".join(lines[i].split()) + " |" * rng.randint(0, 30)
    return "\n".join(lines)


def encode_text(text: str, rng: random.Random) -> bytes:
    """Bytes of ``text``: mostly UTF-8, sometimes another encoding, a mix, or a BOM."""
    r = rng.random()
    if r < 0.75:
        return text.encode("utf-8", "surrogatepass")
    if r < 0.85:
        return text.encode("gb18030", "replace")
    if r < 0.9:
        cut = rng.randrange(len(text) + 1)
        return text[:cut].encode("utf-8", "replace") + text[cut:].encode("gbk", "replace")
    if r < 0.95:
        return rng.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00"]) + text.encode("utf-8", "replace")
    return text.encode(rng.choice(["utf-16", "utf-16-be", "big5", "shift_jis", "latin-1"]), "replace")


def mutate_bytes(data: bytes, rng: random.Random, pool: list[bytes] = ()) -> bytes:
    """Blind edits: bit flips, interesting bytes, cuts, duplicated or deleted chunks, splices."""
    b = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 4, 16])):
        op = rng.randrange(8)
        n = len(b)
        if not n:
            b = bytearray(rng.randbytes(rng.randint(1, 64)))
            continue
        i = rng.randrange(n)
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[i] = rng.choice([0, 0xFF, 0x7F, 0x80, 0x20, 0x0A, 0x3C, 0x3E, 0x30, 0x39])
        elif op == 2:
            del b[rng.randrange(n):]
        elif op == 3:
            j = min(n, i + rng.randint(1, 4096))
            b[i:i] = b[i:j] * rng.randint(1, 8)
        elif op == 4:
            del b[i:i + rng.randint(1, 4096)]
        elif op == 5:
            b[i:i] = rng.randbytes(rng.randint(1, 256))
        elif op == 6 and pool:
            other = rng.choice(pool)
            j = rng.randrange(len(other) + 1)
            b = b[:i] + bytearray(other[j:j + rng.randint(1, 8192)]) + b[i:]
        else:
            digits = str(rng.choice([0, -1, 1, 2 ** 31, 2 ** 63, 10 ** 9, 99999999])).encode()
            b[i:i + len(digits)] = digits
    return bytes(b)


def mutate_html(text: str, rng: random.Random) -> str:
    op = rng.randrange(8)
    if op == 0:                                          # deep nesting
        a, b = _span(rng, len(text), 500)
        tag = rng.choice(["div", "span", "b", "table", "td", "font", "p"])
        depth = rng.choice([50, 300, 3000, 20000])
        return text[:a] + f"<{tag}>" * depth + text[a:b] + f"</{tag}>" * depth + text[b:]
    if op == 1:                                          # odd spans
        value = rng.choice(["1.5", "-3", "0", "1e8", "99999", "", "2147483648", "３", "2 ", "x", "1" * 50])
        attr = rng.choice(["rowspan", "colspan"])
        return re.sub(r"<td", lambda m: f'<td {attr}="{value}"' if rng.random() < 0.3 else m.group(), text)
    if op == 2:                                          # a huge table
        m = list(re.finditer(r"<tr.*?</tr>", text, re.S))
        if m:
            row = rng.choice(m)
            return text[:row.end()] + row.group() * rng.choice([10, 300, 5000]) + text[row.end():]
    if op == 3:                                          # a declared charset
        cs = rng.choice(["undefined", "hex", "rot13", "utf-16", "gbk", "x-nonsense", "utf-7", "idna", "base64"])
        return text.replace("<head>", f'<head><meta charset="{cs}">', 1) if "<head>" in text \
            else f'<meta charset="{cs}">' + text
    if op == 4:                                          # tags cut or dropped
        return re.sub(r"</?(?:td|tr|table|p|div)[^>]*>", lambda m: "" if rng.random() < 0.2 else m.group(), text)
    if op == 5:                                          # many tables
        m = re.search(r"<table.*?</table>", text, re.S)
        if m:
            return text[:m.end()] + m.group() * rng.choice([5, 50, 400]) + text[m.end():]
    if op == 6:                                          # furniture classes
        return re.sub(r"<(div|p|table|td)", lambda m: f'<{m.group(1)} class="{rng.choice(["nav", "footer", "share"])}"'
                      if rng.random() < 0.2 else m.group(), text)
    return mutate_text(text, rng)


def mutate_docx(data: bytes, rng: random.Random) -> bytes:
    """Edits of the package: the XML of the document, its members, their compression."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        members = [(i.filename, zf.read(i)) for i in zf.infolist()]
    except Exception:
        return mutate_bytes(data, rng)
    op = rng.randrange(9)
    names = [n for n, _ in members]
    if "word/document.xml" not in names:
        return mutate_bytes(data, rng)
    k = names.index("word/document.xml")
    xml = members[k][1].decode("utf-8", "replace")
    if op == 0:
        value = rng.choice(["1.5", "-1", "0", "100000000", "abc", "", "3", "64", "99999999999"])
        tag = rng.choice(["gridSpan", "gridBefore", "gridAfter", "vMerge"])
        if tag in ("gridSpan", "vMerge"):
            xml = re.sub(r"<w:tcPr>", lambda m: f'<w:tcPr><w:{tag} w:val="{value}"/>' if rng.random() < 0.3 else m.group(),
                         xml)
        else:
            xml = re.sub(r"<w:tr(?=[ >])([^>]*)>", lambda m: f'<w:tr{m.group(1)}><w:trPr><w:{tag} w:val="{value}"/></w:trPr>'
                         if rng.random() < 0.3 else m.group(), xml)
        members[k] = (names[k], xml.encode())
    elif op == 1:                                        # a member twice
        members.append(members[rng.choice([k, rng.randrange(len(members))])])
    elif op == 2 and len(members) > 1:                   # a member missing
        del members[rng.randrange(len(members))]
    elif op == 3:                                        # the XML's text mutated
        members[k] = (names[k], mutate_text(xml, rng).encode("utf-8", "replace"))
    elif op == 4:                                        # the XML's bytes mutated
        members[k] = (names[k], mutate_bytes(members[k][1], rng))
    elif op == 5:                                        # rows repeated
        rows = list(re.finditer(r"<w:tr[ >].*?</w:tr>", xml, re.S))
        if rows:
            row = rng.choice(rows)
            xml = xml[:row.end()] + row.group() * rng.choice([10, 500, 5000]) + xml[row.end():]
            members[k] = (names[k], xml.encode())
    elif op == 6:                                        # a member that inflates enormously
        members.append((f"word/media/bomb{rng.randrange(99)}.bin", b"\0" * rng.choice([1 << 20, 30 << 20, 130 << 20])))
    elif op == 7:                                        # nesting
        depth = rng.choice([100, 300, 3000])
        xml = xml.replace("<w:body>", "<w:body>" + "<w:sdt><w:sdtContent>" * depth, 1).replace(
            "</w:body>", "</w:sdtContent></w:sdt>" * depth + "</w:body>", 1)
        members[k] = (names[k], xml.encode())
    else:
        return mutate_bytes(data, rng)
    buf = io.BytesIO()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of duplicate names: that is the point
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
            for name, body in members:
                out.writestr(name, body)
    return buf.getvalue()


def mutate_pdf(data: bytes, rng: random.Random, pool: list[bytes] = ()) -> bytes:
    op = rng.randrange(6)
    if op == 0:                                          # the xref or startxref damaged
        m = list(re.finditer(rb"startxref\s+(\d+)|\d{10} \d{5} [nf]", data))
        if m:
            hit = rng.choice(m)
            a, b = hit.span()
            return data[:a] + mutate_bytes(data[a:b], rng) + data[b:]
    if op == 1:                                          # numbers of the objects changed
        return re.sub(rb"/(Length|Count|Size|W|N|First|Columns|BitsPerComponent) (\d+)",
                      lambda m: m.group(0) if rng.random() < 0.7 else
                      b"/" + m.group(1) + b" " + str(rng.choice([0, 1, 2 ** 31, 10 ** 12, -5])).encode(), data)
    if op == 2:                                          # a page tree that claims many pages, a huge page
        return data.replace(b"/MediaBox [", rng.choice([b"/MediaBox [0 0 99999999 99999999 ", b"/MediaBox [1e30 "]), 1)
    if op == 3:                                          # a single bit flipped (the shape of h03)
        b = bytearray(data)
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
        return bytes(b)
    if op == 4:                                          # truncated
        return data[:rng.randrange(len(data))]
    return mutate_bytes(data, rng, pool)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def mutate_image(data: bytes, rng: random.Random, pool: list[bytes] = ()) -> bytes:
    op = rng.randrange(5)
    if op == 0 and data.startswith(b"\x89PNG") and len(data) > 33:   # a header claiming other sizes (valid CRC)
        w, h = struct.unpack(">II", data[16:24])
        w, h = rng.choice([(w, h * 1000), (100000, 100000), (3, 12000), (12000, 3), (1, 1), (w * 7, h * 7), (0, h)])
        ihdr = struct.pack(">II", w & 0xFFFFFFFF, h & 0xFFFFFFFF) + data[24:29]
        return data[:8] + _png_chunk(b"IHDR", ihdr) + data[33:]
    if op == 1 and data.startswith(b"\x89PNG"):                      # a small image that decodes huge
        w, h = rng.choice([(20000, 20000), (9000, 9000), (4000, 30000)])
        raw = zlib.compress(b"\0" * ((w + 1) * 64), 9)
        return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + _png_chunk(b"IDAT", raw) + _png_chunk(b"IEND", b""))
    if op == 2:                                                       # truncated
        return data[:rng.randrange(len(data))]
    if op == 3:                                                       # the header's bytes changed
        b = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            i = rng.randrange(min(len(b), 512))
            b[i] = rng.randrange(256)
        return bytes(b)
    return mutate_bytes(data, rng, pool)


def mutate(fmt: str, data: bytes, rng: random.Random, pool: list[bytes]) -> bytes:
    """One fuzz input of ``fmt`` made from the seed ``data`` (1–3 rounds of edits)."""
    for _ in range(rng.choice([1, 1, 2, 3])):
        if fmt in ("text", "html"):
            if rng.random() < 0.15:
                data = mutate_bytes(data, rng, pool)
                continue
            text = data.decode("utf-8", "replace")
            text = mutate_html(text, rng) if fmt == "html" else mutate_text(text, rng)
            data = encode_text(text, rng)
        elif fmt == "docx":
            data = mutate_docx(data, rng)
        elif fmt == "pdf":
            data = mutate_pdf(data, rng, pool)
        else:
            data = mutate_image(data, rng, pool)
    return data


def inputs(fmt: str, seeds: list[tuple[str, bytes]], count: int, seed: int = 0):
    """``count`` fuzz inputs (name, bytes) of ``fmt``, reproducible from ``seed``."""
    rng = random.Random(f"{fmt}-{seed}")
    pool = [d for _, d in seeds]
    for i in range(count):
        name, data = seeds[i % len(seeds)]
        yield f"{fmt}-{seed}-{i}-{Path(name).stem}{Path(name).suffix or EXT[fmt]}", mutate(fmt, data, rng, pool)


# --------------------------------------------------------------------------- the runner

OUTCOMES = ("record", "error", "crash", "hang", "memory")


@dataclass
class Tally:
    """What one format's inputs gave."""
    fmt: str
    inputs: int = 0
    seconds: float = 0.0
    outcomes: dict = field(default_factory=lambda: {k: 0 for k in OUTCOMES})
    reasons: dict = field(default_factory=dict)
    max_seconds: float = 0.0
    slowest: str = ""
    max_rss_mb: float = 0.0
    findings: list = field(default_factory=list)   # (outcome, name, detail, saved path)

    @property
    def failures(self) -> int:
        return self.outcomes["crash"] + self.outcomes["hang"] + self.outcomes["memory"]


class _Worker:
    """A child interpreter that extracts inputs sent on its stdin, watched for time and memory."""

    def __init__(self, env: dict):
        self.proc = subprocess.Popen([sys.executable, "-c", "import fuzzing; fuzzing.serve()"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     cwd=str(ROOT), env=env, start_new_session=True)

    def rss_mb(self) -> float:
        try:
            with open(f"/proc/{self.proc.pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, 9)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()


def serve() -> None:
    """The worker's loop: (name, bytes) in, one JSON line out per input."""
    import resource

    from nianbao.extract import extract_bytes
    from nianbao.sources import SourceError, StageError

    inp, out = sys.stdin.buffer, sys.stdout
    while True:
        head = inp.read(4)
        if len(head) < 4:
            return
        name, data = pickle.loads(inp.read(struct.unpack(">I", head)[0]))
        _reset_peak()
        t0 = time.perf_counter()
        try:
            rec = extract_bytes(data, name)
            json.dumps(rec, ensure_ascii=False, allow_nan=False)   # a record must be valid JSON
            result = {"outcome": "record"}
        except StageError as exc:
            result = {"outcome": "crash", "reason": exc.reason, "detail": str(exc)[:600]}
        except SourceError as exc:
            result = {"outcome": "error", "reason": exc.reason}
        except ValueError as exc:   # json.dumps: NaN or infinity in the record
            result = {"outcome": "crash", "reason": "invalid-record", "detail": f"{type(exc).__name__}: {exc}"[:600]}
        except BaseException as exc:  # noqa: BLE001 — what the entry let through is what we look for
            result = {"outcome": "crash", "reason": "unnamed", "detail": f"{type(exc).__name__}: {exc}"[:600]}
        result["seconds"] = time.perf_counter() - t0
        result["rss_mb"] = _peak_mb() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out.write(json.dumps(result) + "\n")
        out.flush()


def _reset_peak() -> None:
    """Start this process's peak resident memory (VmHWM) again from what it holds now, so that
    each input's peak is its own (Linux: clear_refs 5)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def _peak_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run(jobs, *, workers: int = 2, time_limit: float = 30.0, memory_mb: float = 2048.0,
        save: Path | None = None, recycle: int = 500, progress=None) -> dict[str, Tally]:
    """Extract every (fmt, name, bytes) of ``jobs`` in ``workers`` watched processes; returns the
    tallies per format. An input over ``time_limit`` seconds or ``memory_mb`` MB (the worker's
    resident memory) is killed and counted; crashes, hangs and memory hogs are saved in ``save``."""
    tallies: dict[str, Tally] = {}
    lock = threading.Lock()
    it = iter(jobs)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), str(ROOT)]),
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    started = time.perf_counter()

    def record(fmt, name, data, outcome, detail, seconds, rss):
        with lock:
            t = tallies.setdefault(fmt, Tally(fmt))
            t.inputs += 1
            t.seconds += seconds
            t.outcomes[outcome] += 1
            if seconds > t.max_seconds:
                t.max_seconds, t.slowest = seconds, name
            t.max_rss_mb = max(t.max_rss_mb, rss)
            if outcome in ("crash", "hang", "memory"):
                path = None
                if save is not None:
                    save.mkdir(parents=True, exist_ok=True)
                    digest = hashlib.sha256(data).hexdigest()[:12]
                    path = save / f"{fmt}-{outcome}-{digest}{Path(name).suffix}"
                    path.write_bytes(data)
                    path.with_suffix(path.suffix + ".txt").write_text(f"{name}\n{outcome}\n{detail}\n", encoding="utf-8")
                t.findings.append((outcome, name, detail, str(path) if path else None))
            if progress:
                progress(tallies, time.perf_counter() - started)

    def loop():
        worker, done = None, 0
        while True:
            with lock:
                job = next(it, None)
            if job is None:
                break
            fmt, name, data = job
            if worker is None or done >= recycle:
                if worker is not None:
                    worker.kill()
                worker, done = _Worker(env), 0
            payload = pickle.dumps((name, data))
            t0 = time.perf_counter()
            try:
                worker.proc.stdin.write(struct.pack(">I", len(payload)) + payload)
                worker.proc.stdin.flush()
            except BrokenPipeError:
                pass
            reply, peak, killed = _await(worker, t0, time_limit, memory_mb)
            seconds = time.perf_counter() - t0
            done += 1
            if killed:
                worker.kill()
                worker = None
                record(fmt, name, data, killed, f"killed after {seconds:.1f} s at {peak:.0f} MB", seconds, peak)
            elif reply is None:
                code = worker.proc.poll()
                worker.kill()
                worker = None
                record(fmt, name, data, "crash", f"worker died (exit {code})", seconds, peak)
            else:
                record(fmt, name, data, reply["outcome"], reply.get("detail") or reply.get("reason") or "",
                       reply["seconds"], max(peak, reply["rss_mb"]))
                if reply["outcome"] == "error":
                    with lock:
                        reasons = tallies[fmt].reasons
                        reasons[reply["reason"]] = reasons.get(reply["reason"], 0) + 1
        if worker is not None:
            worker.kill()

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return tallies


def _await(worker: _Worker, t0: float, time_limit: float, memory_mb: float):
    """(reply, peak resident MB, None | 'hang' | 'memory') of the input just sent."""
    import select

    out = worker.proc.stdout
    peak = 0.0
    while True:
        ready, _, _ = select.select([out], [], [], 0.05)
        if ready:
            line = out.readline()
            if not line:
                return None, peak, None
            return json.loads(line), peak, None
        peak = max(peak, worker.rss_mb())
        if peak > memory_mb:
            return None, peak, "memory"
        if time.perf_counter() - t0 > time_limit:
            return None, peak, "hang"
        if worker.proc.poll() is not None:
            return None, peak, None


def report(tallies: dict[str, Tally], wall: float | None = None) -> str:
    """The campaign's figures, one line per format."""
    lines = [f"{'format':8s} {'inputs':>8s} {'inputs/s':>9s} {'records':>8s} {'errors':>7s} {'crashes':>8s} "
             f"{'>limit s':>9s} {'>limit MB':>10s} {'max s':>7s} {'max MB':>7s}"]
    for fmt in FORMATS:
        t = tallies.get(fmt)
        if not t:
            continue
        rate = t.inputs / t.seconds if t.seconds else 0.0
        o = t.outcomes
        lines.append(f"{fmt:8s} {t.inputs:8d} {rate:9.1f} {o['record']:8d} {o['error']:7d} {o['crash']:8d} "
                     f"{o['hang']:9d} {o['memory']:10d} {t.max_seconds:7.2f} {t.max_rss_mb:7.0f}")
    if wall:
        lines.append(f"wall {wall:.0f} s; inputs/s is per worker (inputs over the seconds spent extracting them)")
    return "\n".join(lines)


def temp_cache() -> Path:
    return Path(tempfile.gettempdir()) / f"nianbao-fuzz-seeds-{os.getuid()}"
