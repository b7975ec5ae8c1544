"""Validate a real deployment against the contract: ``profile-harness validate`` and ``proxy``."""
