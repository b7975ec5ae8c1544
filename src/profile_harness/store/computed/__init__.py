"""Computed attributes: the PQL subset, the current API and the legacy API."""
