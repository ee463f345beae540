"""Replay server: serves the bundled corpus over real HTTP on 127.0.0.1, as an HTTP proxy."""

from .server import ReplayServer, serve_corpus

__all__ = ["ReplayServer", "serve_corpus"]
