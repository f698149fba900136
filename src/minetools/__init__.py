"""minetools: mine Chinese customer-complaint narratives."""

__version__ = "0.1.0"
