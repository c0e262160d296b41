"""The audit log is a hash chain: any change, removal or truncation is found and named."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from digivol.cli import main
from mentorship.services import audit
from mentorship.store.db import make_engine, make_session_factory, migrate, transaction
from mentorship.store.models import AuditEntry


def _write(sessions: sessionmaker[Session], n: int) -> None:
    for i in range(n):
        with transaction(sessions) as session:
            audit.append(session, "agreement_signed", request_id=1, agreement_id=7, data={"n": i})


def test_an_untouched_chain_verifies_from_its_first_link(
    sessions: sessionmaker[Session],
) -> None:
    _write(sessions, 5)
    with sessions() as session:
        report = audit.verify_chain(session)
        links = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert report.intact and report.entries == 5
    assert links[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(links, links[1:], strict=False))


def test_an_altered_entry_is_reported_as_the_first_broken_link(
    sessions: sessionmaker[Session],
) -> None:
    _write(sessions, 5)
    with transaction(sessions) as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(data={"n": 99}))
    with sessions() as session:
        report = audit.verify_chain(session)
    assert (report.intact, report.broken_at, report.entries) == (False, 3, 2)
    assert report.problem == "entry 3 was altered after writing"


def test_a_removed_entry_and_a_truncated_tail_are_both_found(
    sessions: sessionmaker[Session],
) -> None:
    _write(sessions, 5)
    with transaction(sessions) as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 5))
    with sessions() as session:
        tail = audit.verify_chain(session)
    assert (tail.broken_at, tail.entries) == (5, 4)
    assert tail.problem is not None and "stop at 4" in tail.problem
    with transaction(sessions) as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    with sessions() as session:
        middle = audit.verify_chain(session)
    assert (middle.broken_at, middle.problem) == (2, "entry 2 is missing")


def test_concurrent_appends_line_up_into_one_chain(sessions: sessionmaker[Session]) -> None:
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            _write(sessions, 10)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sessions() as session:
        report = audit.verify_chain(session)
        count = session.scalar(select(func.count(AuditEntry.id)))
    assert report.intact and report.entries == count == 40


def test_the_audit_verify_command_names_the_first_broken_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = f"sqlite:///{(tmp_path / 'digivol.sqlite3').resolve()}"
    migrate(url)
    sessions = make_session_factory(make_engine(url))
    _write(sessions, 3)
    args = ["audit", "verify", "--data-dir", str(tmp_path)]
    with pytest.raises(SystemExit) as intact:
        main(args)
    assert intact.value.code == 0
    assert "audit chain intact: 3 entries verified" in capsys.readouterr().out

    with transaction(sessions) as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(kind="forged"))
    with pytest.raises(SystemExit) as broken:
        main(args)
    assert broken.value.code == 1
    assert "BROKEN at entry 2: entry 2 was altered after writing" in capsys.readouterr().err
