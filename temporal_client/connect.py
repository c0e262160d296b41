"""How to reach Temporal: the SDK's environment configuration over the service's Settings."""

from __future__ import annotations

import os
from typing import Any

from temporalio.envconfig import ClientConfigProfile

from mentorship.config import Settings


def client_args(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``Client.connect``: the SDK's environment configuration
    (TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH and _KEY_PATH,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_PROFILE and its TOML file), with the
    address and namespace of ``settings`` (which a command-line flag may have set).
    A variable set to nothing counts as unset (compose passes optional ones empty)."""
    env = {name: value for name, value in os.environ.items() if value}
    profile = ClientConfigProfile.load(override_env_vars=env)
    args: dict[str, Any] = dict(profile.to_client_connect_config())
    args.update(target_host=settings.temporal_address, namespace=settings.temporal_namespace)
    return args
