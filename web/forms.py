"""marshmallow schemas for every form: the edge where typed values come in."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates,
    validates_schema,
)
from werkzeug.datastructures import MultiDict

from mentorship import inbox, intensity, plans, pledges
from mentorship.agreements import AGREEMENT_LANGUAGES
from mentorship.calendar import EU_ZONES
from mentorship.services import IntakeForm
from mentorship.signing import CONSENT_WORDINGS
from mentorship.stages import Stage
from mentorship.taxonomy import CHALLENGE_AREAS, LANGUAGES
from web.errors import FormInvalid

NONCE = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{32}$"))


class NonceSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    nonce = NONCE


class IntakeSchema(NonceSchema):
    challenge_areas = fields.List(
        fields.String(validate=validate.OneOf(list(CHALLENGE_AREAS))),
        required=True,
        validate=validate.Length(min=1, error="Choose at least one challenge area."),
    )
    languages = fields.List(
        fields.String(validate=validate.OneOf(list(LANGUAGES))),
        required=True,
        validate=validate.Length(min=1, error="Choose at least one language."),
    )
    description = fields.String(
        required=True,
        validate=validate.Length(
            min=20, max=5000, error="Describe the challenge in 20 to 5000 characters."
        ),
    )
    format = fields.String(required=True, validate=validate.OneOf(["remote", "on_site", "both"]))
    agreement_language = fields.String(
        load_default="",
        validate=validate.OneOf(["", *AGREEMENT_LANGUAGES], error="Choose a listed language."),
    )
    digital_intensity = fields.List(
        fields.String(validate=validate.OneOf(intensity.KEYS)), load_default=list
    )
    products = fields.List(
        fields.String(
            validate=validate.Regexp(
                r"^[A-Za-z0-9._]{1,12}$", error="Name each product by a NACE code, e.g. C10.71."
            )
        ),
        load_default=list,
        validate=validate.Length(max=10),
    )
    employees = fields.Integer(required=True, validate=validate.Range(min=0, max=10_000_000))
    turnover_eur = fields.Integer(required=True, validate=validate.Range(min=0))
    balance_sheet_eur = fields.Integer(required=True, validate=validate.Range(min=0))

    @pre_load
    def split_products(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        # One text field, comma-separated, becomes a list.
        raw = data.get("products") or []
        text = ",".join(raw) if isinstance(raw, list) else str(raw)
        return {**data, "products": [p.strip() for p in text.split(",") if p.strip()]}

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> tuple[str, IntakeForm]:
        nonce = data.pop("nonce")
        data["agreement_language"] = data.get("agreement_language") or None
        return nonce, IntakeForm(**data)


class ReasonSchema(NonceSchema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=5, max=2000, error="Give a reason of 5 to 2000 characters."),
    )


class VoidSchema(ReasonSchema):
    """A coordinator voids an agreement: rematch, or reissue (in another language, maybe)."""

    next_step = fields.String(
        required=True,
        validate=validate.OneOf(["reissue", "rematch"], error="Choose what happens next."),
    )
    language = fields.String(
        load_default="",
        validate=validate.OneOf(["", *AGREEMENT_LANGUAGES], error="Choose a listed language."),
    )


class PauseSchema(ReasonSchema):
    resume_on = fields.Date(
        required=True, error_messages={"invalid": "Give the resume date as YYYY-MM-DD."}
    )

    @validates("resume_on")
    def in_the_future(self, value: date, **_: Any) -> None:
        today = date.today()
        if value <= today:
            raise ValidationError("Choose a resume date after today.")
        if (value - today).days > 366:
            raise ValidationError("A pause lasts at most a year; end the mentorship instead.")


class ScheduleSchema(NonceSchema):
    """A session agreed for a date and time, in the SME's local time."""

    day = fields.Date(required=True, error_messages={"invalid": "Give the date as YYYY-MM-DD."})
    time = fields.Time(required=True, error_messages={"invalid": "Give the time as HH:MM."})
    minutes = fields.Integer(
        required=True,
        validate=validate.Range(min=15, max=480, error="A session lasts 15 to 480 minutes."),
    )
    format = fields.String(required=True, validate=validate.OneOf(["remote", "on_site"]))
    place = fields.String(
        required=True,
        validate=validate.Length(
            min=3, max=300, error="Give the meeting link or the address (3 to 300 characters)."
        ),
    )
    agenda = fields.String(
        required=True,
        validate=validate.Length(
            min=3, max=2000, error="Write the agenda in 3 to 2000 characters."
        ),
    )

    @validates("day")
    def not_in_the_past(self, value: date, **_: Any) -> None:
        if value < date.today():
            raise ValidationError("A session is scheduled for today or later.")


def _plan_end(value: date) -> None:
    today = date.today()
    if value <= today:
        raise ValidationError("Choose an end date after today.")
    if (value - today).days > 2 * 366:
        raise ValidationError("A mentorship plan runs for at most two years.")


class PlanSchema(NonceSchema):
    """A mentoring plan: numbers, cadence, end date, and goals as rows of three fields."""

    sessions = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=50, error="Plan 1 to 50 sessions."),
        error_messages={"invalid": "Give the number of sessions."},
    )
    hours = fields.Float(
        required=True,
        validate=validate.Range(min=0.5, max=500, error="Plan 0.5 to 500 mentor hours."),
        error_messages={"invalid": "Give the mentor hours as a number."},
    )
    cadence = fields.String(
        required=True, validate=validate.OneOf(list(plans.CADENCES), error="Choose a cadence.")
    )
    ends_on = fields.Date(
        required=True,
        validate=_plan_end,
        error_messages={"invalid": "Give the end date as YYYY-MM-DD."},
    )
    goal = fields.List(fields.String(validate=validate.Length(max=500)), load_default=list)
    measure = fields.List(fields.String(validate=validate.Length(max=500)), load_default=list)
    target_on = fields.List(fields.String(), load_default=list)
    note = fields.String(load_default="", validate=validate.Length(max=2000))

    @validates_schema
    def goals_complete(self, data: dict[str, Any], **_: Any) -> None:
        self._goals(data)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> plans.PlanDraft:
        return plans.PlanDraft(
            data["sessions"],
            data["hours"],
            data["cadence"],
            data["ends_on"],
            self._goals(data),
            data["note"].strip(),
        )

    @staticmethod
    def _goals(data: dict[str, Any]) -> list[plans.GoalDraft]:
        """Rows left wholly empty are ignored; a partly filled row is an error."""
        rows = zip(
            data.get("goal", []), data.get("measure", []), data.get("target_on", []), strict=False
        )
        goals = []
        for n, (goal, measure, target) in enumerate(rows, start=1):
            goal, measure, target = goal.strip(), measure.strip(), target.strip()
            if not (goal or measure or target):
                continue
            if len(goal) < 3 or len(measure) < 3:
                raise ValidationError(
                    f"Goal {n}: name the goal and its measurable result.", "goals"
                )
            try:
                target_on = date.fromisoformat(target)
            except ValueError:
                raise ValidationError(
                    f"Goal {n}: give its target date as YYYY-MM-DD.", "goals"
                ) from None
            if "ends_on" in data and target_on > data["ends_on"]:
                raise ValidationError(f"Goal {n}: its target date is after the plan ends.", "goals")
            goals.append(plans.GoalDraft(goal, measure, target_on))
        if not goals:
            raise ValidationError("Set at least one goal with a measurable result.", "goals")
        if len(goals) > plans.MAX_GOALS:
            raise ValidationError(f"Keep to at most {plans.MAX_GOALS} goals.", "goals")
        return goals


class ExtendPlanSchema(ReasonSchema):
    """A coordinator's extension of the plan in force."""

    ends_on = fields.Date(
        required=True,
        validate=_plan_end,
        error_messages={"invalid": "Give the end date as YYYY-MM-DD."},
    )
    sessions = fields.Integer(
        required=True, validate=validate.Range(min=1, max=50, error="Plan 1 to 50 sessions.")
    )


def goal_outcome_schema(goal_ids: list[int]) -> Schema:
    """Per goal of the plan: how far it was achieved (required) and a note."""
    results = list(plans.GOAL_RESULTS)
    choose = "Say how far this goal was achieved."
    spec: dict[str, fields.Field] = {}
    for goal_id in goal_ids:
        spec[f"goal_{goal_id}"] = fields.String(
            required=True,
            validate=validate.OneOf(results, error=choose),
            error_messages={"required": choose},
        )
        spec[f"goal_note_{goal_id}"] = fields.String(
            load_default="", validate=validate.Length(max=1000)
        )
    return Schema.from_dict(spec)(unknown=EXCLUDE)


class PledgeSchema(Schema):
    """A company's pledge as the Coalition records it, with the initiative's targets."""

    class Meta:
        unknown = EXCLUDE

    title = fields.String(
        required=True, validate=validate.Length(min=3, max=200, error="Title: 3 to 200 characters.")
    )
    description = fields.String(
        required=True,
        validate=validate.Length(min=20, max=5000, error="Describe it in 20 to 5000 characters."),
    )
    pillars = fields.List(
        fields.String(validate=validate.OneOf(list(pledges.PILLARS))),
        required=True,
        validate=validate.Length(min=1, error="Choose at least one pillar."),
    )
    countries = fields.List(
        fields.String(validate=validate.OneOf(sorted(EU_ZONES))),
        required=True,
        validate=validate.Length(min=1, error="Choose at least one country."),
    )
    starts_on = fields.Date(
        required=True, error_messages={"invalid": "Give the start date as YYYY-MM-DD."}
    )
    ends_on = fields.Date(
        load_default=None,
        allow_none=True,
        error_messages={"invalid": "Give the end date as YYYY-MM-DD."},
    )
    public_funding = fields.Boolean(
        load_default=False, truthy={"on", "yes", "true", "1"}, falsy={"", "off", "no", "0"}
    )
    target_smes_supported = fields.Integer(
        required=True, validate=validate.Range(min=1, max=100_000, error="1 to 100,000 SMEs.")
    )
    target_mentor_hours = fields.Float(
        required=True, validate=validate.Range(min=1, max=1_000_000, error="1 to 1,000,000 hours.")
    )
    target_employees_upskilled = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=1_000_000, error="1 to 1,000,000 employees."),
    )

    @pre_load
    def blank_end(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("ends_on") == "":
            data = {**data, "ends_on": None}
        return data

    @validates_schema
    def ends_after_start(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError("The pledge ends after it starts.", "ends_on")

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> pledges.PledgeDraft:
        return pledges.PledgeDraft(
            data["title"].strip(),
            data["description"].strip(),
            data["pillars"],
            data["countries"],
            data["starts_on"],
            data["ends_on"],
            data["public_funding"],
            {key: float(data[f"target_{key}"]) for key in pledges.INDICATORS},
        )


class ReportPeriodSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    period_start = fields.Date(
        required=True, error_messages={"invalid": "Give the start as YYYY-MM-DD."}
    )
    period_end = fields.Date(
        required=True, error_messages={"invalid": "Give the end as YYYY-MM-DD."}
    )

    @validates_schema
    def in_order(self, data: dict[str, Any], **_: Any) -> None:
        if data["period_end"] < data["period_start"]:
            raise ValidationError("The period ends after it starts.", "period_end")
        if data["period_end"] > date.today():
            raise ValidationError("Report on a period that is over.", "period_end")


class ReportSchema(ReportPeriodSchema):
    narrative = fields.String(
        required=True,
        validate=validate.Length(
            min=20, max=5000, error="Describe the period in 20 to 5000 characters."
        ),
    )


class ResolveDisputeSchema(ReasonSchema):
    decision = fields.String(
        required=True,
        validate=validate.OneOf(["held", "not_held"], error="Choose held or not held."),
    )


class FeedbackSchema(NonceSchema):
    rating = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=5, error="Rate the mentorship from 1 to 5."),
        error_messages={"required": "Rate the mentorship from 1 to 5."},
    )
    text = fields.String(
        required=True,
        validate=validate.Length(min=10, max=3000, error="Write 10 to 3000 characters."),
    )
    achieved = fields.String(
        required=True,
        validate=validate.Length(min=10, max=3000, error="Write 10 to 3000 characters."),
    )
    digital_intensity = fields.List(
        fields.String(validate=validate.OneOf(intensity.KEYS)), load_default=list
    )


class SurveySchema(NonceSchema):
    months = fields.Integer(required=True, validate=validate.OneOf([3, 6]))
    lasted = fields.String(
        required=True,
        validate=validate.OneOf(["yes", "partly", "no"], error="Choose yes, partly or no."),
    )
    text = fields.String(
        required=True,
        validate=validate.Length(min=5, max=3000, error="Write 5 to 3000 characters."),
    )


class CountersignSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    countersign = fields.Boolean(
        load_default=False, truthy={"on", "yes", "true", "1"}, falsy={"", "off", "no", "0"}
    )


class OptionalReasonSchema(NonceSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class OverrideSchema(ReasonSchema):
    mentor_id = fields.Integer(required=True)


class OfferChoiceSchema(NonceSchema):
    offer_id = fields.Integer(required=True)


class SignSchema(NonceSchema):
    typed_name = fields.String(
        required=True,
        validate=[
            validate.Length(min=2, max=200, error="Type your full name."),
            validate.Predicate("isprintable", error="Type your name as plain text."),
        ],
    )
    consent = fields.Boolean(
        required=True,
        truthy={"on", "yes", "true", "1"},
        error_messages={"required": "Tick the box to give your consent."},
    )
    sha256_seen = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    consent_version = fields.String(
        required=True,
        validate=validate.OneOf(
            list(CONSENT_WORDINGS), error="This consent wording is unknown; reload the page."
        ),
    )

    @validates("consent")
    def consent_given(self, value: bool, **_: Any) -> None:
        if not value:
            raise ValidationError("Tick the box to give your consent.")


class SessionLogSchema(NonceSchema):
    held_on = fields.Date(required=True)
    hours = fields.Float(
        required=True,
        validate=validate.Range(min=0.25, max=12, error="Hours must be between 0.25 and 12."),
    )
    topics = fields.String(
        required=True,
        validate=validate.Length(min=3, max=2000, error="Name the topics in 3 to 2000 characters."),
    )
    skills = fields.String(
        required=True,
        validate=validate.Length(
            min=3, max=2000, error="Name the skills transferred in 3 to 2000 characters."
        ),
    )
    participants = fields.Integer(
        required=True,
        validate=validate.Range(min=0, max=10_000, error="Count the SME's people who took part."),
    )
    next_steps = fields.String(load_default="", validate=validate.Length(max=2000))

    @validates("held_on")
    def not_in_future(self, value: date, **_: Any) -> None:
        if value > date.today():
            raise ValidationError("A session is logged after it took place.")


def load(schema: Schema, form: MultiDict[str, str], template: str, **context: Any) -> Any:
    """Validate a submitted form or raise FormInvalid to re-show it with messages."""
    # An unticked set of checkboxes sends nothing: that is an empty list, not a missing field.
    data: dict[str, Any] = {
        name: [] for name, field in schema.fields.items() if isinstance(field, fields.List)
    }
    for key in form:
        values = form.getlist(key)
        data[key] = values if isinstance(schema.fields.get(key), fields.List) else values[-1]
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise FormInvalid(template, exc.messages_dict, {"form": form, **context}) from exc


EMAIL = fields.Email(
    required=True,
    validate=validate.Length(max=254),
    error_messages={"invalid": "Enter an e-mail address."},
)
PERSON_NAME = fields.String(
    required=True,
    validate=validate.Length(min=2, max=200, error="Enter a name of 2 to 200 characters."),
)


class AccountSchema(Schema):
    class Meta:
        unknown = EXCLUDE


class EmailSchema(AccountSchema):
    email = EMAIL

    @post_load
    def lower(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "email": data["email"].strip().lower()}


class PasswordSchema(AccountSchema):
    password = fields.String(required=True, validate=validate.Length(max=200))
    confirm = fields.String(required=True)

    @validates_schema
    def same(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("password") != data.get("confirm"):
            raise ValidationError("The two passwords differ.", "confirm")


PRIVACY_NOTICE = "Read and accept the privacy notice to register."


class RegisterSchema(PasswordSchema, EmailSchema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["sme", "company"], error="Choose an SME or a mentoring company."),
    )
    organisation = fields.String(
        required=True,
        validate=validate.Length(min=2, max=200, error="Enter the organisation's name."),
    )
    country = fields.String(
        required=True, validate=validate.OneOf(list(EU_ZONES), error="Choose an EU country.")
    )
    nace = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-U][0-9]{0,2}(\.[0-9]{1,2})?$", error="Enter a NACE code, e.g. C10.71."
        ),
    )
    employees = fields.Integer(required=True, validate=validate.Range(min=0, max=10_000_000))
    turnover_eur = fields.Integer(required=True, validate=validate.Range(min=0))
    balance_sheet_eur = fields.Integer(required=True, validate=validate.Range(min=0))
    name = PERSON_NAME
    privacy = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error=PRIVACY_NOTICE),
        error_messages={"required": PRIVACY_NOTICE},
    )

    @pre_load
    def upper_codes(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {
            **data,
            **{k: str(data[k]).strip().upper() for k in ("country", "nace") if k in data},
        }


class InviteSchema(EmailSchema):
    name = PERSON_NAME
    role = fields.String(
        required=True,
        validate=validate.OneOf(
            ["coordinator", "mentor", "company_admin"], error="Choose whom you invite."
        ),
    )


class AcceptInvitationSchema(PasswordSchema):
    expertise = fields.List(fields.String(validate=validate.OneOf(list(CHALLENGE_AREAS))))
    languages = fields.List(fields.String(validate=validate.OneOf(list(LANGUAGES))))
    capacity = fields.Integer(load_default=1, validate=validate.Range(min=1, max=5))


class InboxQuerySchema(Schema):
    """The inbox's filters, from the query string; a bad one is a 422 naming it."""

    class Meta:
        unknown = EXCLUDE

    stage = fields.String(load_default="", validate=validate.OneOf(["", *Stage]))
    country = fields.String(
        load_default="", validate=validate.OneOf(["", *EU_ZONES], error="Choose an EU country.")
    )
    company_id = fields.Integer(load_default=None, allow_none=True)
    overdue = fields.Boolean(load_default=False)
    mine = fields.Boolean(load_default=False)
    q = fields.String(load_default="", validate=validate.Length(max=100))
    sort = fields.String(load_default="priority", validate=validate.OneOf(inbox.SORTS))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))

    @pre_load
    def blanks(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        # An empty select or box sends "": the same as not filtering.
        return {k: v for k, v in data.items() if v != "" or k in ("stage", "country", "q")}


class AssignSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    assignee_id = fields.Integer(
        required=True, error_messages={"required": "Choose a coordinator."}
    )


class BulkApprovalSchema(NonceSchema):
    request_ids = fields.List(
        fields.Integer(),
        required=True,
        validate=validate.Length(min=1, max=inbox.PAGE_SIZE, error="Tick the intakes to approve."),
    )
