"""Tests of minetools.segment."""
