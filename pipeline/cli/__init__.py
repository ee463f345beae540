"""The ``veille`` command line: a thin layer that composes the library's stage functions.

``app`` and the entry point ``main`` are in :mod:`.app`; importing the command modules registers
their commands on it (typer's decorators), nothing else runs.
"""

# Importing a command module registers its commands; this order is the order of `veille -h`.
from . import stages  # noqa: F401  (isort: skip)
from . import distill, evaluation, models  # noqa: F401
from .app import app, main

__all__ = ["app", "main"]
