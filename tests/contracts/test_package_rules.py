"""Package rules: msgspec + stdlib only, unique class names, versioned modules, frozen kw-only Structs, no floats."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
import typing
from pathlib import Path

import msgspec
import pytest

import contracts

PACKAGE_DIR = Path(contracts.__file__).parent
MODULES = sorted(f"contracts.{m.name}" for m in pkgutil.iter_modules([str(PACKAGE_DIR)]))
# problems.py predates this package's rules and is owned elsewhere; it is checked for imports only.
OWNED = [m for m in MODULES if m != "contracts.problems"]


def structs() -> list[type[msgspec.Struct]]:
    found: dict[str, type[msgspec.Struct]] = {}
    for name in OWNED:
        for _, obj in inspect.getmembers(importlib.import_module(name), inspect.isclass):
            if issubclass(obj, msgspec.Struct) and obj.__module__.startswith("contracts."):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [found[k] for k in sorted(found)]


def test_importing_contracts_loads_only_msgspec_and_stdlib() -> None:
    code = (
        "import sys; import contracts, contracts.asyncapi\n"
        + "".join(f"import {m}\n" for m in MODULES)
        + "roots = {m.split('.')[0] for m in sys.modules}\n"
        "print('\\n'.join(sorted(r for r in roots if r not in sys.stdlib_module_names)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=PACKAGE_DIR.parent).stdout.split()
    # typing_extensions is loaded by msgspec itself.
    assert set(out) - {"__main__", "contracts", "msgspec", "typing_extensions", "_distutils_hack"} == set()


@pytest.mark.parametrize("module", MODULES)
def test_source_imports_only_msgspec_stdlib_and_contracts(module: str) -> None:
    tree = ast.parse(Path(importlib.import_module(module).__file__ or "").read_text(encoding="utf-8"))
    top = {
        (node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name.split(".")[0]
        for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    allowed = set(sys.stdlib_module_names) | {"msgspec", "contracts", "__future__"}
    lazy = {"yaml"} if module == "contracts.asyncapi" else set()
    assert top - allowed - lazy == set()


@pytest.mark.parametrize("module", OWNED)
def test_module_has_docstring_version_and_all(module: str) -> None:
    mod = importlib.import_module(module)
    assert mod.__doc__
    if module != "contracts":
        assert "Contract version: 1." in mod.__doc__
    assert isinstance(mod.__all__, list) and mod.__all__
    assert all(hasattr(mod, name) for name in mod.__all__)


def test_class_names_are_unique_across_the_package() -> None:
    names: dict[str, str] = {}
    for name in MODULES:
        for cls_name, obj in inspect.getmembers(importlib.import_module(name), inspect.isclass):
            if obj.__module__ == name:
                assert cls_name not in names, f"{cls_name} defined in {names.get(cls_name)} and {name}"
                names[cls_name] = name


@pytest.mark.parametrize("struct", structs(), ids=lambda s: s.__name__)
def test_structs_are_frozen_and_keyword_only(struct: type[msgspec.Struct]) -> None:
    assert struct.__struct_config__.frozen
    params = inspect.signature(struct).parameters.values()
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)


def _mentions_float(tp: object) -> bool:
    if tp is float:
        return True
    return any(_mentions_float(arg) for arg in typing.get_args(tp))


@pytest.mark.parametrize("struct", structs(), ids=lambda s: s.__name__)
def test_no_float_fields(struct: type[msgspec.Struct]) -> None:
    hints = typing.get_type_hints(struct, include_extras=True)
    assert not [name for name, tp in hints.items() if _mentions_float(tp)]


def test_package_reexports_resolve() -> None:
    assert all(getattr(contracts, name) is not None for name in contracts.__all__)
