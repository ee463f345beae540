"""Settings: packaged defaults < user file < environment < --set, validated against the defaults."""

from __future__ import annotations

import copy
import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError

ENV_PREFIX = "VEILLE_"
USER_FILE_ENV = "VEILLE_CONFIG"
LOCAL_FILE = "veille.toml"


@dataclass(frozen=True)
class Settings:
    """Validated settings plus where each layer came from (for messages and provenance)."""

    data: dict[str, Any]
    sources: tuple[str, ...] = field(default_factory=tuple)

    def __getitem__(self, dotted: str) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            node = node[part]
        return node

    def section(self, name: str) -> dict[str, Any]:
        """Return one section as a plain dict."""
        return dict(self.data[name])

    def path(self, dotted: str) -> Path:
        """Return a setting as a Path (relative to the working directory)."""
        return Path(self[dotted])


def load_defaults() -> dict[str, Any]:
    """Parse the packaged default.toml."""
    text = resources.files("pipeline").joinpath("default.toml").read_text("utf-8")
    return tomllib.loads(text)


def _parse_value(raw: str) -> Any:
    """Interpret an environment or --set value as a TOML literal, else as a plain string."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _check_type(key: str, value: Any, default: Any, origin: str) -> Any:
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, list):
        ok = isinstance(value, list)
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise ConfigError(
            f"Setting '{key}' in {origin} must be of type {type(default).__name__}, "
            f"got {type(value).__name__} ({value!r}).",
            hint="Fix the value or remove the line to use the default.",
            code="E101",
        )
    return value


def _merge(base: dict[str, Any], layer: Mapping[str, Any], origin: str, prefix: str = "") -> None:
    for key, value in layer.items():
        dotted = f"{prefix}{key}"
        if key not in base:
            known = ", ".join(sorted(base))
            raise ConfigError(
                f"Unknown setting '{dotted}' in {origin}.",
                hint=f"Known keys here: {known}.",
                code="E102",
            )
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(
                    f"'{dotted}' in {origin} must be a table ([{dotted}]).", code="E101"
                )
            _merge(base[key], value, origin, f"{dotted}.")
        else:
            base[key] = _check_type(dotted, value, base[key], origin)


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    node = out
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Config file {path} does not exist.", code="E103") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Config file {path} is not valid TOML: {exc}.", code="E104") from None


def load_settings(
    user_file: str | Path | None = None,
    overrides: list[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings from all layers; raise ConfigError naming the key and file on mistakes."""
    environ = os.environ if environ is None else environ
    data = copy.deepcopy(load_defaults())
    origins = ["defaults (pipeline/default.toml)"]

    path = user_file or environ.get(USER_FILE_ENV) or (LOCAL_FILE if Path(LOCAL_FILE).exists() else None)
    if path:
        path = Path(path)
        _merge(data, _read_toml(path), str(path))
        origins.append(str(path))

    for name, raw in sorted(environ.items()):
        # Only VEILLE_SECTION__KEY names are settings; other VEILLE_* variables are left alone.
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        dotted = name[len(ENV_PREFIX):].lower().replace("__", ".")
        _merge(data, _nest(dotted, _parse_value(raw)), f"environment variable {name}")
        origins.append(name)

    for item in overrides or []:
        if "=" not in item:
            raise ConfigError(
                f"--set expects key=value, got '{item}'.",
                hint="Example: --set store.path=/tmp/v.duckdb",
                code="E105",
            )
        key, raw = item.split("=", 1)
        _merge(data, _nest(key.strip(), _parse_value(raw.strip())), f"--set {key.strip()}")
        origins.append(f"--set {key.strip()}")
    return Settings(data=data, sources=tuple(origins))


# -- sources and topic files -------------------------------------------------------------------

_OUTLET_KEYS = {
    "id": str, "name": str, "homepage": str, "feeds": list, "sitemaps": list, "language": str,
    "country": str, "kind": str, "requests_per_second": (int, float), "concurrency": int,
}
_ACTOR_TYPES = {"ORG", "PER", "PRODUCT", "GOV"}
_ACTOR_LABEL = {"ORG": "ORG", "PER": "PER", "PRODUCT": "PRODUCT", "GOV": "ORG"}


def load_sources(path: str | Path) -> list["Outlet"]:
    """Read and validate the outlet list (``[[outlets]]`` tables)."""
    from .records import Outlet

    path = Path(path)
    data = _read_toml(path)
    unknown_top = set(data) - {"outlets"}
    if unknown_top:
        raise ConfigError(f"Unknown key(s) {sorted(unknown_top)} in sources file {path}.",
                          hint="A sources file holds only [[outlets]] tables.", code="E110")
    outlets, seen = [], set()
    for i, raw in enumerate(data.get("outlets", [])):
        where = f"outlet #{i + 1} ({raw.get('id', '?')}) in {path}"
        for key, value in raw.items():
            if key not in _OUTLET_KEYS:
                raise ConfigError(f"Unknown key '{key}' in {where}.",
                                  hint=f"Allowed: {', '.join(_OUTLET_KEYS)}.", code="E111")
            if not isinstance(value, _OUTLET_KEYS[key]) or isinstance(value, bool):
                raise ConfigError(f"Key '{key}' in {where} has the wrong type ({type(value).__name__}).",
                                  code="E112")
        for key in ("id", "name", "homepage"):
            if not raw.get(key):
                raise ConfigError(f"Missing '{key}' in {where}.", code="E113")
        if raw["id"] in seen:
            raise ConfigError(f"Duplicate outlet id '{raw['id']}' in {path}.", code="E114")
        seen.add(raw["id"])
        if not raw.get("feeds") and not raw.get("sitemaps"):
            raise ConfigError(f"{where} has neither feeds nor sitemaps.",
                              hint="Add at least one RSS/Atom feed or sitemap URL.", code="E115")
        outlets.append(Outlet(
            id=raw["id"], name=raw["name"], homepage=raw["homepage"],
            feeds=tuple(raw.get("feeds", [])), sitemaps=tuple(raw.get("sitemaps", [])),
            language=raw.get("language", "fr"), country=raw.get("country", ""), kind=raw.get("kind", ""),
            requests_per_second=float(raw.get("requests_per_second", 1.0)),
            concurrency=int(raw.get("concurrency", 1)),
        ))
    if not outlets:
        raise ConfigError(f"No [[outlets]] in sources file {path}.", code="E116")
    return outlets


def topic_path(name_or_path: str) -> Path:
    """Resolve a packaged topic name or a file path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        return candidate
    packaged = resources.files("pipeline").joinpath("topics", f"{name_or_path}.toml")
    return Path(str(packaged))


def load_topic(name_or_path: str) -> "Topic":
    """Read and validate a topic file: keywords, actors with aliases, stance targets."""
    from .records import Actor, StanceTarget, Topic

    path = topic_path(name_or_path)
    data = _read_toml(path)
    allowed = {"id", "name", "tone_actors", "keywords", "actors", "stance_targets", "relevance"}
    for key in data:
        if key not in allowed:
            raise ConfigError(f"Unknown key '{key}' in topic file {path}.",
                              hint=f"Allowed: {', '.join(sorted(allowed))}.", code="E120")
    actors, ids = [], set()
    for i, raw in enumerate(data.get("actors", [])):
        aid, atype = raw.get("id"), raw.get("type")
        if not aid or not raw.get("name"):
            raise ConfigError(f"Actor #{i + 1} in {path} needs an id and a name.", code="E121")
        if atype not in _ACTOR_TYPES:
            raise ConfigError(f"Actor '{aid}' in {path} has type {atype!r}.",
                              hint=f"Use one of {sorted(_ACTOR_TYPES)}.", code="E122")
        if aid in ids:
            raise ConfigError(f"Duplicate actor id '{aid}' in {path}.", code="E123")
        ids.add(aid)
        aliases = tuple(raw.get("aliases", [])) or (raw["name"],)
        patterns = raw.get("patterns", [])
        if not isinstance(patterns, list) or not all(
                isinstance(p, list) and p and all(isinstance(t, dict) for t in p) for p in patterns):
            raise ConfigError(f"patterns of actor '{aid}' in {path} must be a list of spaCy token patterns.",
                              hint='Example: patterns = [[{LOWER = "commission"}, {LOWER = "chine"}]]', code="E128")
        actors.append(Actor(id=aid, name=raw["name"], type=atype, aliases=aliases, label=_ACTOR_LABEL[atype],
                            patterns=tuple(patterns)))
    tone_actors = tuple(data.get("tone_actors", []))
    for aid in tone_actors:
        if aid not in ids:
            raise ConfigError(f"tone_actors names unknown actor id '{aid}' in {path}.",
                              hint="Use an id declared in [[actors]].", code="E124")
    targets = []
    for raw in data.get("stance_targets", []):
        if not raw.get("id") or not raw.get("description"):
            raise ConfigError(f"A stance target in {path} needs an id and a description.", code="E125")
        targets.append(StanceTarget(id=raw["id"], description=raw["description"],
                                    hypotheses=dict(raw.get("hypotheses", {}))))
    keywords = {str(k).lower(): float(v) for k, v in data.get("keywords", {}).items()}
    if not keywords:
        raise ConfigError(f"Topic file {path} has no [keywords].", code="E126")
    relevance = data.get("relevance", {})
    groups = relevance.get("require_all", []) if isinstance(relevance, dict) else None
    if groups is None or set(relevance) - {"require_all"} or not all(
            isinstance(g, list) and g and all(isinstance(t, str) and t.strip() for t in g) for g in groups):
        raise ConfigError(f"[relevance] in topic file {path} must be require_all = [[\"term\", ...], ...].",
                          hint="Each group is a non-empty list of terms; an article needs one term of every group.",
                          code="E127")
    require_all = tuple(tuple(t.strip().lower() for t in g) for g in groups)
    return Topic(id=data.get("id", path.stem), name=data.get("name", path.stem), keywords=keywords,
                 actors=tuple(actors), stance_targets=tuple(targets), tone_actors=tone_actors,
                 require_all=require_all)
