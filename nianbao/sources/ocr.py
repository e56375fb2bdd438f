"""OCR engine: rapidocr 3 on onnxruntime, with the models its wheel ships.

Nothing is downloaded: rapidocr finds its bundled models and only checks
them. The engine is built once per process (about 0.1 s, the models load on
first use) and tuned as stack-notes.md measured: a lower text score keeps
lone single digits, which the default drops.
"""
from __future__ import annotations

import logging
import threading

PARAMS = {
    "Global.text_score": 0.3,
    "Det.box_thresh": 0.3,
    "Det.unclip_ratio": 2.0,
    "Global.use_cls": False,
    "Global.max_side_len": 3000,
}

_engine = None
_lock = threading.Lock()


def engine():
    global _engine
    with _lock:
        if _engine is None:
            from rapidocr import RapidOCR

            _engine = RapidOCR(params=dict(PARAMS))
            for name in ("RapidOCR", "rapidocr"):
                logging.getLogger(name).setLevel(logging.WARNING)
        return _engine


def recognise(image) -> list[dict]:
    """Text boxes of an image (numpy array, grey or RGB): dicts with text,
    x0, top, x1, bottom (pixels, axis-aligned) and confidence, and ``words``
    (text, x0, x1) when the engine placed them: a box read across a faint
    table rule ("行政规范性文件19") can then be cut at the rule."""
    result = engine()(image, return_word_box=True)
    if result is None or result.boxes is None or result.txts is None:
        return []
    words = result.word_results if result.word_results and len(result.word_results) == len(result.txts) else None
    out = []
    for i, (quad, text, score) in enumerate(zip(result.boxes, result.txts, result.scores)):
        raw = str(text)
        text = raw.strip()
        if not text:
            continue
        xs = [float(p[0]) for p in quad]
        ys = [float(p[1]) for p in quad]
        box = {"text": text, "x0": min(xs), "top": min(ys), "x1": max(xs), "bottom": max(ys),
               "confidence": round(float(score), 4)}
        line = _words(words[i]) if words else None
        # trust the words only when they spell the line (the engine drops some)
        if line and "".join(w[0] for w in line).replace(" ", "") == raw.replace(" ", ""):
            box["words"] = line
        out.append(box)
    return out


def _words(items) -> list[tuple[str, float, float]] | None:
    out = []
    try:
        for text, _score, quad in items:
            xs = [float(p[0]) for p in quad]
            out.append((str(text), min(xs), max(xs)))
    except (TypeError, ValueError, IndexError):
        return None
    return out
