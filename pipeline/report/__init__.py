"""Report stage: analyst queries, the end-of-run coverage summary, the HTML report."""

from .queries import list_queries, run_query

__all__ = ["list_queries", "run_query", "coverage_summary"]


def coverage_summary(store) -> list[dict]:
    """Articles per outlet: total French articles, on-topic, first and last day (end-of-run table)."""
    return store.query(
        "SELECT o.outlet_id AS outlet, count(a.article_id) AS articles, "
        "count(a.article_id) FILTER (WHERE a.is_relevant) AS on_topic, "
        "count(a.article_id) FILTER (WHERE a.is_relevant AND NOT coalesce(a.is_syndicated_copy, false)) AS on_topic_unique, "
        "min(CAST(a.published_at AS DATE)) AS first_day, max(CAST(a.published_at AS DATE)) AS last_day "
        "FROM outlets o LEFT JOIN articles a ON a.outlet_id = o.outlet_id AND a.language = 'fr' "
        "GROUP BY o.outlet_id ORDER BY articles DESC, outlet")
