"""Settings from the environment: sensible defaults, and a message naming any bad value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from mentorship.adapters.encryption import Encryption, EncryptionError
from mentorship.config import ConfigError, Settings, parse_weights
from mentorship.rules.matching import Weights, rank
from temporal_client.connect import client_args
from tests.unit.test_matching import NEED, mentor


def test_matching_weights_come_from_configuration_and_change_the_ranking() -> None:
    weights = parse_weights("expertise=0, sector=1")
    assert weights == Weights(expertise=0, sector=1)
    expert = mentor(1, proficiency={"e_commerce": 3, "digital_marketing": 3})
    baker = mentor(2, sectors=frozenset({"C10"}))
    assert rank(NEED, [expert, baker])[0].mentor_id == 1
    assert rank(NEED, [expert, baker], weights=weights)[0].mentor_id == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("charm=1", "unknown component 'charm'"),
        ("load=much", "'load=much' needs a number"),
        ("expertise=0,sector=0,proximity=0,load=0", "not all zero"),
    ],
)
def test_bad_weights_are_named(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_weights(text)


def test_a_bad_number_in_the_environment_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DIGIVOL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DIGIVOL_PLANNED_SESSIONS", "four")
    with pytest.raises(ConfigError, match="DIGIVOL_PLANNED_SESSIONS must be a whole number"):
        Settings.from_env()


def test_the_command_line_reports_bad_settings_without_a_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "digivol", "db", "upgrade", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "DIGIVOL_MATCHING_TOP_K": "0"},
    )
    assert done.returncode == 2
    assert "digivol: DIGIVOL_MATCHING_TOP_K must be above zero, not 0" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_seal_certificate_and_key_are_configured_together_or_not_at_all(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match="DIGIVOL_SEAL_CHAIN and DIGIVOL_SEAL_KEY"):
        Settings(data_dir=tmp_path, seal_chain=tmp_path / "chain.pem").seal_identity()


def test_the_embedded_seal_is_made_once_and_a_missing_production_key_is_named(
    tmp_path: Path,
) -> None:
    made = Settings(data_dir=tmp_path).seal_identity()
    chain = tmp_path / "seal" / "seal-chain.pem"
    assert made.chain_pem == chain.read_bytes()
    assert Settings(data_dir=tmp_path).seal_identity().fingerprint == made.fingerprint
    production = Settings(data_dir=tmp_path, seal_chain=chain, seal_key=tmp_path / "absent.pem")
    with pytest.raises(ConfigError, match=r"platform seal: .*absent\.pem"):
        production.seal_identity()


def test_nudge_timings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DIGIVOL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DIGIVOL_IDLE_NUDGE_SECONDS", "3600")
    monkeypatch.setenv("DIGIVOL_ESCALATE_AFTER_SECONDS", "60")
    durations = Settings.from_env().durations
    assert (durations.idle_nudge, durations.escalate_after) == (3600, 60)
    assert durations.unconfirmed_nudge == 5 * 24 * 3600
    monkeypatch.setenv("DIGIVOL_IDLE_NUDGE_SECONDS", "soon")
    with pytest.raises(ConfigError, match="DIGIVOL_IDLE_NUDGE_SECONDS must be a whole number"):
        Settings.from_env()


def test_the_step_timeout_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DIGIVOL_DATA_DIR", str(tmp_path))
    assert Settings.from_env().durations.step_timeout == 60
    monkeypatch.setenv("DIGIVOL_STEP_TIMEOUT_SECONDS", "20")
    assert Settings.from_env().durations.step_timeout == 20
    monkeypatch.setenv("DIGIVOL_STEP_TIMEOUT_SECONDS", "0")
    with pytest.raises(ConfigError, match="DIGIVOL_STEP_TIMEOUT_SECONDS"):
        Settings.from_env()


def test_temporal_cloud_is_reached_with_an_api_key_over_tls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", "eu-west-1.aws.api.temporal.io:7233")
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "digivol.a1b2c")
    monkeypatch.setenv("TEMPORAL_API_KEY", "secret-key")
    args = client_args(Settings.from_env())
    assert args == {
        "target_host": "eu-west-1.aws.api.temporal.io:7233",
        "namespace": "digivol.a1b2c",
        "api_key": "secret-key",
        "tls": True,
    }


def test_a_cluster_with_client_certificates_gets_them_and_empty_variables_count_as_unset(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("ca.pem", "client.pem", "client.key"):
        (tmp_path / name).write_bytes(f"-- {name} --".encode())
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", str(tmp_path / "ca.pem"))
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", str(tmp_path / "client.pem"))
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", str(tmp_path / "client.key"))
    monkeypatch.setenv("TEMPORAL_API_KEY", "")  # as compose passes an optional one
    tls = client_args(Settings.from_env(temporal_address="temporal:7233"))["tls"]
    assert tls.server_root_ca_cert == b"-- ca.pem --"
    assert tls.client_cert == b"-- client.pem --"
    assert tls.client_private_key == b"-- client.key --"


def test_the_encryption_key_comes_from_the_environment_and_rotates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("DIGIVOL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DIGIVOL_ENCRYPTION_KEY", old)
    sealed = Settings.from_env().encryption().encrypt("JBSWY3DPEHPK3PXP")
    assert "JBSWY3DPEHPK3PXP" not in sealed
    monkeypatch.setenv("DIGIVOL_ENCRYPTION_KEY", f"{new},{old}")  # the new key first
    rotated = Settings.from_env().encryption()
    assert rotated.decrypt(sealed) == "JBSWY3DPEHPK3PXP"
    assert Encryption(new).decrypt(rotated.encrypt("x")) == "x"  # the first key encrypts
    monkeypatch.setenv("DIGIVOL_ENCRYPTION_KEY", new)
    with pytest.raises(EncryptionError, match="lacks the key"):
        Settings.from_env().encryption().decrypt(sealed)
    monkeypatch.setenv("DIGIVOL_ENCRYPTION_KEY", "change-me-to-a-fernet-key")
    with pytest.raises(ConfigError, match="DIGIVOL_ENCRYPTION_KEY: each key is 32"):
        Settings.from_env().encryption()
    monkeypatch.delenv("DIGIVOL_ENCRYPTION_KEY")  # unset: one key per data dir, kept
    made = Settings.from_env().encryption().encrypt("y")
    assert Settings.from_env().encryption().decrypt(made) == "y"
    assert (tmp_path / "encryption_key").stat().st_mode & 0o777 == 0o600


PRODUCTION = {
    "DIGIVOL_ENV": "production",
    "DIGIVOL_SECRET_KEY": "k" * 64,
    "SMTP_URL": "smtp://mailer:secret@smtp.example.eu:587",
    "DIGIVOL_BASE_URL": "https://digital-volunteers.example.eu",
}


def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **values: str) -> None:
    monkeypatch.setenv("DIGIVOL_DATA_DIR", str(tmp_path))
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def _seal_files(tmp_path: Path) -> dict[str, str]:
    Settings(data_dir=tmp_path).seal_identity()  # a certificate and key to point at
    seal = tmp_path / "seal"
    return {
        "DIGIVOL_SEAL_CHAIN": str(seal / "seal-chain.pem"),
        "DIGIVOL_SEAL_KEY": str(seal / "seal-key.pem"),
    }


def test_production_names_everything_it_lacks_and_starts_with_nothing_lacking(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _environment(monkeypatch, tmp_path, DIGIVOL_ENV="production")
    with pytest.raises(ConfigError) as refused:
        Settings.from_env()
    for variable in ("DIGIVOL_SEAL_CHAIN", "DIGIVOL_SECRET_KEY", "SMTP_URL", "DIGIVOL_BASE_URL"):
        assert variable in str(refused.value)
    assert "DIGIVOL_ALLOW_MISSING (seal, secret_key, smtp, base_url)" in str(refused.value)

    _environment(monkeypatch, tmp_path, **PRODUCTION, **_seal_files(tmp_path))
    settings = Settings.from_env()
    assert settings.environment == "production"
    assert settings.secure_cookies  # on by default in production
    assert settings.secret_key == "k" * 64


def test_production_starts_without_an_item_only_when_it_is_waived_by_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _environment(monkeypatch, tmp_path, **PRODUCTION)
    with pytest.raises(ConfigError, match=r"without a seal certificate and key.*\(seal\)$"):
        Settings.from_env()
    monkeypatch.setenv("DIGIVOL_ALLOW_MISSING", "seal")
    assert Settings.from_env().allow_missing == {"seal"}
    monkeypatch.setenv("DIGIVOL_ALLOW_MISSING", "seal, tls")
    with pytest.raises(ConfigError, match="DIGIVOL_ALLOW_MISSING: tls is not one of seal, "):
        Settings.from_env()


def test_development_needs_none_of_it_and_an_unknown_environment_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _environment(monkeypatch, tmp_path)
    settings = Settings.from_env()
    assert settings.environment == "development" and not settings.secure_cookies
    assert settings.secret_key  # made once for the data dir
    monkeypatch.setenv("DIGIVOL_ENV", "prod")
    with pytest.raises(ConfigError, match="DIGIVOL_ENV must be development or production"):
        Settings.from_env()


def test_the_web_in_production_without_a_seal_exits_with_a_message(tmp_path: Path) -> None:
    environment = {"PATH": "/usr/bin:/bin", "DIGIVOL_DATA_DIR": str(tmp_path), **PRODUCTION}
    done = subprocess.run(
        [sys.executable, "-m", "digivol", "web", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(
        "digivol: production (DIGIVOL_ENV=production) does not start without a seal certificate"
    )
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "digivol.sqlite3").exists()  # it stopped before touching anything
