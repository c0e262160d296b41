"""The append-only, hash-chained audit log and its check.

The chain's head is signed from time to time: ``mentorship.services.checkpoints``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mentorship.store.models import AuditEntry, AuditHead, utcnow

if TYPE_CHECKING:
    pass

GENESIS = "0" * 64


def entry_hash(
    *,
    seq: int,
    at: datetime,
    kind: str,
    request_id: int | None,
    agreement_id: int | None,
    actor_id: int | None,
    data: dict[str, Any],
    prev_hash: str,
) -> str:
    """SHA-256 over a canonical JSON of the entry, so any stored field can be re-hashed."""
    canonical = json.dumps(
        {
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "kind": kind,
            "request_id": request_id,
            "agreement_id": agreement_id,
            "actor_id": actor_id,
            "data": data,
            "prev": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def stored_entry_hash(entry: AuditEntry, prev_hash: str) -> str:
    """``entry_hash`` of a stored entry's fields, after ``prev_hash``."""
    return entry_hash(
        seq=entry.seq,
        at=entry.at,
        kind=entry.kind,
        request_id=entry.request_id,
        agreement_id=entry.agreement_id,
        actor_id=entry.actor_id,
        data=entry.data,
        prev_hash=prev_hash,
    )


def append(
    session: Session,
    kind: str,
    *,
    request_id: int | None = None,
    agreement_id: int | None = None,
    actor_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one link to the chain, in the caller's transaction.

    The head row is written first, which locks it on PostgreSQL and takes SQLite's write
    lock, so concurrent appends line up one after another instead of forking the chain (the
    unique ``seq`` and ``prev_hash`` would refuse a fork anyway). ``data``
    holds ids, hashes and versions: names and other personal data stay in their own tables.
    """
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq))
    head = session.scalars(select(AuditHead).where(AuditHead.id == 1)).one()
    fields: dict[str, Any] = {
        "seq": head.seq + 1,
        "at": utcnow(),
        "kind": kind,
        "request_id": request_id,
        "agreement_id": agreement_id,
        "actor_id": actor_id,
        "data": dict(data or {}),
    }
    link = entry_hash(**fields, prev_hash=head.hash)
    entry = AuditEntry(**fields, prev_hash=head.hash, hash=link)
    session.add(entry)
    head.seq, head.hash = entry.seq, entry.hash
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    """The outcome of checking the whole chain; ``broken_at`` names the first bad link."""

    entries: int
    broken_at: int | None = None  # the seq of the first entry that does not verify
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


def _in_order(session: Session, batch: int = 1000) -> Iterator[AuditEntry]:
    """Every entry by sequence, a page at a time, so a long chain fits in memory."""
    last = 0
    while True:
        stmt = select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq)
        page = list(session.scalars(stmt.limit(batch)))
        yield from page
        if len(page) < batch:
            return
        last = page[-1].seq
        session.expunge_all()


def verify_chain(session: Session) -> ChainReport:
    """Re-hash every entry from the genesis link and compare with what is stored."""
    prev, expected_seq, count = GENESIS, 1, 0
    for entry in _in_order(session):
        if entry.seq != expected_seq:
            return ChainReport(count, expected_seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != prev:
            return ChainReport(
                count, entry.seq, f"entry {entry.seq} does not follow entry {entry.seq - 1}"
            )
        recomputed = stored_entry_hash(entry, entry.prev_hash)
        if recomputed != entry.hash:
            return ChainReport(count, entry.seq, f"entry {entry.seq} was altered after writing")
        prev, expected_seq, count = entry.hash, expected_seq + 1, count + 1
    head = session.get(AuditHead, 1)
    if head is None or head.seq != count or head.hash != prev:
        recorded = head.seq if head else 0
        return ChainReport(
            count,
            count + 1,
            f"the chain's recorded end is entry {recorded}, but its entries stop at {count}",
        )
    return ChainReport(count)
