"""The `yibao` command's entry point: `yibao calc …` runs the calculator alone (policy core only, measured by
bench/calc.py); every other command loads the whole command line (`yibao.adapters.cli.main`)."""

from __future__ import annotations

import sys


def main() -> None:
    from yibao.adapters.cli.zh import install

    install()  # before click, Typer or argparse is imported
    if sys.argv[1:2] == ["calc"]:
        from yibao.adapters.cli.calc import main as calc

        calc(sys.argv[2:])
        return
    from yibao.adapters.cli.main import app

    app()
