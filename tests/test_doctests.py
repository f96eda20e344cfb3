"""Run the doctests of every module of the ``tieskg`` import package, one test per module.

Modules are found with :func:`pkgutil.walk_packages` under ``tieskg`` and each of its
subpackages (which live in separate folders of the repository). A subpackage that does
not exist yet is skipped, visibly; a module that fails to import fails its test.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("tieskg", "tieskg.ontology", "tieskg.graph", "tieskg.queries", "tieskg.loaders",
            "tieskg.server")


def _missing(error: ModuleNotFoundError, name: str) -> bool:
    """Whether ``error`` says that package ``name`` itself (or a parent) does not exist."""
    return error.name is not None and (name == error.name or name.startswith(error.name + "."))


def _module_params() -> list[object]:
    params: list[object] = []
    seen: set[str] = set()

    def add(name: str, *marks: pytest.MarkDecorator) -> None:
        if name not in seen:
            seen.add(name)
            params.append(pytest.param(name, id=name, marks=marks))

    for package_name in PACKAGES:
        try:
            package = importlib.import_module(package_name)
        except ModuleNotFoundError as error:
            if _missing(error, package_name):
                reason = f"package {package_name} does not exist yet"
                add(package_name, pytest.mark.skip(reason=reason))
                continue
            add(package_name)  # broken import: its test fails with the real error
            continue
        except Exception:
            add(package_name)
            continue
        add(package_name)
        failed: list[str] = []
        for info in pkgutil.walk_packages(
            getattr(package, "__path__", []), prefix=f"{package_name}.", onerror=failed.append
        ):
            add(info.name)
        for name in failed:  # subpackages walk_packages could not import
            add(name)
    return params


@pytest.mark.parametrize("module_name", _module_params())
def test_doctests(module_name: str) -> None:
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=False)
    assert result.failed == 0, (
        f"{result.failed} of {result.attempted} doctest examples failed in {module_name} "
        "(details in the captured stdout)"
    )
