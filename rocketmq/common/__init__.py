"""Shared model: protocol codes, flags and config used by every subsystem."""
