"""Placeholder for the main job (replaced below)."""
