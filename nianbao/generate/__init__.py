"""Generated reports: consistent records and their renderings into every shape.

``random_record`` draws a record whose tables satisfy every identity;
``render.generate(shape, seed)`` writes one as a report in one of
``render.SHAPES`` and returns its bytes with the truth (and the cells the
source leaves ambiguous, from ``oracle``).
"""
from .records import random_record  # noqa: F401
