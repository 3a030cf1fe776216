import pytest

from core.config import ConfigError, load_config


def test_chat_rate_limit_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("CHAT_RATE_LIMIT", "5/30")
    assert load_config({"SECRET_KEY": "x"})["CHAT_RATE_LIMIT"] == (5, 30)


def test_a_malformed_chat_rate_limit_is_refused_with_its_name(monkeypatch):
    monkeypatch.setenv("CHAT_RATE_LIMIT", "lots")
    with pytest.raises(ConfigError, match="CHAT_RATE_LIMIT"):
        load_config({"SECRET_KEY": "x"})
