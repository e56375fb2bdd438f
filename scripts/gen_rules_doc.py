#!/usr/bin/env python3
"""Rewrite the generated rule catalogue of docs/rules.md (everything under the marker)."""
from pathlib import Path

from nianbao.validate import RULES  # noqa: F401  (registers every rule)
from nianbao.validate.rules import catalogue_markdown

MARKER = "<!-- generated from nianbao.validate.RULES"
doc = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
text = doc.read_text(encoding="utf-8")
head, sep, _ = text.partition(MARKER)
line_end = text.index("\n", len(head)) + 1
doc.write_text(text[:line_end] + "\n" + catalogue_markdown().strip("\n") + "\n", encoding="utf-8")
print(f"{doc}: {len(RULES)} rules")
