"""Tests of minetools.themes."""
