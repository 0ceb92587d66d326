"""Tests for the pure-Python regulations package (no Django needed)."""
