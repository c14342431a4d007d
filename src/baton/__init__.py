"""Baton: sales-development operations platform."""

__version__ = "0.1.0"
