"""Porchlight: a home-security hub for people who are being stalked."""

__version__ = "0.1.0"
