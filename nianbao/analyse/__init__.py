"""Analyses over stored reports: derived metrics (as data), aggregates, comparisons."""
