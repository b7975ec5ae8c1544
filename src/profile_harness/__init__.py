"""profile-harness: a contract-testing and mock harness for Adobe's Real-Time Customer Profile API."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
