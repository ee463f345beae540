"""Records passed between stages. Plain dataclasses: stages take and return these, the store maps
them to rows."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime


def url_key(canonical_url: str) -> str:
    """Natural key of an article or page: sha256 of its canonical URL, 16 hex characters."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Outlet:
    """One configured source of articles (from the sources file)."""

    id: str
    name: str
    homepage: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    language: str = "fr"
    country: str = ""
    kind: str = ""
    requests_per_second: float = 1.0
    concurrency: int = 1


@dataclass(frozen=True)
class Actor:
    """A canonical actor of the topic with the aliases that name it in text."""

    id: str
    name: str
    type: str  # ORG, PER, PRODUCT, GOV
    aliases: tuple[str, ...] = ()
    # spaCy labels this actor may appear under once linked (the ruler relabels to `label`).
    label: str = "ORG"
    # spaCy token patterns (lists of token dicts) for wordings too varied for aliases.
    patterns: tuple = ()


@dataclass(frozen=True)
class StanceTarget:
    """A proposition whose support or contestation the analysis measures."""

    id: str
    description: str
    hypotheses: dict[str, str] = field(default_factory=dict)  # label -> NLI hypothesis


@dataclass(frozen=True)
class Topic:
    """What Veille follows: keywords for relevance, actors, stance targets."""

    id: str
    name: str
    keywords: dict[str, float]  # lower-cased term or phrase -> weight
    actors: tuple[Actor, ...]
    stance_targets: tuple[StanceTarget, ...]
    tone_actors: tuple[str, ...] = ()  # actor ids whose tone is tracked per article
    # Relevance also needs a term of every group (e.g. a party AND the act); empty = score only.
    require_all: tuple[tuple[str, ...], ...] = ()

    def actor(self, actor_id: str) -> Actor | None:
        """Look an actor up by id."""
        return next((a for a in self.actors if a.id == actor_id), None)


@dataclass
class Discovered:
    """An article URL found in a feed or sitemap."""

    url: str
    outlet_id: str
    source_url: str
    title: str = ""
    published_hint: datetime | None = None
    updated_hint: datetime | None = None


@dataclass
class Page:
    """A fetched HTTP response, decoded, with its archive location."""

    url: str
    final_url: str
    outlet_id: str
    status: int
    content_type: str
    html: str
    charset: str
    fetched_at: datetime
    body_sha256: str
    size_bytes: int
    warc_path: str = ""
    warc_offset: int = -1
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Natural key of the page (its requested URL)."""
        return url_key(self.url)


@dataclass
class Article:
    """What extraction produces from a page."""

    url: str
    canonical_url: str
    outlet_id: str
    title: str
    authors: list[str]
    published_at: datetime | None
    date_source: str  # metadata | text | url | none
    modified_at: datetime | None
    language: str
    text: str
    extractor: str  # "name version" of the extraction combination
    lead: str = ""  # the chapô shown between title and body, when distinct from the body
    field_sources: dict[str, str] = field(default_factory=dict)
    relevance: float = 0.0
    matched_terms: list[str] = field(default_factory=list)
    content_sha256: str = ""
    page_key: str = ""

    @property
    def id(self) -> str:
        """Natural key: hash of the canonical URL."""
        return url_key(self.canonical_url)


@dataclass
class Failure:
    """One item that could not be processed; the run goes on."""

    stage: str
    item: str
    reason: str
    detail: str = ""
    outlet_id: str = ""
