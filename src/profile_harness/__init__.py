"""profile-harness: a contract-testing and mock harness for Adobe's Real-Time Customer Profile API.

The names below are the public surface (``tests/test_public_api.py`` holds it). They are imported on
first use, so ``import profile_harness`` (which the CLI, the pytest plugin and ``__version__`` readers
do) stays cheap and does not load Connexion, the spec or the store.
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

# Connexion imports starlette.testclient at import time, and Starlette warns there that httpx is
# deprecated for its test client: a warning about Connexion's imports, printed on every serve, replay
# and pytest run of a user. Only that message is silenced; the harness serves no test client.
warnings.filterwarnings(
    "ignore", message="Using `httpx` with `starlette.testclient` is deprecated", module="connexion"
)

# The one place the version is written: hatch reads it for the wheel's metadata ([tool.hatch.version]).
__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "HarnessOptions",
    "MockProfileAPI",
    "NeedsTheMock",
    "RemoteProfileAPI",
    "ServerError",
    "Store",
    "Tenant",
    "__version__",
    "create_app",
]

# Public name -> the module that defines it.
_LAZY = {
    "ApiError": "profile_harness.errors",
    "HarnessOptions": "profile_harness.options",
    "MockProfileAPI": "profile_harness.testing",
    "NeedsTheMock": "profile_harness.testing",
    "RemoteProfileAPI": "profile_harness.testing",
    "ServerError": "profile_harness.testing",
    "Store": "profile_harness.store",
    "Tenant": "profile_harness.store",
    "create_app": "profile_harness.app",
}

if TYPE_CHECKING:
    from profile_harness.app import create_app
    from profile_harness.errors import ApiError
    from profile_harness.options import HarnessOptions
    from profile_harness.store import Store, Tenant
    from profile_harness.testing import MockProfileAPI, NeedsTheMock, RemoteProfileAPI, ServerError
else:
    # Hidden from mypy so that a misspelt import is still an error there rather than an ``Any``.

    def __getattr__(name: str) -> Any:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))
