"""Who may use which route: every endpoint and its rule, in one table, checked per object.

One module on purpose (just over 400 lines): the owner checks, the table that names them
(``ROUTES``), who the caller is (a sign-in kept on the server, or an API token) and the check
before every request, so one file answers "who may do this, and how is it enforced"."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext
from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from mentorship.errors import Forbidden, NotFound
from mentorship.i18n import N_
from mentorship.rules.stages import Effect, Role, TaskKind
from mentorship.rules.subjects import SubjectKind
from mentorship.services import api_tokens, inbox, participation, sign_ins, signing, throttle
from mentorship.store.models import (
    Agreement,
    Event,
    MatchOffer,
    Mentorship,
    ScheduledSession,
    SessionLog,
    SupportRequest,
    Task,
    User,
    utcnow,
)
from web.database import db
from web.errors import too_many_calls, unauthorised

Owns = Callable[[Session, User, Mapping[str, Any]], bool]


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str] = frozenset()
    owns: Owns | None = None
    public: bool = False


# What is missing, in a whole sentence each: a model's name inside a sentence does not translate.
MISSING: dict[type[Any], str] = {
    SupportRequest: N_("There is no such request."),
    MatchOffer: N_("There is no such offer."),
    Agreement: N_("There is no such agreement."),
    Mentorship: N_("There is no such mentorship."),
    SessionLog: N_("There is no such session log."),
    ScheduledSession: N_("There is no such session."),
    Task: N_("There is no such task."),
}


def _get(session: Session, model: type[Any], ident: object) -> Any:
    row = session.get(model, ident)
    if row is None:
        raise NotFound(MISSING.get(model, N_("There is no such page.")))
    # The session holds its rows weakly: kept alive with it, the row a rule loaded is the one
    # the view gets from `session.get`, instead of loading it a second time.
    session.info.setdefault("rows_checked", []).append(row)
    return row


def is_party(session: Session, user: User, request_id: int) -> bool:
    """Does this user take part in the request at all (mentorship.services.participation)?"""
    request: SupportRequest = _get(session, SupportRequest, request_id)
    return participation.part_in(session, user, request) is not None


def visible_requests(user: User) -> Select[SupportRequest]:
    """The requests ``user`` may see, as one query: ``is_party`` for many at once."""
    return participation.visible_requests(user)


def request_party(session: Session, user: User, args: Mapping[str, Any]) -> bool:
    return is_party(session, user, args["request_id"])


def offer_mentor(session: Session, user: User, args: Mapping[str, Any]) -> bool:
    offer: MatchOffer = _get(session, MatchOffer, args["offer_id"])
    return offer.mentor_id == user.id


def agreement_party(session: Session, user: User, args: Mapping[str, Any]) -> bool:
    """Who takes part in the request (mentorship.services.participation) and is a party to this
    agreement, or a coordinator: no one else reads or acts on it."""
    agreement: Agreement = _get(session, Agreement, args["agreement_id"])
    request = agreement.mentorship.request
    taking_part = participation.part_in(session, user, request) is not None
    return taking_part and signing.may_open(user, agreement)


def mentorship_of_log(session: Session, log_id: int) -> Mentorship:
    """The mentorship a session log belongs to."""
    log: SessionLog = _get(session, SessionLog, log_id)
    mentorship: Mentorship = _get(session, Mentorship, log.mentorship_id)
    return mentorship


def session_log_sme(session: Session, user: User, args: Mapping[str, Any]) -> bool:
    mentorship = mentorship_of_log(session, args["log_id"])
    return mentorship.request.organisation_id == user.organisation_id


def mentorship_party(session: Session, user: User, args: Mapping[str, Any]) -> bool:
    """The SME, the mentor of the running mentorship, or a coordinator."""
    if user.role == Role.MENTOR:
        return mentorship_mentor(session, user, args)
    return is_party(session, user, args["request_id"])


def scheduled_party(session: Session, user: User, args: Mapping[str, Any]) -> bool:
    """A scheduled session belongs to its mentorship's SME, mentor and coordinators."""
    row: ScheduledSession = _get(session, ScheduledSession, args["scheduled_id"])
    mentorship = row.mentorship
    return mentorship_party(session, user, {"request_id": mentorship.request_id}) and (
        user.role != Role.MENTOR or mentorship.mentor_id == user.id
    )


def approved_the_match(session: Session, user: User, request_id: int) -> bool:
    """Did this user approve the match of the request's latest mentorship?"""
    offer_id = session.scalar(
        select(Mentorship.offer_id)
        .where(Mentorship.request_id == request_id)
        .order_by(Mentorship.id.desc())
        .limit(1)
    )
    approved = exists().where(
        Event.request_id == request_id,
        Event.kind == Effect.OFFER_APPROVED,
        Event.subject_kind == SubjectKind.OFFER,
        Event.subject_id == offer_id,
        Event.actor_id == user.id,
    )
    return offer_id is not None and bool(session.scalar(select(approved)))


def decides(*kinds: str) -> Owns:
    """A coordinator decides on a request, unless another claimed its task (leads may)."""

    def owns(session: Session, user: User, args: Mapping[str, Any]) -> bool:
        inbox.may_complete(session, user, args["request_id"], kinds)
        return is_party(session, user, args["request_id"])

    return owns


def completion_reviewer(session: Session, user: User, args: Mapping[str, Any]) -> bool:
    """Four eyes: any coordinator but the one who approved the mentorship's match, and,
    once the task is claimed, its claimer (or a lead)."""
    if approved_the_match(session, user, args["request_id"]):
        raise Forbidden(N_("You approved this match: another coordinator approves its completion."))
    return decides(TaskKind.APPROVE_COMPLETION)(session, user, args)


def dispute_decider(session: Session, user: User, args: Mapping[str, Any]) -> bool:
    request_id = mentorship_of_log(session, args["log_id"]).request_id
    inbox.may_complete(session, user, request_id, (TaskKind.RESOLVE_DISPUTE,))
    return True


def task_claimer_or_lead(session: Session, user: User, args: Mapping[str, Any]) -> bool:
    """A claimed task is given back by who claimed it, or by a lead coordinator."""
    task: Task = _get(session, Task, args["task_id"])
    if task.claimed_by not in (None, user.id) and not user.lead:  # seen, but not theirs to do
        raise Forbidden(N_("Only who claimed the task, or a lead coordinator, gives it back."))
    return True


def lead_coordinator(session: Session, user: User, args: Mapping[str, Any]) -> bool:
    if not user.lead:  # every coordinator sees the task; only a lead hands it to another
        raise Forbidden(N_("Only a lead coordinator assigns tasks."))
    return True


def mentorship_mentor(session: Session, user: User, args: Mapping[str, Any]) -> bool:
    mentorship = session.scalar(
        select(Mentorship).where(
            Mentorship.request_id == args["request_id"], Mentorship.status == "active"
        )
    )
    return mentorship is not None and mentorship.mentor_id == user.id


PUBLIC = Rule(public=True)
ANY_USER = Rule(roles=frozenset(Role))


def only(*roles: Role, owns: Owns | None = None) -> Rule:
    return Rule(roles=frozenset(roles), owns=owns)


ROUTES: dict[str, Rule] = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": ANY_USER,
    "account.register": PUBLIC,
    "account.resend_verification": PUBLIC,
    "account.verify": PUBLIC,  # the signed link is the permission
    "account.forgot": PUBLIC,
    "account.reset": PUBLIC,
    "account.invitation": PUBLIC,
    "account.invitations": only(Role.COORDINATOR, Role.COMPANY_ADMIN),  # whom: see INVITES
    "account.settings_page": ANY_USER,  # each person's own account only: no ids in these
    "account.data": ANY_USER,
    "account.erase": ANY_USER,
    "account.create_api_token": ANY_USER,
    "account.language": PUBLIC,  # a visitor's choice is kept in their session
    "account.revoke_api_token": ANY_USER,  # one's own tokens only: checked in accounts
    "account.totp": only(Role.COORDINATOR),
    "auth.second_factor": PUBLIC,  # the half-logged-in session holds whom it is for
    "public.privacy": PUBLIC,
    "public.home": PUBLIC,
    "pledges.index": PUBLIC,
    "pledges.detail": PUBLIC,
    "pledges.export": PUBLIC,
    "pledges.edit": only(Role.COMPANY_ADMIN),  # its own company's pledge only
    "pledges.submit": only(Role.COMPANY_ADMIN),
    "pledges.approve": only(Role.COORDINATOR),
    "pledges.report": only(Role.COMPANY_ADMIN),  # its own company's pledge only
    "pledges.approve_report": only(Role.COORDINATOR),
    "ops.healthz": PUBLIC,
    "ops.readyz": PUBLIC,
    "ops.metrics": PUBLIC,  # counts by route name only; keep it off the public proxy
    "coordinator.inbox": only(Role.COORDINATOR),
    "dashboard.index": only(Role.COORDINATOR),
    "dashboard.export": only(Role.COORDINATOR),
    "coordinator.run_round": only(Role.COORDINATOR),
    "coordinator.claim_task": only(Role.COORDINATOR),
    "coordinator.unclaim_task": only(Role.COORDINATOR, owns=task_claimer_or_lead),
    "coordinator.assign_task": only(Role.COORDINATOR, owns=lead_coordinator),
    # Each request is authorised on its own, as approve_intake, in the view.
    "coordinator.approve_intakes": only(Role.COORDINATOR),
    "coordinator.approve_intake": only(Role.COORDINATOR, owns=decides(TaskKind.REVIEW_INTAKE)),
    "coordinator.reject_intake": only(Role.COORDINATOR, owns=decides(TaskKind.REVIEW_INTAKE)),
    "coordinator.approve_match": only(Role.COORDINATOR, owns=decides(TaskKind.APPROVE_MATCH)),
    "coordinator.override_conflict": only(Role.COORDINATOR, owns=decides(TaskKind.APPROVE_MATCH)),
    "coordinator.approve_completion": only(Role.COORDINATOR, owns=completion_reviewer),
    "coordinator.push_pledge_entry": only(Role.COORDINATOR),
    "sme.requests": only(Role.SME),
    "sme.new_request": only(Role.SME),
    "sme.confirm_session": only(Role.SME, owns=session_log_sme),
    "sme.dispute_session": only(Role.SME, owns=session_log_sme),
    "coordinator.resolve_dispute": only(Role.COORDINATOR, owns=dispute_decider),
    "mentor.home": only(Role.MENTOR),
    "mentor.accept_offer": only(Role.MENTOR, owns=offer_mentor),
    "mentor.decline_offer": only(Role.MENTOR, owns=offer_mentor),
    "mentor.log_session": only(Role.MENTOR, owns=mentorship_mentor),
    "mentorships.company": only(Role.COMPANY_ADMIN),
    "mentorships.countersigning": only(Role.COMPANY_ADMIN),  # its own company only
    "mentorships.detail": Rule(roles=frozenset(Role), owns=request_party),
    "mentorships.version": Rule(roles=frozenset(Role), owns=request_party),
    "mentorships.end_early": only(Role.SME, Role.MENTOR, owns=request_party),
    "planning.propose_plan": only(Role.SME, Role.MENTOR, owns=mentorship_party),
    "planning.accept_plan": only(Role.SME, Role.MENTOR, owns=mentorship_party),
    "planning.extend_plan": only(Role.COORDINATOR, owns=request_party),
    "planning.schedule_session": only(Role.SME, Role.MENTOR, owns=mentorship_party),
    "planning.move_session": only(Role.SME, Role.MENTOR, owns=scheduled_party),
    "planning.cancel_session": only(Role.SME, Role.MENTOR, owns=scheduled_party),
    "planning.session_ics": only(Role.SME, Role.MENTOR, Role.COORDINATOR, owns=scheduled_party),
    "mentorships.pause": only(Role.SME, Role.MENTOR, Role.COORDINATOR, owns=mentorship_party),
    "mentorships.resume": only(Role.SME, Role.MENTOR, Role.COORDINATOR, owns=mentorship_party),
    "mentorships.give_feedback": only(Role.SME, Role.MENTOR, owns=mentorship_party),
    "mentorships.answer_survey": only(Role.SME, owns=request_party),
    # Who gets which certificate is decided in the view, by the certificate's side.
    "mentorships.certificate_pdf": Rule(roles=frozenset(Role), owns=request_party),
    "mentorships.terminate": only(Role.SME, Role.MENTOR, Role.COORDINATOR, owns=mentorship_party),
    "mentorships.agreement": Rule(roles=frozenset(Role), owns=agreement_party),
    "mentorships.agreement_pdf": Rule(roles=frozenset(Role), owns=agreement_party),
    "mentorships.sealed_pdf": Rule(roles=frozenset(Role), owns=agreement_party),
    "mentorships.sign": only(Role.SME, Role.MENTOR, Role.COMPANY_ADMIN, owns=agreement_party),
    "mentorships.decline_agreement": only(
        Role.SME, Role.MENTOR, Role.COMPANY_ADMIN, owns=agreement_party
    ),
    "coordinator.void_agreement": only(Role.COORDINATOR, owns=agreement_party),
    "public.verify": PUBLIC,
    # The API: the same rules, for a caller with a token (see web.api).
    "api-docs.openapi_json": PUBLIC,
    "api.list_pledges": PUBLIC,
    "api.list_requests": ANY_USER,  # each sees the requests they are a party to
    "api.get_request": Rule(roles=frozenset(Role), owns=request_party),
    "api.approve_intake": only(Role.COORDINATOR, owns=decides(TaskKind.REVIEW_INTAKE)),
    "api.list_tasks": ANY_USER,  # each sees the tasks waiting for them
    "api.approve_match": only(Role.COORDINATOR, owns=decides(TaskKind.APPROVE_MATCH)),
    "api.approve_completion": only(Role.COORDINATOR, owns=completion_reviewer),
    "api.get_agreement": Rule(roles=frozenset(Role), owns=agreement_party),
    "api.list_mentors": only(Role.COORDINATOR),
    "api.list_mentorships": ANY_USER,  # of the requests each may see
    "api.claim_task": only(Role.COORDINATOR),
    "api.unclaim_task": only(Role.COORDINATOR, owns=task_claimer_or_lead),
    # Only when no mail server is configured, and only from this machine (see web.dev).
    "dev.outbox": PUBLIC,
}


def current_user() -> User:
    user: User | None = g.get("user")
    if user is None:
        raise Forbidden(N_("Please log in."))
    return user


# Requests a page's script makes by itself, with nobody at the keyboard: they never count as
# the person being there, or an open tab would keep its session from idling out.
UNATTENDED = frozenset({"mentorships.version"})
SIGN_IN = "sign_in"  # the session cookie's key for the sign-in token (mentorship.services.sign_ins)
ENDED: dict[sign_ins.Ended | None, str] = {
    sign_ins.Ended.IDLE: N_("Your session has ended; please log in again."),
    sign_ins.Ended.TOO_OLD: N_("Your session has ended; please log in again."),
}


def _session_user() -> User | None:
    """The signed-in user, if the cookie's sign-in is open on the server
    (mentorship.services.sign_ins): not ended, idle or too old, and nothing about the person
    changed since it opened."""
    token = session.get(SIGN_IN)
    if not isinstance(token, str):
        return None
    config = current_app.config
    user, ended = sign_ins.current(
        db(),
        token,
        utcnow(),
        idle=config["DIGIVOL_SESSION_IDLE"],
        longest=config["PERMANENT_SESSION_LIFETIME"],
        attended=request.endpoint not in UNATTENDED,
    )
    db().commit()  # the last-seen time, or why the sign-in ended
    if user is None:
        session.clear()
        flash(gettext(ENDED.get(ended, N_("Please log in again."))), "error")
    return user


def authorize(session: Session, endpoint: str, user: User | None, args: Mapping[str, Any]) -> bool:
    """May ``user`` use ``endpoint`` on the objects named in ``args``?

    True when yes, False when only after logging in; raises Forbidden when not at all.
    """
    rule = ROUTES.get(endpoint)
    if rule is None:
        raise Forbidden(N_("The route %(endpoint)s has no access rule."), endpoint=endpoint)
    if rule.public:
        return True
    if user is None:
        return False
    if user.role not in rule.roles:
        raise Forbidden(N_("Your role cannot open this page."))
    if rule.owns is not None and not rule.owns(session, user, args):
        # Someone else's object answers as one that does not exist: its id tells nothing.
        raise NotFound(_missing(args))
    return True


# The object a route's argument names, for the message of a 404.
ARGUMENTS: dict[str, type[Any]] = {
    "request_id": SupportRequest,
    "offer_id": MatchOffer,
    "agreement_id": Agreement,
    "log_id": SessionLog,
    "scheduled_id": ScheduledSession,
    "task_id": Task,
}


def _missing(args: Mapping[str, Any]) -> str:
    """What is missing, said of the first object ``args`` names."""
    for name in args:
        if name in ARGUMENTS:
            return MISSING[ARGUMENTS[name]]
    return N_("There is no such page.")


def _api_caller() -> User | Response | None:
    """The API's caller, by their token (the API never reads the session cookie); a 429 when
    the token called more often than ``throttle.API_LIMIT`` allows."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    now = utcnow()
    found = api_tokens.presented(db(), token.strip(), now)
    wait = throttle.take_attempt(db(), throttle.api_keys(found[0].id), now) if found else None
    db().commit()  # when the token was last used, and the call counted
    if wait is not None:
        return too_many_calls(wait)
    return found[1] if found else None


def _enforce() -> Response | None:
    is_api = request.blueprint in ("api", "api-docs")
    caller = _api_caller() if is_api else _session_user()
    if isinstance(caller, Response):
        return caller
    g.user = caller
    if request.endpoint is None:
        return None  # Flask answers 404 or 405 itself
    if not authorize(db(), request.endpoint, g.user, request.view_args or {}):
        if is_api:
            return unauthorised()
        return redirect(url_for("auth.login", next=request.path))
    return None


def init_app(app: Flask) -> None:
    app.before_request(_enforce)
