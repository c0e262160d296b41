"""The coordinators' inbox: every open coordinator task with its age, due date, priority and
assignee; filters, search, sort, pages; claims; escalation of what is past due.

One query per page, whatever the filters: tasks join their request and its SME, the claimer
is loaded in the same statement, and the count is a second statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, exists, func, select
from sqlalchemy.orm import Session, contains_eager

from mentorship.errors import Forbidden, Refused
from mentorship.i18n import N_
from mentorship.rules.stages import Role, TaskKind
from mentorship.services import outbox
from mentorship.store.models import Mentorship, Organisation, SupportRequest, Task, User

# How long a coordinator task may wait before it is past due and escalates to the leads.
SLA: dict[str, timedelta] = {
    TaskKind.REVIEW_INTAKE: timedelta(days=3),
    TaskKind.APPROVE_MATCH: timedelta(days=2),
    TaskKind.RESOLVE_DISPUTE: timedelta(days=2),
    TaskKind.FOLLOW_UP: timedelta(days=2),
    TaskKind.APPROVE_COMPLETION: timedelta(days=3),
    TaskKind.FIX_REGISTRY_ENTRY: timedelta(days=3),
}
PAGE_SIZE = 50
SORTS = ("priority", "due", "age", "request")
SORT_LABELS = {  # the sorts' words on the page
    "priority": N_("priority"),
    "due": N_("due"),
    "age": N_("age"),
    "request": N_("request"),
}
URGENT, OVERDUE, NORMAL = 0, 1, 2  # priority: escalated, past due, in time
ESCALATED = "task_escalated"
ASSIGNED = "task_assigned"


def due_for(kind: str, role: str, opened: datetime) -> datetime | None:
    """When a newly opened task is due: coordinator tasks by their SLA."""
    sla = SLA.get(kind)
    return opened + sla if role == Role.COORDINATOR and sla is not None else None


@dataclass(frozen=True)
class InboxFilter:
    stage: str = ""
    country: str = ""
    company_id: int | None = None
    overdue: bool = False
    mine: bool = False
    q: str = ""  # part of the SME's name
    sort: str = "priority"
    page: int = 1


@dataclass(frozen=True)
class InboxPage:
    tasks: list[Task]
    total: int
    page: int
    pages: int


def priority(now: datetime) -> Any:
    """Escalated first, then past due, then the rest: a SQL expression to sort by."""
    return case(
        (Task.escalated_at.is_not(None), URGENT),
        (Task.due_at < now, OVERDUE),
        else_=NORMAL,
    )


def _conditions(f: InboxFilter, user: User, now: datetime) -> tuple[list[Any], bool]:
    """The filters as SQL conditions, and whether they need the request and SME joined."""
    where: list[Any] = [Task.closed_at.is_(None), Task.role == Role.COORDINATOR]
    if f.stage:
        where.append(SupportRequest.stage == f.stage)
    if f.country:
        where.append(Organisation.country == f.country)
    if f.q:
        where.append(func.lower(Organisation.name).contains(f.q.lower(), autoescape=True))
    joined = bool(f.stage or f.country or f.q)
    if f.company_id is not None:
        where.append(
            exists().where(
                Mentorship.request_id == Task.request_id, Mentorship.company_id == f.company_id
            )
        )
    if f.overdue:
        where.append(Task.due_at < now)
    if f.mine:
        where.append(Task.claimed_by == user.id)
    return where, joined


def page(session: Session, f: InboxFilter, user: User, now: datetime) -> InboxPage:
    where, joined = _conditions(f, user, now)
    counted = select(func.count(Task.id)).select_from(Task)
    if joined:  # the count joins only what the filters read
        counted = counted.join(Task.request).join(SupportRequest.organisation)
    total = session.scalar(counted.where(*where)) or 0
    order = {
        "priority": (priority(now), Task.due_at, Task.created_at),
        "due": (Task.due_at, Task.created_at),
        "age": (Task.created_at,),
        "request": (Task.request_id, Task.created_at),
    }[f.sort]
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(1, f.page), pages)
    rows = session.scalars(
        select(Task)
        .join(Task.request)
        .join(SupportRequest.organisation)
        .where(*where)
        .options(contains_eager(Task.request).contains_eager(SupportRequest.organisation))
        .order_by(*order, Task.id)
        .offset((number - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return InboxPage(list(rows.unique()), total, number, pages)


def open_task(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None or task.closed_at is not None or task.role != Role.COORDINATOR:
        raise Refused(N_("This task is done or no longer open."))
    return task


def claim(session: Session, task: Task, user: User, now: datetime) -> None:
    if task.claimed_by not in (None, user.id):
        raise Refused(N_("Another coordinator has claimed this task."))
    task.claimed_by, task.claimed_at = user.id, now


def unclaim(session: Session, task: Task, user: User) -> None:
    if task.claimed_by is None:
        return
    if task.claimed_by != user.id and not user.lead:
        raise Forbidden(N_("Only who claimed the task, or a lead coordinator, gives it back."))
    task.claimed_by = task.claimed_at = None


def assign(session: Session, task: Task, lead: User, assignee_id: int, now: datetime) -> User:
    """A lead coordinator hands a task to a coordinator."""
    if not lead.lead:
        raise Forbidden(N_("Only a lead coordinator assigns tasks."))
    assignee = session.get(User, assignee_id)
    if assignee is None or assignee.role != Role.COORDINATOR or assignee.erased_at is not None:
        raise Refused(N_("Tasks are assigned to coordinators only."))
    task.claimed_by, task.claimed_at = assignee.id, now
    if assignee.id != lead.id:
        # A second hand-over of the task to them mails nothing.
        outbox.queue(session, task.request_id, {assignee.id: ASSIGNED},
                     f"assigned-{task.id}-{assignee.id}")  # fmt: skip
    return assignee


def may_complete(session: Session, user: User, request_id: int, kinds: tuple[str, ...]) -> None:
    """A claimed task is completed by its assignee or a lead; raises Forbidden otherwise."""
    claimer = session.scalar(
        select(User)
        .join(Task, Task.claimed_by == User.id)
        .where(
            Task.request_id == request_id,
            Task.kind.in_(kinds),
            Task.closed_at.is_(None),
            Task.claimed_by.is_not(None),
        )
        .limit(1)
    )
    if claimer is not None and claimer.id != user.id and not user.lead:
        raise Forbidden(
            N_("%(name)s has claimed this task: they or a lead coordinator decide."),
            name=claimer.name,
        )


def _active_coordinator() -> tuple[ColumnElement[bool], ...]:
    """The rows of coordinators not erased: those who read the shared inbox."""
    return User.role == Role.COORDINATOR, User.erased_at.is_(None)


def _coordinator_ids(session: Session, *, leads_only: bool) -> list[int]:
    """The coordinators not erased (only the leads, if asked), by id."""
    stmt = select(User.id).where(*_active_coordinator())
    if leads_only:
        stmt = stmt.where(User.lead)
    return list(session.scalars(stmt.order_by(User.id)))


def told_of_new_tasks(session: Session) -> list[int]:
    """Who is mailed when a task joins the shared inbox: the lead coordinators, who hand the
    work out (and are told of what falls overdue); every coordinator while there is no lead.
    Everyone else finds it in the inbox, and is mailed when a lead assigns it to them: a
    mail to every coordinator for every task would be noise that grows with the team."""
    return _coordinator_ids(session, leads_only=True) or _coordinator_ids(session, leads_only=False)


def coordinators(session: Session) -> list[User]:
    stmt = select(User).where(*_active_coordinator())
    return list(session.scalars(stmt.order_by(User.name)))


def escalate_overdue(session: Session, now: datetime) -> list[int]:
    """Mark the coordinator tasks past due and tell every lead coordinator, once per task."""
    overdue = session.scalars(
        select(Task).where(
            Task.closed_at.is_(None),
            Task.role == Role.COORDINATOR,
            Task.due_at < now,
            Task.escalated_at.is_(None),
        )
    ).all()
    leads = _coordinator_ids(session, leads_only=True)
    for task in overdue:
        task.escalated_at = now
        outbox.queue(session, task.request_id, dict.fromkeys(leads, ESCALATED),
                     f"escalated-{task.id}")  # fmt: skip
    return [t.id for t in overdue]


def next_deadline(session: Session) -> datetime | None:
    """When the next open coordinator task falls past due."""
    return session.scalar(
        select(func.min(Task.due_at)).where(
            Task.closed_at.is_(None),
            Task.role == Role.COORDINATOR,
            Task.escalated_at.is_(None),
        )
    )
