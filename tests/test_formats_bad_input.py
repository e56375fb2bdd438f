"""Bad input gets a clear error (Chinese first, naming the reason) within
bounded time and memory, and does not disturb the other files of a batch."""
from __future__ import annotations

import io
import time
import zipfile

import pytest

from formats_paths import SHARED
from nianbao.sources import SourceError, read, read_bytes
from nianbao.sources.limits import read_limited

SAMPLES = SHARED / "samples" / "formats"
pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples/formats not present")


def _expect_error(path, reason: str, seconds: float):
    t0 = time.perf_counter()
    with pytest.raises(SourceError) as err:
        read(path)
    assert time.perf_counter() - t0 < seconds
    assert err.value.reason == reason
    message = str(err.value)
    assert str(path) in message
    chinese, _, english = message.partition(" (")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese) and english, message  # Chinese first, English after
    return message


def test_encrypted_pdf(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(SAMPLES / "libreoffice-pdf.pdf"))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-256")
    path = tmp_path / "encrypted.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    assert "encrypted" in _expect_error(path, "encrypted", 10)


def test_truncated_pdf(tmp_path):
    data = (SAMPLES / "libreoffice-pdf.pdf").read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) // 3])
    t0 = time.perf_counter()
    try:
        doc = read(path)
    except SourceError as exc:
        assert exc.reason == "corrupt" and str(path) in str(exc)
    else:
        # PDFium may recover the pages it can reach; then what it read is real text, not garbage
        assert doc.pages >= 1 and "政府信息公开" in doc.text
    assert time.perf_counter() - t0 < 20
    path.write_bytes(data[:400])
    _expect_error(path, "corrupt", 10)


def test_docx_zip_bomb(tmp_path):
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            chunk = b" " * (1 << 20)
            for _ in range(200):  # 200 MB of spaces, a few hundred KB zipped
                fh.write(chunk)
    assert path.stat().st_size < 2_000_000
    assert "zip bomb" in _expect_error(path, "zip-bomb", 10)


def test_broken_docx(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    _expect_error(path, "corrupt", 5)


def test_500_page_pdf_is_capped(tmp_path):
    from pypdf import PdfReader, PdfWriter

    src = PdfReader(SAMPLES / "libreoffice-pdf.pdf")
    writer = PdfWriter()
    for _ in range(125):
        for page in src.pages:
            writer.add_page(page)
    path = tmp_path / "long.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    t0 = time.perf_counter()
    doc = read(path)
    assert time.perf_counter() - t0 < 90
    assert doc.pages == 500
    notes = [n for n in doc.notes if n["rule"] == "source.pages_truncated"]
    assert notes and "500" in notes[0]["message"]
    assert max(c.origin.page for t in doc.tables() for r in t.rows for c in r) <= 60


def test_noise_image_has_no_text(tmp_path):
    import numpy as np
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(1)
    # a photo-like picture: smooth colour blobs, no writing
    arr = rng.integers(0, 255, (60, 80, 3), dtype=np.uint8)
    img = Image.fromarray(arr).resize((800, 600), Image.BICUBIC).filter(ImageFilter.GaussianBlur(6))
    path = tmp_path / "cat.jpg"
    img.save(path)
    _expect_error(path, "no-text", 30)


def test_not_an_image(tmp_path):
    path = tmp_path / "fake.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    _expect_error(path, "corrupt", 5)


def test_limits_bound_time_and_memory(tmp_path):
    with pytest.raises(SourceError) as err:
        read_limited(SAMPLES / "table-page-png.png", timeout=1.0)
    assert err.value.reason == "timeout"
    with pytest.raises(SourceError) as err:
        read_limited(SAMPLES / "table-page-png.png", memory_mb=600)  # OCR needs more
    assert err.value.reason == "memory" and "600 MB" in str(err.value)


def test_batch_goes_on_after_bad_files(tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\n" + b"garbage" * 10)
    results = {}
    for path in (bad, SAMPLES / "docx.docx", tmp_path / "missing.pdf", SAMPLES / "libreoffice-pdf.pdf"):
        try:
            results[path.name] = read_limited(path, timeout=60)
        except SourceError as exc:
            results[path.name] = exc
    assert isinstance(results["bad.pdf"], SourceError)
    assert isinstance(results["missing.pdf"], SourceError)
    assert results["docx.docx"].format == "docx" and "1285" in results["docx.docx"].text
    assert results["libreoffice-pdf.pdf"].pages == 4


def test_bytes_of_unknown_office_zip():
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as zf:
        zf.writestr("content.xml", "<x/>")
    with pytest.raises(SourceError) as err:
        read_bytes(data.getvalue(), "odt-like.docx")
    assert err.value.reason == "unsupported-format"


def test_folder_run_bounds_each_binary_file(tmp_path):
    """`nianbao extract DIR --jsonl`: PDFs, images and DOC files are read in a
    bounded child process. A scan that needs more than the configured time
    fails alone, with a line naming the file and the reason; the files around
    it are extracted."""
    import json
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from PIL import Image

    for name in ("docx.docx", "libreoffice-pdf.pdf", "html.html"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    # a scanned report of eight pages: more OCR than five seconds allow
    page = Image.open(SAMPLES / "table-page-png.png")
    page.save(tmp_path / "table-page-png.tif", save_all=True, append_images=[page.copy() for _ in range(7)])
    nianbao = str(Path(sys.executable).with_name("nianbao"))
    t0 = time.perf_counter()
    out = subprocess.run([nianbao, "extract", str(tmp_path), "--jsonl", "--doc-timeout", "5"],
                         capture_output=True, text=True, timeout=120)
    assert time.perf_counter() - t0 < 60
    assert out.returncode == 1, out.stderr  # some files failed, the others were extracted
    recs = {Path(r["source"]["path"]).name: r for r in map(json.loads, out.stdout.splitlines())}
    assert set(recs) == {"docx.docx", "libreoffice-pdf.pdf", "table-page-png.tif", "html.html"}
    for name in ("docx.docx", "libreoffice-pdf.pdf", "html.html"):
        assert recs[name]["t3"]["rows"]["new"][6] == 1285, name
    failed = recs["table-page-png.tif"]
    assert failed["t3"] is None
    error = next(f for f in failed["findings"] if f["severity"] == "error")
    assert error["reason"] == "timeout" and "table-page-png.tif" in error["message"] and "5 秒" in error["message"]
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "table-page-png.tif" in lines[0] and "超时" in lines[0], out.stderr
    assert "Traceback" not in out.stderr


def test_timeout_ends_libreoffice_and_cleans_up(tmp_path, monkeypatch):
    """A DOC whose conversion overruns: LibreOffice, started by the bounded
    reader, ends with it, and the reader's temporary files are gone."""
    import subprocess
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # so LibreOffice's command line names tmp_path
    t0 = time.perf_counter()
    doc = read_limited(SAMPLES / "doc.doc", timeout=120)  # with time enough, it reads
    needed = time.perf_counter() - t0
    assert doc.format == "doc" and "1285" in doc.text
    # then cut it short while LibreOffice is at work (after the interpreter's start)
    timed_out = False
    for fraction in (0.6, 0.45, 0.3):
        try:
            read_limited(SAMPLES / "doc.doc", timeout=needed * fraction)
        except SourceError as exc:
            assert exc.reason == "timeout"
            timed_out = True
        time.sleep(0.5)
        left = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout.split()
        assert not left
        assert not list(tmp_path.glob("nianbao-limited-*"))
    assert timed_out


def test_out_of_memory_is_recognised_through_a_wrapper():
    """rapidocr wraps onnxruntime's error in its own, whose message is a long traceback: running out of
    memory under the cap is still said as such (reason ``memory``), not as a defect of ours."""
    from nianbao.sources.guard import out_of_memory, stage_error

    class ONNXRuntimeError(Exception):
        pass

    def wrapped(inner: Exception) -> Exception:
        try:
            try:
                raise inner
            except Exception as e:
                raise ONNXRuntimeError("Traceback (most recent call last):\n" + "  File ...\n" * 40) from e
        except ONNXRuntimeError as outer:
            return outer

    ort = RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status code returned while running "
                       "Conv node. Failed to allocate memory for requested buffer of size 9437184")
    assert out_of_memory(wrapped(ort)) and out_of_memory(wrapped(MemoryError()))
    assert stage_error(wrapped(ort), "x.png", "sources.image").reason == "memory"
    other = wrapped(ValueError("shape mismatch"))
    assert not out_of_memory(other) and stage_error(other, "x.png", "sources.image").reason == "internal"
