"""Offline language identification (py3langid, model shipped with the package)."""

from __future__ import annotations


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language ('' for empty text)."""
    import py3langid

    sample = (text or "")[:5000]
    if not sample.strip():
        return ""
    lang, _ = py3langid.classify(sample)
    return lang
