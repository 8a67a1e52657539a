"""Settings come from the environment at start-up, typed, per service prefix, and never leak a secret."""

from __future__ import annotations

import pytest

from services.runtime.settings import RuntimeSettings, SettingsError, from_env


class TestFromEnv:
    def test_prefixed_variables_win_over_shared_ones(self):
        settings = from_env(RuntimeSettings, "REVFLOW_X_", {"REDIS_URL": "redis://shared:6379/0",
                                                            "REVFLOW_X_REDIS_URL": "redis://own:6379/1"})
        assert settings.redis_url == "redis://own:6379/1"

    def test_shared_variable_is_the_fallback(self):
        assert from_env(RuntimeSettings, "REVFLOW_X_", {"REDIS_URL": "redis://shared:6379/0"}).redis_url == (
            "redis://shared:6379/0")

    def test_values_are_decoded_to_the_field_type(self):
        settings = from_env(RuntimeSettings, "REVFLOW_X_", {"REVFLOW_X_AUTH_LEEWAY_SECONDS": "5"})
        assert settings.auth_leeway_seconds == 5

    def test_a_secret_that_looks_like_json_stays_a_string(self):
        settings = from_env(RuntimeSettings, "REVFLOW_X_", {"REVFLOW_X_CLIENT_SECRET": "{abc"})
        assert settings.client_secret == "{abc"

    def test_a_bad_value_names_the_variable_but_not_the_value(self):
        with pytest.raises(SettingsError) as caught:
            from_env(RuntimeSettings, "REVFLOW_X_", {"REVFLOW_X_AUTH_LEEWAY_SECONDS": "s3cr3t-looking"})
        assert "REVFLOW_X_AUTH_LEEWAY_SECONDS" in str(caught.value)
        assert "s3cr3t-looking" not in str(caught.value)

    def test_nothing_is_read_without_a_call(self, monkeypatch):
        monkeypatch.setenv("REVFLOW_X_AUTH_LEEWAY_SECONDS", "7")
        assert RuntimeSettings().auth_leeway_seconds == 30
