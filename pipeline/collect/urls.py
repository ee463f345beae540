"""URL normalisation: lower-case host, no fragment, tracking parameters removed."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_")
TRACKING_PARAMS = {"fbclid", "gclid", "xtor", "xtref", "ref", "cmp", "campaign", "origin", "mc_cid", "mc_eid", "ns_source", "ns_mchannel", "ncid"}


def normalise_url(url: str, base: str = "") -> str:
    """Absolute URL with lower-case scheme/host, no fragment, no tracking parameters."""
    if base:
        url = urljoin(base, url.strip())
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith(TRACKING_PREFIXES) and k.lower() not in TRACKING_PARAMS]
    netloc = parts.netloc.lower()
    if parts.scheme.lower() == "http" and netloc.endswith(":80"):
        netloc = netloc[:-3]
    if parts.scheme.lower() == "https" and netloc.endswith(":443"):
        netloc = netloc[:-4]
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(query), ""))


def host_of(url: str) -> str:
    """The host:port a politeness policy applies to."""
    return urlsplit(url).netloc.lower()
