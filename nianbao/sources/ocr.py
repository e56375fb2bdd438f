"""OCR engine: rapidocr 3 on onnxruntime, with the models its wheel ships.

Nothing is downloaded: rapidocr finds its bundled models and only checks
them. The engine is built once per process (about 0.1 s, the models load on
first use) and tuned as stack-notes.md measured: a lower text score keeps
lone single digits, which the default drops.

Two ways in: :func:`recognise` finds the text lines of an image (detection,
then recognition) and :func:`read` recognises lines already cut out (the
cells of a ruled table, :mod:`.cellocr`), many in one batch. Detection may
run on a smaller copy of the image when its text is large
(``det_scale``); the lines are still recognised at full resolution.
``NIANBAO_OCR_THREADS`` caps onnxruntime's threads (default: all cores; 1
where one process a core reads files side by side).
"""
from __future__ import annotations

import logging
import os
import threading

import numpy as np

PARAMS = {
    "Global.text_score": 0.3,
    "Det.box_thresh": 0.3,
    "Det.unclip_ratio": 2.0,
    "Global.use_cls": False,
    "Global.max_side_len": 3000,
    # lines narrower than 64/48 are padded up to that, not to 320/48: a
    # table's lone digits then cost a fifth (cellocr pads them with white)
    "Rec.rec_img_shape": [3, 48, 64],
    "Rec.rec_batch_num": 6,
}
MIN_SCORE = PARAMS["Global.text_score"]

_engine = None
_lock = threading.Lock()


def engine():
    global _engine
    with _lock:
        if _engine is None:
            from rapidocr import RapidOCR

            params = dict(PARAMS)
            threads = int(os.environ.get("NIANBAO_OCR_THREADS") or -1)
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = threads
            params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1 if threads > 0 else -1
            _engine = RapidOCR(params=params)
            for name in ("RapidOCR", "rapidocr"):
                logging.getLogger(name).setLevel(logging.WARNING)
        return _engine


def read(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """(text, score) of each crop (one line of text each, three channels),
    recognised in batches of similar widths."""
    if not crops:
        return []
    from rapidocr.ch_ppocr_rec import TextRecInput

    rec = engine()._load_rec_model()
    out = rec(TextRecInput(img=list(crops), return_word_box=False))
    return [(str(t).strip(), round(float(s), 4)) for t, s in zip(out.txts, out.scores)]


def recognise(image, det_scale: float = 1.0) -> list[dict]:
    """Text boxes of an image (numpy array, grey or RGB): dicts with text,
    x0, top, x1, bottom (pixels, axis-aligned) and confidence. With
    ``det_scale`` < 1 the lines are found on a copy that much smaller."""
    import cv2
    from rapidocr.utils.process_img import get_rotate_crop_image

    img = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    eng = engine()
    det = eng._load_det_model()
    small = img
    if det_scale < 0.95:
        small = cv2.resize(img, (max(int(img.shape[1] * det_scale), 32), max(int(img.shape[0] * det_scale), 32)),
                           interpolation=cv2.INTER_AREA)
    else:
        det_scale = 1.0
    # the detector's own sizing leaves an image of this size as it is
    det.limit_type, det.limit_side_len = "max", max(small.shape[:2])
    found = det(small)
    if found.boxes is None or len(found.boxes) == 0:
        return []
    quads = [np.asarray(q, dtype=np.float32) / det_scale for q in found.boxes]
    crops = [get_rotate_crop_image(img, q.copy()) for q in quads]
    texts = read(crops)
    out = []
    for quad, (text, score) in zip(quads, texts):
        if not text or score < MIN_SCORE:
            continue
        xs, ys = quad[:, 0], quad[:, 1]
        out.append({"text": text, "x0": float(xs.min()), "top": float(ys.min()), "x1": float(xs.max()),
                    "bottom": float(ys.max()), "confidence": score})
    return out
