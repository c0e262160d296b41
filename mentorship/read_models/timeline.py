"""A request's timeline: every step of its workflow (as projected into events), every link
of the audit chain about it, and the reasons people gave, in order, in plain words.

Who reads what: the reasons a role may read are passed in; the audit's downloads and reminders
are for coordinators. Names stay out of it for a mentor before the agreement is signed (the
page decides that; see ``redacted`` in the view).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, func, select
from sqlalchemy.orm import Session

from mentorship.i18n import N_
from mentorship.store.models import AuditEntry, Event, Reason, SupportRequest, Task, User

# Links of the audit chain worth a line of their own (the rest repeat a workflow step).
AUDIT_SHOWN = {
    "agreement_downloaded": N_("Agreement downloaded"),
    "agreement_reminder": N_("Signing reminder recorded"),
    "request_data_erased": N_("Personal data erased (retention period over)"),
}


@dataclass(frozen=True)
class Moment:
    at: datetime
    kind: str  # an event kind, or an audit kind
    actor: User | None
    why: str | None = None  # the reason given, if the reader may read it
    # e.g. which file was downloaded: catalog text and its values, translated where shown
    detail: tuple[str, dict[str, Any]] | None = None
    audit: bool = False  # from the audit chain rather than the workflow


def _version_query() -> Select[int | None, int, int | None]:
    request_id: BindParameter[int] = bindparam("request_id")
    open_tasks = (
        select(func.count(Task.id).label("count"), func.max(Task.id).label("newest"))
        .where(Task.request_id == request_id, Task.closed_at.is_(None))
        .subquery()
    )
    newest_event = select(func.max(Event.id)).where(Event.request_id == request_id)
    return select(newest_event.scalar_subquery(), open_tasks.c.count, open_tasks.c.newest)


# Built once: pages' scripts ask for it every few seconds, and building the query cost more
# than running it.
VERSION_QUERY = _version_query()


def version(session: Session, request: SupportRequest) -> str:
    """A token that changes whenever the request's page would: every step writes an event
    and stamps the request, and a task opened or closed changes the count or the newest of
    the open ones. Pages carry the one they were rendered with, and their script asks for the
    current one (web/static/follow.js): one indexed query instead of a page.

    A page reads it before anything else it shows, ``request`` aside (as loaded, which is
    why its stamp is part of it): a change landing meanwhile then only makes the page look
    older than it is, and its script reloads it once more, never the other way round.
    """
    event, count, newest_task = session.execute(VERSION_QUERY, {"request_id": request.id}).one()
    return f"{event or 0}.{count}.{newest_task or 0}.{request.updated_at.isoformat()}"


def moments(
    session: Session, request_id: int, readable: list[Reason], with_audit: bool
) -> list[Moment]:
    """``readable``: the request's reasons the reader may read, oldest first
    (pending_records.reasons_for)."""
    events = session.scalars(
        select(Event).where(Event.request_id == request_id).order_by(Event.id)
    ).all()
    reasons = list(readable)  # each explains one step: taken off the list once placed
    timeline = []
    for event in events:
        # A reason is written just before the step it explains, by the same person.
        reason = next(
            (r for r in reasons if r.author_id == event.actor_id and r.created_at <= event.at),
            None,
        )
        if reason is not None:
            reasons.remove(reason)
        why = reason.text if reason is not None else None
        timeline.append(Moment(event.at, event.kind, event.actor, why=why))
    if with_audit:
        timeline += _audit_moments(session, request_id)
    return sorted(timeline, key=lambda m: m.at)


def _audit_moments(session: Session, request_id: int) -> list[Moment]:
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.request_id == request_id, AuditEntry.kind.in_(list(AUDIT_SHOWN)))
        .order_by(AuditEntry.seq)
    ).all()
    actor_ids = {e.actor_id for e in entries if e.actor_id is not None}
    actors = {}
    if actor_ids:
        actors = {u.id: u for u in session.scalars(select(User).where(User.id.in_(actor_ids)))}
    return [
        Moment(
            entry.at,
            entry.kind,
            actors.get(entry.actor_id) if entry.actor_id is not None else None,
            detail=_detail(entry),
            audit=True,
        )
        for entry in entries
    ]


def _detail(entry: AuditEntry) -> tuple[str, dict[str, Any]] | None:
    if entry.kind == "agreement_downloaded":
        if entry.data.get("file") == "sealed":
            return N_("agreement %(id)s, the sealed copy"), {"id": entry.agreement_id}
        return N_("agreement %(id)s, the copy to sign"), {"id": entry.agreement_id}
    return None
