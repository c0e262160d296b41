"""The nudge policy: which reminder or escalation a running mentorship is due, and when.

A plain function of the workflow's state, so the workflow's timers and the tests ask the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from mentorship.rules.stages import SessionStatus, Stage
from mentorship.rules.state import MentorshipState


@dataclass(frozen=True)
class Nudge:
    """The next reminder or escalation a running mentorship is due."""

    # "confirm-<log id>", "idle-<last activity>", "unscheduled-<since>", "overdue-<end>":
    # the key changes when the cause goes.
    key: str
    due: str  # naive UTC ISO
    escalate: bool  # False: remind both sides; True: hand it to a coordinator


def _nudge_causes(state: MentorshipState) -> list[tuple[str, str, int]]:
    """What could stall the mentorship now: each cause's key, since when, and its grace."""
    d = state.durations
    causes = [
        (f"confirm-{s.session_log_id}", s.logged_at, d.unconfirmed_nudge)
        for s in state.sessions
        if s.status == SessionStatus.LOGGED and s.logged_at
    ]
    plan = state.plan
    if plan is not None and state.may_log_sessions():
        # The next session should be on the calendar within the grace after the last step
        # (a session held or scheduled, the plan agreed, a resume) or the last one scheduled.
        since = max([state.last_activity or "", *state.session_times.values()])
        causes.append((f"unscheduled-{since}", since, d.unscheduled_nudge))
    elif state.last_activity:
        causes.append((f"idle-{state.last_activity}", state.last_activity, d.idle_nudge))
    if plan is not None and state.confirmed_sessions() < state.planned_sessions:
        # The plan's last day passed with sessions still to hold: extend it, or end.
        end = f"{plan.ends_on}T00:00:00"
        causes.append((f"overdue-{plan.ends_on}", end, 24 * 3600))
    return causes


def next_nudge(state: MentorshipState) -> Nudge | None:
    """The earliest reminder or escalation due, if the mentorship is running."""
    if state.stage != Stage.SESSIONS:
        return None
    due: list[Nudge] = []
    for key, since, grace in _nudge_causes(state):
        if key in state.escalated:
            continue
        if key in state.reminded:
            when = _plus(state.reminded[key], state.durations.escalate_after)
            due.append(Nudge(key, when, escalate=True))
        else:
            due.append(Nudge(key, _plus(since, grace), escalate=False))
    return min(due, key=lambda n: n.due, default=None)


def stalled(state: MentorshipState) -> bool:
    """An escalation whose cause is still there: a coordinator should follow up."""
    live = {key for key, _, _ in _nudge_causes(state)}
    return state.stage == Stage.SESSIONS and any(k in live for k in state.escalated)


def _plus(iso: str, seconds: int) -> str:
    moment = datetime.fromisoformat(iso) + timedelta(seconds=seconds)
    return moment.isoformat(timespec="seconds")
