"""Settings layers and the errors a bad config gets."""

from __future__ import annotations

import pytest

from pipeline.config import load_settings, load_sources, load_topic
from pipeline.errors import ConfigError


def test_layers_apply_in_order(tmp_path):
    user = tmp_path / "veille.toml"
    user.write_text('[store]\npath = "from-file.duckdb"\n[collect]\nretries = 5\nmax_articles = 7\n')
    env = {"VEILLE_COLLECT__RETRIES": "6", "VEILLE_NLP__BATCH_SIZE": "4", "VEILLE_UNRELATED": "x"}
    s = load_settings(user, ["collect.retries=9"], environ=env)
    assert s["store.path"] == "from-file.duckdb"      # file over defaults
    assert s["nlp.batch_size"] == 4                    # environment over defaults
    assert s["collect.max_articles"] == 7              # file value kept when nothing overrides it
    assert s["collect.retries"] == 9                   # --set over environment over file
    assert s["extract.min_text_chars"] == 200          # untouched default
    assert str(user) in s.sources


def test_env_and_set_values_are_typed():
    s = load_settings(None, ["collect.obey_robots=false", "collect.read_timeout=3", "extract.languages=['fr','en']"], environ={})
    assert s["collect.obey_robots"] is False
    assert s["collect.read_timeout"] == 3.0 and isinstance(s["collect.read_timeout"], float)
    assert s["extract.languages"] == ["fr", "en"]


def test_unknown_key_names_key_and_file(tmp_path):
    user = tmp_path / "bad.toml"
    user.write_text("[store]\npaht = 'x'\n")
    with pytest.raises(ConfigError) as err:
        load_settings(user, environ={})
    assert "store.paht" in str(err.value) and str(user) in str(err.value)
    assert err.value.code == "E102"


def test_wrong_type_names_key_and_origin():
    with pytest.raises(ConfigError) as err:
        load_settings(None, environ={"VEILLE_COLLECT__RETRIES": "beaucoup"})
    assert "collect.retries" in str(err.value) and "VEILLE_COLLECT__RETRIES" in str(err.value)


def test_bad_toml_and_missing_file(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text("[store\npath=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad, environ={})
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "absent.toml", environ={})
    with pytest.raises(ConfigError, match="key=value"):
        load_settings(None, ["nokey"], environ={})


def test_sources_file_validation(tmp_path):
    good = tmp_path / "sources.toml"
    good.write_text('[[outlets]]\nid = "a"\nname = "A"\nhomepage = "http://a.test/"\nfeeds = ["http://a.test/rss"]\n')
    (outlet,) = load_sources(good)
    assert outlet.id == "a" and outlet.feeds == ("http://a.test/rss",) and outlet.requests_per_second == 1.0
    bad = tmp_path / "bad.toml"
    bad.write_text('[[outlets]]\nid = "a"\nname = "A"\nhomepage = "http://a.test/"\nfeed = ["x"]\n')
    with pytest.raises(ConfigError, match="Unknown key 'feed'"):
        load_sources(bad)
    nofeed = tmp_path / "nofeed.toml"
    nofeed.write_text('[[outlets]]\nid = "a"\nname = "A"\nhomepage = "http://a.test/"\n')
    with pytest.raises(ConfigError, match="neither feeds nor sitemaps"):
        load_sources(nofeed)


def test_packaged_topic_and_topic_errors(tmp_path):
    topic = load_topic("openai_deepseek")
    ids = {a.id for a in topic.actors}
    assert {"openai", "deepseek", "microsoft", "nvidia", "david_sacks", "house_china_committee"} <= ids
    assert topic.stance_targets[0].id == "accusation"
    bad = tmp_path / "t.toml"
    bad.write_text('tone_actors = ["nobody"]\n[keywords]\nx = 1.0\n[[actors]]\nid = "a"\nname = "A"\ntype = "ORG"\n')
    with pytest.raises(ConfigError, match="unknown actor id 'nobody'"):
        load_topic(str(bad))
