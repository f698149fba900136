"""Tests of minetools.drivers."""
