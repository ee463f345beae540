"""The analysts' query library: ``queries/*.sql`` files with a documented header, bound parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ..errors import QueryError

_PARAM = re.compile(r"^--\s+(\w+)\s+(\w+)\s*=\s*(.*?)\s*(?:--\s*(.*))?$")


@dataclass
class QueryFile:
    """One analyst query: SQL text, purpose, parameters with defaults, output columns."""

    name: str
    path: Path
    sql: str
    purpose: str = ""
    params: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # name -> (type, default SQL literal, help)
    columns: str = ""


def queries_dir(configured: str = "") -> Path:
    """The configured folder, else ./queries, else the queries/ folder beside the package."""
    if configured:
        return Path(configured)
    local = Path("queries")
    if local.is_dir():
        return local
    return Path(__file__).resolve().parents[2] / "queries"


def parse_query_file(path: Path) -> QueryFile:
    """Read the header comment: ``-- purpose:``, ``-- params:`` lines and ``-- columns:``."""
    sql = path.read_text("utf-8")
    q = QueryFile(name=path.stem, path=path, sql=sql)
    section = ""
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        body = line[2:].strip()
        low = body.lower()
        if low.startswith("purpose:"):
            q.purpose, section = body.split(":", 1)[1].strip(), "purpose"
        elif low.startswith("params:"):
            section = "params"
        elif low.startswith("columns:"):
            q.columns, section = body.split(":", 1)[1].strip(), "columns"
        elif section == "params" and (m := _PARAM.match(line)):
            q.params[m.group(1)] = (m.group(2).upper(), m.group(3), m.group(4) or "")
        elif section == "purpose" and body:
            q.purpose += " " + body
        elif section == "columns" and body:
            q.columns += " " + body
    return q


def list_queries(configured: str = "") -> dict[str, QueryFile]:
    """Every query of the library by name."""
    folder = queries_dir(configured)
    return {p.stem: parse_query_file(p) for p in sorted(folder.glob("*.sql"))}


def run_query(con, name: str, params: dict[str, str] | None = None, configured: str = "") -> tuple[list[str], list[tuple]]:
    """Run a named query with bound parameters (defaults from the header); return (columns, rows)."""
    library = list_queries(configured)
    if name not in library:
        raise QueryError(f"Unknown query '{name}'.", hint=f"Available: {', '.join(library) or '(none)'}.", code="E601")
    q = library[name]
    params = dict(params or {})
    unknown = set(params) - set(q.params)
    if unknown:
        raise QueryError(f"Query '{name}' has no parameter(s) {sorted(unknown)}.",
                         hint=f"Its parameters: {', '.join(q.params) or '(none)'}.", code="E602")
    bound: dict[str, Any] = {}
    for pname, (ptype, default, _) in q.params.items():
        # Values are cast by DuckDB from bound strings: never spliced into the SQL text.
        raw = params.get(pname)
        if raw is None:
            bound[pname] = con.execute(f"SELECT CAST({default} AS {ptype})").fetchone()[0]
        else:
            try:
                bound[pname] = con.execute(f"SELECT CAST(? AS {ptype})", [raw]).fetchone()[0]
            except Exception as exc:
                raise QueryError(f"Parameter {pname}={raw!r} is not a valid {ptype}.", code="E603") from exc
    used = {k: v for k, v in bound.items() if re.search(rf"\${re.escape(k)}\b", q.sql)}
    try:
        cur = con.execute(q.sql, used)
        return [d[0] for d in cur.description], cur.fetchall()
    except duckdb.Error as exc:
        raise QueryError(f"Query '{name}' failed: {exc}".splitlines()[0],
                         hint=f"Check its parameters: {', '.join(f'{k}={v!r}' for k, v in params.items()) or '(defaults)'}.",
                         code="E604") from exc
