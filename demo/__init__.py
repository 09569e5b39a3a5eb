"""Demonstration data for development: never used in production (the commands refuse)."""
