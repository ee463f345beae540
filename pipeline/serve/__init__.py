"""Serve stage: the student behind an HTTP JSON API (LitServe, dynamic batching).

Entry points: :func:`build_server` (a configured ``litserve.LitServer``) and :func:`serve` (run it).
"""

from .api import build_server, serve

__all__ = ["build_server", "serve"]
