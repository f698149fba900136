"""Tests of minetools.clean."""
