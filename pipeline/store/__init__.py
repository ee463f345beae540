"""DuckDB store: one file, schema from numbered SQL migrations, idempotent bulk upserts."""

from .db import Store, open_store

__all__ = ["Store", "open_store"]
