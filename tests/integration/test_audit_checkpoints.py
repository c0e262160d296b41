"""Signed checkpoints of the audit chain's head: a rewrite that re-hashes the chain, which the
chain alone cannot see, is reported by the first checkpoint it breaks."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import TypeVar, cast

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Worker

from activities.audit import AuditActivities
from activities.mentorship import MentorshipActivities
from digivol.cli import main
from digivol.worker import ensure_checkpoint_schedule
from mentorship.adapters.agreements import render_html_pdf, sha256_hex
from mentorship.adapters.sandbox import BoundedPool
from mentorship.adapters.seal import verify_sealed
from mentorship.adapters.seal_identity import SealIdentity, create_identity, load_or_create_identity
from mentorship.config import Settings
from mentorship.rules.payloads import RankInput, RenderInput
from mentorship.services import audit, checkpoints, ranking, reservation, signing
from mentorship.services.audit_pdf import embedded_signed_head
from mentorship.store.db import make_engine, make_session_factory, migrate, transaction
from mentorship.store.models import Agreement, AuditCheckpoint, AuditEntry, AuditHead, User, utcnow
from scripted.journey import submit
from scripted.servers import dev_server
from workflows.audit_checkpoint import CHECKPOINT_SCHEDULE_ID, AuditCheckpointWorkflow

T = TypeVar("T")


@pytest.fixture(scope="module")
def identity() -> SealIdentity:
    return create_identity()


def _write(sessions: sessionmaker[Session], n: int) -> None:
    for i in range(n):
        with transaction(sessions) as session:
            audit.append(session, "agreement_signed", request_id=1, agreement_id=7, data={"n": i})


def _checkpoint(sessions: sessionmaker[Session], identity: SealIdentity) -> int:
    with transaction(sessions) as session:
        signed = checkpoints.checkpoint(session, identity, utcnow())
        assert signed is not None
        return signed.id


def rewrite(session: Session, seq: int, data: dict[str, object]) -> None:
    """What someone with write access to the database alone can do: change an entry, then
    re-hash it and every entry after it, and move the head, so the chain verifies again."""
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.seq >= seq).order_by(AuditEntry.seq)
    ).all()
    entries[0].data = data
    prev = entries[0].prev_hash
    for entry in entries:
        entry.prev_hash = prev
        entry.hash = audit.stored_entry_hash(entry, prev)
        session.flush()  # one at a time: the hash columns are unique
        prev = entry.hash
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=prev))


def _chain_with_three_checkpoints(sessions: sessionmaker[Session], identity: SealIdentity) -> None:
    """Entries 1–7, checkpoints 1, 2 and 3 at entries 2, 4 and 6."""
    for _ in range(3):
        _write(sessions, 2)
        _checkpoint(sessions, identity)
    _write(sessions, 1)


def test_a_rewrite_that_rehashes_the_chain_is_reported_by_the_first_checkpoint_after_it(
    sessions: sessionmaker[Session], identity: SealIdentity
) -> None:
    _chain_with_three_checkpoints(sessions, identity)
    with sessions() as session:
        assert checkpoints.verify_checkpoints(session, [identity.certificate]).checked == 3
    with transaction(sessions) as session:
        rewrite(session, 3, {"n": 99})
    with sessions() as session:
        chain = audit.verify_chain(session)
        report = checkpoints.verify_checkpoints(session, [identity.certificate])
        second = session.get(AuditCheckpoint, 2)
    assert chain.intact and chain.entries == 7  # the chain alone cannot tell
    assert second is not None
    assert (report.intact, report.broken_at, report.checked) == (False, 2, 1)
    assert report.newest is not None and report.newest.seq == 2
    assert report.problem is not None
    assert report.problem.startswith(
        f"checkpoint 2 (entry 4, signed {second.at:%Y-%m-%d %H:%M:%S} UTC) does not match the chain"
    )
    assert report.problem.endswith("the chain was rewritten between entries 3 and 4")


def test_a_checkpoint_re_signed_with_another_key_is_reported_as_forged(
    sessions: sessionmaker[Session], identity: SealIdentity
) -> None:
    _chain_with_three_checkpoints(sessions, identity)
    stranger = create_identity("Someone else's key")
    with transaction(sessions) as session:
        rewrite(session, 3, {"n": 99})
        # ...and the checkpoints made to match, signed with a key of their own but claiming
        # to be the seal's
        for row in session.scalars(select(AuditCheckpoint).where(AuditCheckpoint.seq > 2)):
            row.head = session.scalars(
                select(AuditEntry.hash).where(AuditEntry.seq == row.seq)
            ).one()
            message = checkpoints.checkpoint_message(row.id, row.seq, row.head, row.at)
            row.signature = base64.b64encode(checkpoints.sign(stranger.key_pem, message)).decode()
    with sessions() as session:
        report = checkpoints.verify_checkpoints(session, [identity.certificate])
    assert (report.broken_at, report.checked) == (2, 1)
    assert report.problem is not None
    assert "checkpoint 2 (entry 4, signed" in report.problem
    assert report.problem.endswith(
        "does not carry the seal certificate's signature: it was forged or altered"
    )


def test_a_deleted_checkpoint_and_a_truncated_chain_are_both_reported(
    sessions: sessionmaker[Session], identity: SealIdentity
) -> None:
    _chain_with_three_checkpoints(sessions, identity)
    with transaction(sessions) as session:
        session.execute(delete(AuditCheckpoint).where(AuditCheckpoint.id == 2))
    with sessions() as session:
        gap = checkpoints.verify_checkpoints(session, [identity.certificate])
    assert (gap.broken_at, gap.problem) == (
        2,
        "checkpoint 2 is missing (checkpoints are numbered without gaps; the next is 3)",
    )
    with transaction(sessions) as session:
        session.execute(delete(AuditCheckpoint).where(AuditCheckpoint.id == 3))
        session.execute(delete(AuditEntry).where(AuditEntry.seq > 1))
        # the head moved back as well, so the chain itself verifies
        first = session.scalars(select(AuditEntry.hash).where(AuditEntry.seq == 1)).one()
        session.execute(update(AuditHead).values(seq=1, hash=first))
    with sessions() as session:
        assert audit.verify_chain(session).intact
        cut = checkpoints.verify_checkpoints(session, [identity.certificate])
    assert cut.broken_at == 1 and cut.problem is not None
    assert cut.problem.endswith("covers entry 2, which the chain no longer has")


def test_a_checkpoint_is_signed_only_when_the_head_moved_and_by_an_untrusted_key_is_named(
    sessions: sessionmaker[Session], identity: SealIdentity
) -> None:
    with transaction(sessions) as session:
        assert checkpoints.checkpoint(session, identity, utcnow()) is None  # nothing to sign yet
    _write(sessions, 2)
    assert _checkpoint(sessions, identity) == _checkpoint(sessions, identity) == 1
    _write(sessions, 1)
    assert _checkpoint(sessions, identity) == 2
    with sessions() as session:
        stranger = checkpoints.verify_checkpoints(session, [create_identity("Other").certificate])
    assert stranger.broken_at == 1 and stranger.problem is not None
    assert f"not trusted here (SHA-256 {identity.fingerprint[:16]}…)" in stranger.problem


def _sealable_agreement(sessions: sessionmaker[Session], people: dict[str, User]) -> int:
    """An agreement every signer signed, as the workflow leaves it for the seal."""
    request_id = submit(sessions, people["sme"])
    pdf = render_html_pdf("<h1>Confidentiality agreement</h1>")
    with transaction(sessions) as session:
        offers = ranking.rank_candidates(session, RankInput(request_id, 1, []))
        mentorship_id = reservation.reserve_mentorship(session, offers[0].offer_id)
        assert mentorship_id is not None
        signers = signing.signer_slots(session, mentorship_id)
        render = RenderInput(mentorship_id, 1, "2026-12-09T10:00:00")
        doc = signing.store_agreement(session, render, pdf, sha256_hex(pdf), signers)
        for i, slot in enumerate(signers):
            user = session.scalars(
                select(User).where(
                    User.role == slot.role,
                    (User.id == slot.user_id)
                    if slot.user_id
                    else (User.organisation_id == slot.organisation_id),
                )
            ).first()
            assert user is not None
            signature = signing.write_signature(
                session, f"{i:032x}", doc, user, user.name, doc.sha256, "10.0.0.1", "x"
            )
            signature.status = "applied"
        audit.append(session, "agreement_signed", request_id=request_id, agreement_id=doc.id)
        return doc.id


class InProcess:
    """The render pool's one method, rendering in this process: the sandbox is tested on its
    own (tests/unit/test_sandbox.py), and starting its warm workers took seconds here."""

    def call(self, fn: Callable[..., T], *args: object) -> T:
        return fn(*args)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_sealed_agreement_carries_the_signed_head_which_outlives_the_database_copy(
    sessions: sessionmaker[Session],
    people: dict[str, User],
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    identity = load_or_create_identity(tmp_path / "seal")
    agreement_id = _sealable_agreement(sessions, people)
    acts = MentorshipActivities(
        sessions,
        cast(Client, None),  # sealing talks to no workflow
        seal_identity=identity,
        render_pool=cast(BoundedPool, InProcess()),
    )
    ActivityEnvironment().run(acts.seal_agreement, agreement_id)
    with sessions() as session:
        doc = session.get(Agreement, agreement_id)
        assert doc is not None and doc.sealed_pdf is not None
        sealed, unsealed = doc.sealed_pdf, doc.pdf
        stored = session.scalars(select(AuditCheckpoint)).one()
        sealed_entry = session.scalars(
            select(AuditEntry).where(AuditEntry.kind == "agreement_sealed")
        ).one()
        signed = checkpoints.SignedHead.of(stored)
    assert verify_sealed(sealed, identity.trust_root_pem).sealed_by_platform
    assert embedded_signed_head(sealed) == signed
    assert signed.seq == sealed_entry.seq - 1  # the head as it was when the file was sealed
    assert embedded_signed_head(unsealed) is None

    copy = tmp_path / "agreement.pdf"
    copy.write_bytes(sealed)
    monkeypatch.setenv("DATABASE_URL", database_url)
    args = ["audit", "verify", "--data-dir", str(tmp_path), "--agreement", str(copy)]
    with pytest.raises(SystemExit) as holds:
        main(args)
    out = capsys.readouterr().out
    assert holds.value.code == 0, out
    assert f"agreement {copy}: its {signed.label()} holds" in out
    assert f"note: entries {signed.seq + 1} to {sealed_entry.seq} are covered by no" in out

    # Deleting the checkpoints hides a rewrite from the database's own check, not from
    # whoever keeps a sealed copy.
    with transaction(sessions) as session:
        session.execute(delete(AuditCheckpoint))
        rewrite(session, 1, {"forged": True})
    with pytest.raises(SystemExit) as broken:
        main(args)
    assert broken.value.code == 1
    err = capsys.readouterr().err
    assert f"agreement {copy}: BROKEN: {signed.label()} does not match the chain" in err


def test_the_audit_verify_command_names_the_first_checkpoint_a_rewrite_breaks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = f"sqlite:///{(tmp_path / 'digivol.sqlite3').resolve()}"
    migrate(url)
    sessions = make_session_factory(make_engine(url))
    identity = load_or_create_identity(tmp_path / "seal")  # where the command finds it
    _write(sessions, 3)
    _checkpoint(sessions, identity)
    args = ["audit", "verify", "--data-dir", str(tmp_path)]
    with pytest.raises(SystemExit) as intact:
        main(args)
    assert intact.value.code == 0
    assert "audit checkpoints intact: 1 signed checkpoint(s) verified" in capsys.readouterr().out

    with transaction(sessions) as session:
        rewrite(session, 2, {"n": 99})
    with pytest.raises(SystemExit) as broken:
        main(args)
    assert broken.value.code == 1
    out, err = capsys.readouterr()
    assert "audit chain intact: 3 entries verified" in out
    assert "audit checkpoints BROKEN at checkpoint 1: checkpoint 1 (entry 3, signed" in err
    assert "rewritten between entries 1 and 3" in err


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_daily_schedule_signs_a_checkpoint(
    sessions: sessionmaker[Session], identity: SealIdentity, tmp_path: Path
) -> None:
    _write(sessions, 2)
    settings = Settings(data_dir=tmp_path, task_queue=f"q-{uuid.uuid4().hex}")

    async def scenario() -> None:
        async with dev_server() as env:
            await ensure_checkpoint_schedule(env.client, settings)
            await ensure_checkpoint_schedule(env.client, settings)  # again: no error
            handle = env.client.get_schedule_handle(CHECKPOINT_SCHEDULE_ID)
            spec = (await handle.describe()).schedule.spec
            assert [i.every for i in spec.intervals] == [timedelta(days=1)]
            acts = AuditActivities(sessions, identity)
            with ThreadPoolExecutor(1) as pool:
                async with Worker(
                    env.client,
                    task_queue=settings.task_queue,
                    workflows=[AuditCheckpointWorkflow],
                    activities=[acts.checkpoint_audit_head],
                    activity_executor=pool,
                ):
                    await handle.trigger()
                    for _ in range(300):
                        with sessions() as session:
                            if session.get(AuditCheckpoint, 1) is not None:
                                return
                        await asyncio.sleep(0.1)
        raise AssertionError("the schedule signed no checkpoint")

    asyncio.run(scenario())
    with sessions() as session:
        report = checkpoints.verify_checkpoints(session, [identity.certificate])
    assert report.intact and report.newest is not None and report.newest.seq == 2
