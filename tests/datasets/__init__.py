"""Tests of minetools.datasets."""
