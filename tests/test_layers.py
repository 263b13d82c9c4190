"""Every top-level part of yibao has its place in the one layered import contract (pyproject.toml), so that
import-linter checks what it may import: a new package left out of the layers fails here."""

from __future__ import annotations

import pkgutil
import tomllib

import yibao
from tests.conftest import REPO


def test_every_top_level_package_is_in_the_layers() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    placed = {name.strip() for layer in contract["layers"] for name in layer.split("|")}
    present = {f"yibao.{module.name}" for module in pkgutil.iter_modules(yibao.__path__) if module.name != "migrations"}
    assert present - placed == set(), "place these in the layers contract of pyproject.toml"
    assert placed - present == set(), "these layers name nothing"
