"""The request's open task rows and the notifications of who gets one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentorship.rules import subjects
from mentorship.rules.payloads import TaskSpec
from mentorship.rules.stages import Role, TaskKind
from mentorship.services import inbox, outbox
from mentorship.store.models import SupportRequest, Task, User, utcnow

# Tasks the mentorship's projection leaves alone: another workflow opens and closes them.
TASKS_KEPT_ELSEWHERE = [TaskKind.FIX_REGISTRY_ENTRY]


def sync_tasks(session: Session, request: SupportRequest, wanted: list[TaskSpec], key: str) -> None:
    """Make the request's open task rows equal ``wanted``; notify whoever gets a new one."""
    now = utcnow()
    open_rows = session.scalars(
        select(Task).where(
            Task.request_id == request.id,
            Task.closed_at.is_(None),
            Task.kind.not_in(TASKS_KEPT_ELSEWHERE),
        )
    ).all()
    by_identity = {
        (t.kind, t.role, t.user_id, (t.subject_kind, t.subject_id), t.organisation_id): t
        for t in open_rows
    }
    new_specs = []
    for spec in wanted:
        subject = subjects.columns(spec.subject)
        identity = (spec.kind, spec.role, spec.user_id, subject, spec.organisation_id)
        if by_identity.pop(identity, None) is None:
            new_specs.append(spec)
            session.add(new_task(request, spec, now))
    for stale in by_identity.values():
        stale.closed_at = now
    notify(session, request, new_specs, key)


def new_task(request: SupportRequest, spec: TaskSpec, now: datetime) -> Task:
    """The row of a task opened now; a coordinator's is due after its SLA unless the
    workflow set a due date. Its subject must be of the kind its kind points at."""
    subjects.check_task(spec.kind, spec.subject)
    subject_kind, subject_id = subjects.columns(spec.subject)
    return Task(
        request_id=request.id,
        kind=spec.kind,
        role=spec.role,
        user_id=spec.user_id,
        subject_kind=subject_kind,
        subject_id=subject_id,
        organisation_id=spec.organisation_id,
        due_at=(
            datetime.fromisoformat(spec.due_at)
            if spec.due_at
            else inbox.due_for(spec.kind, spec.role, now)
        ),
        created_at=now,
    )


def notify(
    session: Session,
    request: SupportRequest,
    specs: list[TaskSpec],
    key: str,
    kind: str | None = None,
) -> None:
    """Queue one notification per assignee of each task: the task itself, or a reminder."""
    wanted: dict[int, str] = {}
    for spec in specs:
        for user_id in assignees(session, request, spec):
            wanted.setdefault(user_id, kind or spec.kind)  # one per person, the first task's
    outbox.queue(session, request.id, wanted, key)


def assignees(session: Session, request: SupportRequest, spec: TaskSpec) -> list[int]:
    """The users told of a task: one named user, the SME's people, a company's admins, or,
    for the coordinators' shared inbox, the leads who hand its tasks out."""
    if spec.user_id is not None:
        return [spec.user_id]
    if spec.role == Role.SME:
        return members(session, Role.SME, request.organisation_id)
    if spec.role == Role.COMPANY_ADMIN:
        return members(session, Role.COMPANY_ADMIN, spec.organisation_id)
    return inbox.told_of_new_tasks(session)


def members(session: Session, role: str, organisation_id: int | None) -> list[int]:
    """The users of one organisation with this role."""
    stmt = select(User.id).where(User.role == role, User.organisation_id == organisation_id)
    return list(session.scalars(stmt.order_by(User.id)))
