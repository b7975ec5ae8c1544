"""The package's public surface: the curated ``__all__``, its lazy imports and the one version."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import types

import pytest
from click.testing import CliRunner

import profile_harness

# What a user imports from the package root. Changing it is a decision: update this list, the README
# and the CHANGELOG together.
PUBLIC = {
    "ApiError": "profile_harness.errors",
    "HarnessOptions": "profile_harness.options",
    "MockProfileAPI": "profile_harness.testing",
    "NeedsTheMock": "profile_harness.testing",
    "RemoteProfileAPI": "profile_harness.testing",
    "ServerError": "profile_harness.testing",
    "Store": "profile_harness.store",
    "Tenant": "profile_harness.store",
    "__version__": "profile_harness",
    "create_app": "profile_harness.app",
}


def test_all__is_the_written_list() -> None:
    assert sorted(profile_harness.__all__) == sorted(PUBLIC)
    assert profile_harness.__all__ == sorted(profile_harness.__all__)


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_all__every_name_imports_from_its_home(name: str) -> None:
    value = getattr(profile_harness, name)
    home = importlib.import_module(PUBLIC[name])
    assert value is getattr(home, name)
    assert not isinstance(value, types.ModuleType)


def test_all__star_import_gives_exactly_the_list() -> None:
    namespace: dict[str, object] = {}
    exec("from profile_harness import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(PUBLIC)


def test_dir__lists_the_public_names() -> None:
    assert set(PUBLIC) <= set(dir(profile_harness))


def test_getattr__unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'create_ap'"):
        profile_harness.create_ap  # type: ignore[attr-defined]  # noqa: B018


def test_import__stays_cheap() -> None:
    # The CLI's --version and the pytest plugin import the package; the app and Connexion wait for use.
    code = (
        "import sys, profile_harness\n"
        "print(sorted(m for m in sys.modules if m.startswith(('connexion', 'profile_harness'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['profile_harness']"


def test_version__is_the_installed_metadata() -> None:
    assert profile_harness.__version__ == importlib.metadata.version("profile-harness")


def test_version__cli_reports_it() -> None:
    from profile_harness.cli import main

    result = CliRunner().invoke(main, ["--version"])
    assert result.output.strip() == f"profile-harness, version {profile_harness.__version__}"
