"""Veille's exceptions and stable, numbered error messages.

Library code raises these; the CLI turns them into a one-line message and a non-zero exit code.
Codes never change meaning once released (like spaCy's ``E###``), so they can be searched for.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Stable reason codes for rows of the ``failures`` table."""

    HTTP_ERROR = "http_error"
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    TOO_LARGE = "too_large"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    BAD_SCHEME = "bad_scheme"
    ROBOTS_DISALLOWED = "robots_disallowed"
    BAD_CHARSET = "bad_charset"
    NOT_HTML = "not_html"
    PARSE_ERROR = "parse_error"
    FEED_ERROR = "feed_error"
    EMPTY_TEXT = "empty_text"
    NOT_FRENCH = "not_french"
    DUPLICATE = "duplicate"
    NOT_ARTICLE = "not_article"  # a site's home page listed in a sitemap: links, not an article
    NLP_ERROR = "nlp_error"
    MODEL_ERROR = "model_error"
    ARCHIVE_ERROR = "archive_error"


class VeilleError(Exception):
    """Base class: ``code`` is stable, ``hint`` says what to do about it."""

    code = "E000"

    def __init__(self, message: str, *, hint: str = "", code: str | None = None):
        self.message = message
        self.hint = hint
        if code:
            self.code = code
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"[{self.code}] {self.message}"
        return f"{text} {self.hint}" if self.hint else text


class ConfigError(VeilleError):
    """The configuration (settings, sources or topic file) is missing or invalid."""

    code = "E100"


class StoreError(VeilleError):
    """The DuckDB store cannot be opened, migrated or written."""

    code = "E200"


class ItemError(VeilleError):
    """One item failed with a failures-table reason code; the run records it and goes on."""

    def __init__(self, message: str, *, reason: Reason, hint: str = ""):
        self.reason = reason
        super().__init__(message, hint=hint)


class CollectError(ItemError):
    """A collection step failed in a way that concerns one item (recorded as a failure)."""

    code = "E300"


class ExtractError(ItemError):
    """Extraction of one page failed (recorded as a failure)."""

    code = "E400"


class ModelError(VeilleError):
    """A model folder is missing, corrupt or of the wrong kind (E500-E549)."""

    code = "E500"


class AnalysisError(VeilleError):
    """A text the analysis stage cannot take: empty, too long (E550-E599)."""

    code = "E550"


class QueryError(VeilleError):
    """An analyst query is unknown or was given bad parameters."""

    code = "E600"


class RunLockedError(VeilleError):
    """Another nightly run holds the lock."""

    code = "E700"


class MissingExtraError(VeilleError):
    """An optional dependency group is not installed."""

    code = "E800"


def require(module: str, extra: str):
    """Import ``module`` or raise a clear error naming the pip extra that provides it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise MissingExtraError(
            f"'{module}' is not installed.",
            hint=f"Install it with: pip install 'veille[{extra}]'",
        ) from exc
