"""Without the `embedded` extra (the production image), `digivol up` and `digivol web` name
the extra they need and exit 2: no traceback."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import pytest

from digivol import cli, extras


@pytest.fixture
def no_waitress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "waitress", None)  # as if it were not installed
    monkeypatch.setattr(cli.logs, "configure", lambda: None)  # leave pytest's logging be


@pytest.mark.usefixtures("no_waitress")
@pytest.mark.parametrize("command", ["web", "up"])
def test_the_embedded_commands_name_the_extra_they_need(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main([command, "--data-dir", str(tmp_path), "--port", "1"])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith(f"digivol: digivol {command} needs the Python package 'waitress'")
    assert "`embedded` extra" in error and "pip install 'digivol[embedded]'" in error
    assert "Traceback" not in error
    assert not list(tmp_path.glob("*.sqlite3"))  # stopped before it made a database


def test_a_missing_binary_names_the_extra_that_brings_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sysconfig, "get_path", lambda _name: str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(extras.MissingExtra, match=r"'temporal'.*`embedded` extra"):
        extras.binary("temporal", "digivol up")
    with pytest.raises(extras.MissingExtra, match="`test` extra"):
        extras.binary("temporal-test-server", "the tests")
    (tmp_path / "temporal").touch()
    assert extras.binary("temporal", "digivol up") == str(tmp_path / "temporal")
