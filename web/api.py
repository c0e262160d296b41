"""The JSON API under /api/v1: requests, tasks and their actions, pledges; documented at
/api/v1/openapi.json. A caller presents a personal API token (``Authorization: Bearer …``)
and is held to the same route rules as on the pages (web.access.ROUTES)."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Request
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from webargs.flaskparser import FlaskParser

from mentorship.rules.choices import Decision, OfferChoice
from mentorship.rules.stages import Role, Update
from mentorship.services import inbox, participation, pledges, signing
from mentorship.store.models import Agreement, Mentorship, SupportRequest, Task, User, utcnow
from web import access, forms
from web.access import current_user
from web.database import db
from web.steps import actor, send


class _Parser(FlaskParser):
    """JSON bodies as webargs reads them, except that one nested past the interpreter's
    recursion limit (5,000 ``[`` say) is invalid JSON, a 400, not a RecursionError."""

    def _raw_load_json(self, req: Request) -> Any:
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            raise json.JSONDecodeError("nested too deeply", "(the body)", 0) from None


class _Blueprint(Blueprint):
    ARGUMENTS_PARSER = _Parser()


bp = _Blueprint(
    "api", __name__, url_prefix="/api/v1", description="Digital Volunteers: requests and tasks"
)
NONCE = fields.String(
    required=True,
    validate=validate.Regexp(r"^[0-9a-f]{32}$", error="32 lowercase hexadecimal characters."),
    metadata={"description": "A fresh random id per decision: the same nonce decides once."},
)


class RequestOut(Schema):
    id = fields.Integer()
    stage = fields.String()
    country = fields.String(attribute="organisation.country")
    sector = fields.String(attribute="organisation.nace")
    challenge_areas = fields.List(fields.String())
    languages = fields.List(fields.String())
    format = fields.String()
    planned_sessions = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    sme = fields.String(
        allow_none=True, metadata={"description": "The SME's name, for those who may read it."}
    )
    description = fields.String(
        allow_none=True,
        metadata={
            "description": "The SME's own words: for the SME, coordinators, and the "
            "mentor once the confidentiality agreement is signed."
        },  # fmt: skip
    )


class TaskOut(Schema):
    id = fields.Integer()
    request_id = fields.Integer()
    kind = fields.String()
    role = fields.String()
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    claimed_by = fields.Integer(allow_none=True)


class PledgeOut(Schema):
    id = fields.Integer()
    company = fields.String(attribute="organisation.name")
    title = fields.String()
    achieved = fields.Dict(keys=fields.String(), values=fields.Float())
    targets = fields.Dict(keys=fields.String(), values=fields.Float())


class Id(fields.Integer):
    """An id as JSON writes one: an integer within the database's INTEGER, never a string,
    a fraction or a boolean that could be read as one ("1", 1.5, true)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            strict=True,
            validate=validate.Range(min=1, max=forms.INT32_MAX, error="An id from 1 to 2^31-1."),
            **kwargs,
        )


class DecisionIn(Schema):
    """Every action's body: exactly its fields, each of its JSON type (RAISE, not EXCLUDE)."""

    nonce = NONCE


class MatchIn(DecisionIn):
    offer_id = Id(required=True, metadata={"description": "The proposed candidate's offer id."})


class MentorOut(Schema):
    id = fields.Integer()
    name = fields.String()
    company = fields.String(attribute="organisation.name")
    proficiency = fields.Dict(
        keys=fields.String(), values=fields.Integer(), attribute="mentor_profile.proficiency"
    )
    languages = fields.List(fields.String(), attribute="mentor_profile.languages")
    capacity = fields.Integer(attribute="mentor_profile.capacity")
    running = fields.Integer(metadata={"description": "Mentorships running now."})


class SignatureOut(Schema):
    role = fields.String()
    status = fields.String()
    signed_at = fields.DateTime(attribute="created_at")


class AgreementOut(Schema):
    id = fields.Integer()
    request_id = fields.Integer(attribute="mentorship.request_id")
    attempt = fields.Integer()
    status = fields.String()
    sha256 = fields.String()
    sealed_sha256 = fields.String(allow_none=True)
    second_language = fields.String(allow_none=True)
    signer_roles = fields.List(fields.String())
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    signatures = fields.List(
        fields.Nested(SignatureOut),
        metadata={"description": "Who signed when; the typed names stay in the document."},
    )


class MentorshipOut(Schema):
    id = fields.Integer()
    request_id = fields.Integer()
    mentor = fields.String(attribute="mentor.name")
    company = fields.String(attribute="company.name")
    status = fields.String(metadata={"description": "active, released, completed, terminated"})
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)


class TaskClaimOut(Schema):
    task_id = fields.Integer()
    claimed_by = fields.Integer(allow_none=True)


class DecisionOut(Schema):
    request_id = fields.Integer()
    decision = fields.String()


HIDDEN = {"sme": None, "description": None}


def _confidential(request: SupportRequest, readable: bool) -> dict[str, Any]:
    """The SME's name and words, if the caller reads them (mentorship.services.participation)."""
    if not readable:
        return HIDDEN
    return {"sme": request.organisation.name, "description": request.description}


REQUEST_FIELDS = (
    *("id", "stage", "organisation", "challenge_areas", "languages", "format"),
    *("planned_sessions", "created_at", "updated_at"),
)


def _out(request: SupportRequest, confidential: dict[str, Any]) -> dict[str, Any]:
    """What RequestOut dumps: the request's fields, and the words only if readable."""
    return {**{name: getattr(request, name) for name in REQUEST_FIELDS}, **confidential}


def _page(pagination: Any, stmt: Any, *order: Any) -> list[Any]:
    """One page of ``stmt`` in ``order``; the count goes to the X-Pagination header. A page
    past the last is empty, without asking the database for an offset it cannot hold."""
    pagination.item_count = db().scalar(select(func.count()).select_from(stmt.subquery())) or 0
    if pagination.first_item >= pagination.item_count:
        return []
    rows = stmt.order_by(*order).offset(pagination.first_item).limit(pagination.page_size)
    return list(db().scalars(rows))


@bp.route("/requests", methods=["GET"])
@bp.response(200, RequestOut(many=True))
@bp.paginate()
def list_requests(pagination_parameters: Any) -> list[dict[str, Any]]:
    """The requests the caller may see, newest first."""
    me = current_user()
    rows = _page(pagination_parameters, access.visible_requests(me), SupportRequest.id.desc())
    readable = participation.sme_details_readable(db(), me, rows)
    return [_out(r, _confidential(r, r.id in readable)) for r in rows]


@bp.route("/requests/<int:request_id>", methods=["GET"])
@bp.response(200, RequestOut)
def get_request(request_id: int) -> dict[str, Any]:
    """One request, if the caller is one of its parties or a coordinator."""
    request = db().get(SupportRequest, request_id)
    assert request is not None  # the access rule loaded it
    readable = participation.reads_sme_details(db(), current_user(), request)
    return _out(request, _confidential(request, readable))


@bp.route("/requests/<int:request_id>/intake/approve", methods=["POST"])
@bp.arguments(DecisionIn)
@bp.response(200, DecisionOut)
def approve_intake(data: dict[str, Any], request_id: int) -> dict[str, Any]:
    """A coordinator approves the intake: matching starts."""
    send(request_id, Update.APPROVE_INTAKE, Decision(actor()), data["nonce"])
    return {"request_id": request_id, "decision": "intake_approved"}


@bp.route("/requests/<int:request_id>/match/approve", methods=["POST"])
@bp.arguments(MatchIn)
@bp.response(200, DecisionOut)
def approve_match(data: dict[str, Any], request_id: int) -> dict[str, Any]:
    """A coordinator approves one proposed mentor, who is then asked."""
    send(request_id, Update.APPROVE_MATCH, OfferChoice(actor(), data["offer_id"]), data["nonce"])
    return {"request_id": request_id, "decision": "match_approved"}


@bp.route("/requests/<int:request_id>/completion/approve", methods=["POST"])
@bp.arguments(DecisionIn)
@bp.response(200, DecisionOut)
def approve_completion(data: dict[str, Any], request_id: int) -> dict[str, Any]:
    """Another coordinator than the match's approves the completion (four eyes)."""
    send(request_id, Update.APPROVE_COMPLETION, Decision(actor()), data["nonce"])
    return {"request_id": request_id, "decision": "completion_approved"}


@bp.route("/mentorships", methods=["GET"])
@bp.response(200, MentorshipOut(many=True))
@bp.paginate()
def list_mentorships(pagination_parameters: Any) -> list[Mentorship]:
    """The mentorships of the requests the caller may see (a mentor: their own), newest first."""
    me = current_user()
    visible = access.visible_requests(me).with_only_columns(SupportRequest.id)
    stmt = select(Mentorship).where(Mentorship.request_id.in_(visible))
    if me.role == Role.MENTOR:
        stmt = stmt.where(Mentorship.mentor_id == me.id)
    return _page(pagination_parameters, stmt, Mentorship.id.desc())


@bp.route("/agreements/<int:agreement_id>", methods=["GET"])
@bp.response(200, AgreementOut)
def get_agreement(agreement_id: int) -> Agreement:
    """An agreement's facts, for its parties and coordinators; the PDF is on its page."""
    return signing.get_agreement(db(), agreement_id)


@bp.route("/mentors", methods=["GET"])
@bp.response(200, MentorOut(many=True))
@bp.paginate()
def list_mentors(pagination_parameters: Any) -> list[dict[str, Any]]:
    """Every mentor with a profile, with how many mentorships each runs now."""
    stmt = (
        select(User)
        .join(User.mentor_profile)
        .where(User.role == Role.MENTOR, User.erased_at.is_(None))
        .options(selectinload(User.mentor_profile))
    )
    mentors = _page(pagination_parameters, stmt, User.id)
    running = dict(
        db()
        .execute(
            select(Mentorship.mentor_id, func.count())
            .where(Mentorship.status == "active", Mentorship.mentor_id.in_([m.id for m in mentors]))
            .group_by(Mentorship.mentor_id)
        )
        .all()
    )
    return [
        {
            "id": m.id,
            "name": m.name,
            "organisation": m.organisation,
            "mentor_profile": m.mentor_profile,
            "running": running.get(m.id, 0),
        }
        for m in mentors
    ]


@bp.route("/tasks/<int:task_id>/claim", methods=["POST"])
@bp.response(200, TaskClaimOut)
def claim_task(task_id: int) -> dict[str, Any]:
    """A coordinator takes a task: others then leave it to them (or to a lead)."""
    task = inbox.open_task(db(), task_id)
    inbox.claim(db(), task, current_user(), utcnow())
    db().commit()
    return {"task_id": task.id, "claimed_by": task.claimed_by}


@bp.route("/tasks/<int:task_id>/unclaim", methods=["POST"])
@bp.response(200, TaskClaimOut)
def unclaim_task(task_id: int) -> dict[str, Any]:
    """Who claimed a task, or a lead coordinator, gives it back to the shared inbox."""
    task = inbox.open_task(db(), task_id)
    inbox.unclaim(db(), task, current_user())
    db().commit()
    return {"task_id": task.id, "claimed_by": task.claimed_by}


@bp.route("/tasks", methods=["GET"])
@bp.response(200, TaskOut(many=True))
@bp.paginate()
def list_tasks(pagination_parameters: Any) -> list[Task]:
    """The open tasks waiting for the caller, oldest first."""
    me = current_user()
    mine = [Task.user_id == me.id]
    if me.role == Role.COORDINATOR:
        mine.append(Task.role == Role.COORDINATOR)
    elif me.role == Role.SME:
        mine.append(
            (Task.role == Role.SME)
            & Task.request_id.in_(
                select(SupportRequest.id).where(
                    SupportRequest.organisation_id == me.organisation_id
                )
            )
        )
    elif me.role == Role.COMPANY_ADMIN:
        mine.append(
            (Task.role == Role.COMPANY_ADMIN) & (Task.organisation_id == me.organisation_id)
        )
    stmt = select(Task).where(Task.closed_at.is_(None), or_(*mine))
    return _page(pagination_parameters, stmt, Task.created_at, Task.id)


@bp.route("/pledges", methods=["GET"])
@bp.response(200, PledgeOut(many=True))
def list_pledges() -> list[dict[str, Any]]:
    """Every public pledge (submitted or approved) with its indicators, as in the Pledge
    Viewer."""
    rows = sorted(pledges.public_pledges(db()), key=lambda p: p.id)
    done = pledges.achieved(db(), [p.id for p in rows])
    return [
        {
            "id": p.id,
            "organisation": p.organisation,
            "title": p.title,
            "achieved": done.get(p.id, {}),
            "targets": pledges.targets(p),
        }
        for p in rows
    ]


def init_app(app: Flask) -> Api:
    app.config.update(
        API_TITLE="Digital Volunteers",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
    )
    api = Api(app)
    api.register_blueprint(bp)
    return api
