"""The layer rules (import-linter) hold and catch planted breaches; ARCHITECTURE.md names every module."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "profile_harness"
CONTRACTS: dict[str, str] = {
    contract["id"]: contract["name"]
    for contract in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
}

# A case (a contract id, or id-variant) -> (a file of the package, and the line planted at its end,
# an import that contract forbids). The files are sub-package __init__ modules, which renames inside
# a layer leave in place, or a new module.
PLANTED = {
    "layers": ("server/__init__.py", "import profile_harness.handlers"),
    "layers-exhaustive": ("stray.py", "import profile_harness.errors"),
    "store": ("store/__init__.py", "import profile_harness.server"),
    "store-http": ("store/__init__.py", "import starlette"),
    "handlers": ("handlers/__init__.py", "import profile_harness.cli"),
    "contract": ("contract/__init__.py", "import profile_harness.store"),
    "contract-scenarios": ("contract/__init__.py", "import profile_harness.scenarios.loader"),
    "scenarios": ("scenarios/__init__.py", "import profile_harness.store"),
    # Only targets.py may build the app; anywhere else it reaches the store indirectly.
    "scenarios-app": ("scenarios/__init__.py", "import profile_harness.app"),
    "openapi": ("openapi/__init__.py", "import profile_harness.server"),
}


def _contract_of(case: str) -> str:
    """Name the contract a case breaks: the case itself, or the case less a ``-variant`` suffix."""
    return case if case in CONTRACTS else case.rsplit("-", 1)[0]


def _start_lint_imports(cwd: Path, source: Path) -> subprocess.Popen[str]:
    """Start ``lint-imports`` on the package found under ``source``, with the project's contracts.

    A process of its own: in this one, ``profile_harness`` is already imported from the real tree.
    """
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
            "--no-cache",
            str(cwd / "pyproject.toml"),
        ],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(source)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _plant(case: str, root: Path) -> Path:
    """Copy the package and the contracts under ``root``, and plant the case's import in the copy."""
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    copy = root / "src" / "profile_harness"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    relative, line = PLANTED[case]
    target = copy / relative
    text = target.read_text() if target.exists() else '"""A module no layer names."""\n'
    target.write_text(f"{text}\n{line}  # planted\n")
    return root


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str]]:
    """Run ``lint-imports`` on the real tree (``""``) and on each planted copy: (exit code, output).

    The runs go side by side, which keeps this module to a few seconds.
    """
    roots = {case: _plant(case, tmp_path_factory.mktemp(case)) for case in PLANTED}
    running = {case: _start_lint_imports(root, root / "src") for case, root in roots.items()}
    running[""] = _start_lint_imports(ROOT, ROOT / "src")
    outputs = {case: process.communicate(timeout=120)[0] for case, process in running.items()}
    return {case: (running[case].returncode, output) for case, output in outputs.items()}


def test_contracts__every_one_has_a_planted_breach() -> None:
    assert {_contract_of(case) for case in PLANTED} == set(CONTRACTS)


def test_contracts__the_tree_keeps_them_all(verdicts: dict[str, tuple[int, str]]) -> None:
    code, output = verdicts[""]
    assert code == 0, output
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in output


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_contracts__a_planted_breach_fails(case: str, verdicts: dict[str, tuple[int, str]]) -> None:
    code, output = verdicts[case]
    assert code == 1, output
    name = CONTRACTS[_contract_of(case)]
    assert any(row.startswith(f"{name} BROKEN") for row in output.splitlines()), output


def test_package_root__holds_at_most_ten_modules() -> None:
    assert len(list(PACKAGE.glob("*.py"))) <= 10


def test_architecture_md__names_every_module() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text()
    unnamed = []
    for module in sorted(PACKAGE.rglob("*.py")):
        parts = module.relative_to(PACKAGE).parts
        if parts[-1] == "__init__.py" and len(parts) > 1:
            continue  # a sub-package's __init__ speaks for the package, which the document names
        # Named by its path from the package or from any folder inside it: `computed/pql/syntax.py`.
        if not any(f"`{'/'.join(parts[i:])}`" in text for i in range(len(parts))):
            unnamed.append("/".join(parts))
    assert not unnamed, f"ARCHITECTURE.md does not name: {unnamed}"
