"""Generated reports: consistent records and their renderings into every shape."""
from .records import random_record  # noqa: F401
