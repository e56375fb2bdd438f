"""Reading the store's JSON columns (records, cells' provenance, findings) with orjson.

Records are read far more often than written (exports, the API, reconciliation), and
``json.loads`` was most of an export's time. orjson refuses a few texts Python's ``json``
writes (``NaN``, integers beyond 64 bits); those rare ones are read by ``json`` as before.
"""
from __future__ import annotations

import json

import orjson


def loads(text: str | bytes):
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
