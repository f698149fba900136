"""Tests of minetools.plots."""
