"""The forms of a request and its mentorship: intake, reasons, pauses, schedules, the plan,
feedback and surveys, signing, session logs, disputes."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validates,
    validates_schema,
)

from mentorship.adapters.documents import AGREEMENT_LANGUAGES
from mentorship.i18n import N_
from mentorship.rules import intensity
from mentorship.rules.taxonomy import CHALLENGE_AREAS, LANGUAGES
from mentorship.services import plans
from mentorship.services.intake import IntakeForm
from mentorship.services.signing import CONSENT_WORDINGS
from web.forms.fields import (
    EMPLOYEES,
    EUROS,
    RELOAD,
    Boolean,
    Date,
    Float,
    FormSchema,
    Integer,
    Length,
    List,
    NonceSchema,
    OneOf,
    Predicate,
    Range,
    Regexp,
    String,
    Text,
    Time,
)


class IntakeSchema(NonceSchema):
    challenge_areas = List(
        String(validate=OneOf(list(CHALLENGE_AREAS))),
        required=True,
        validate=Length(min=1, error=N_("Choose at least one challenge area.")),
    )
    languages = List(
        String(validate=OneOf(list(LANGUAGES))),
        required=True,
        validate=Length(min=1, error=N_("Choose at least one language.")),
    )
    description = Text(
        required=True,
        validate=Length(
            min=20, max=5000, error=N_("Describe the challenge in 20 to 5000 characters.")
        ),
    )
    format = String(required=True, validate=OneOf(["remote", "on_site", "both"]))
    agreement_language = String(
        load_default="",
        validate=OneOf(["", *AGREEMENT_LANGUAGES], error=N_("Choose a listed language.")),
    )
    digital_intensity = List(String(validate=OneOf(intensity.KEYS)), load_default=list)
    products = List(
        String(
            validate=Regexp(
                r"^[A-Za-z0-9._]{1,12}$", error=N_("Name each product by a NACE code, e.g. C10.71.")
            )
        ),
        load_default=list,
        validate=Length(max=10, error=N_("Name at most 10 products.")),
    )
    employees = Integer(required=True, validate=Range(min=0, max=10_000_000, error=EMPLOYEES))
    turnover_eur = Integer(big=True, required=True, validate=Range(min=0, error=EUROS))
    balance_sheet_eur = Integer(big=True, required=True, validate=Range(min=0, error=EUROS))

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
    reason = Text(
        required=True,
        validate=Length(min=5, max=2000, error=N_("Give a reason of 5 to 2000 characters.")),
    )


class VoidSchema(ReasonSchema):
    """A coordinator voids an agreement: rematch, or reissue (in another language, maybe)."""

    next_step = String(
        required=True,
        validate=OneOf(["reissue", "rematch"], error=N_("Choose what happens next.")),
    )
    language = String(
        load_default="",
        validate=OneOf(["", *AGREEMENT_LANGUAGES], error=N_("Choose a listed language.")),
    )


class PauseSchema(ReasonSchema):
    resume_on = Date(
        required=True, error_messages={"invalid": N_("Give the resume date as YYYY-MM-DD.")}
    )

    @validates("resume_on")
    def in_the_future(self, value: date, **_: Any) -> None:
        today = date.today()
        if value <= today:
            raise ValidationError(N_("Choose a resume date after today."))
        if (value - today).days > 366:
            raise ValidationError(N_("A pause lasts at most a year; end the mentorship instead."))


class ScheduleSchema(NonceSchema):
    """A session agreed for a date and time, in the SME's local time."""

    day = Date(required=True, error_messages={"invalid": N_("Give the date as YYYY-MM-DD.")})
    time = Time(required=True, error_messages={"invalid": N_("Give the time as HH:MM.")})
    minutes = Integer(
        required=True,
        validate=Range(min=15, max=480, error=N_("A session lasts 15 to 480 minutes.")),
    )
    format = String(required=True, validate=OneOf(["remote", "on_site"]))
    place = String(
        required=True,
        validate=Length(
            min=3, max=300, error=N_("Give the meeting link or the address (3 to 300 characters).")
        ),
    )
    agenda = Text(
        required=True,
        validate=Length(min=3, max=2000, error=N_("Write the agenda in 3 to 2000 characters.")),
    )

    @validates("day")
    def not_in_the_past(self, value: date, **_: Any) -> None:
        if value < date.today():
            raise ValidationError(N_("A session is scheduled for today or later."))


def _plan_end(value: date) -> None:
    today = date.today()
    if value <= today:
        raise ValidationError(N_("Choose an end date after today."))
    if (value - today).days > 2 * 366:
        raise ValidationError(N_("A mentorship plan runs for at most two years."))


GOAL_TEXT = N_("Write each goal and its result in at most 500 characters.")


class PlanSchema(NonceSchema):
    """A mentoring plan: numbers, cadence, end date, and goals as rows of three fields."""

    sessions = Integer(
        required=True,
        validate=Range(min=1, max=50, error=N_("Plan 1 to 50 sessions.")),
        error_messages={"invalid": N_("Give the number of sessions.")},
    )
    hours = Float(
        required=True,
        validate=Range(min=0.5, max=500, error=N_("Plan 0.5 to 500 mentor hours.")),
        error_messages={"invalid": N_("Give the mentor hours as a number.")},
    )
    cadence = String(
        required=True, validate=OneOf(list(plans.CADENCES), error=N_("Choose a cadence."))
    )
    ends_on = Date(
        required=True,
        validate=_plan_end,
        error_messages={"invalid": N_("Give the end date as YYYY-MM-DD.")},
    )
    goal = List(String(validate=Length(max=500, error=GOAL_TEXT)), load_default=list)
    measure = List(String(validate=Length(max=500, error=GOAL_TEXT)), load_default=list)
    target_on = List(String(), load_default=list)
    note = Text(
        load_default="",
        validate=Length(max=2000, error=N_("Write the note in at most 2000 characters.")),
    )

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
                    gettext("Goal %(n)s: name the goal and its measurable result.", n=n), "goals"
                )
            try:
                target_on = date.fromisoformat(target)
            except ValueError:
                raise ValidationError(
                    gettext("Goal %(n)s: give its target date as YYYY-MM-DD.", n=n), "goals"
                ) from None
            if "ends_on" in data and target_on > data["ends_on"]:
                raise ValidationError(
                    gettext("Goal %(n)s: its target date is after the plan ends.", n=n), "goals"
                )
            goals.append(plans.GoalDraft(goal, measure, target_on))
        if not goals:
            raise ValidationError(N_("Set at least one goal with a measurable result."), "goals")
        if len(goals) > plans.MAX_GOALS:
            raise ValidationError(
                gettext("Keep to at most %(n)s goals.", n=plans.MAX_GOALS), "goals"
            )
        return goals


class ExtendPlanSchema(ReasonSchema):
    """A coordinator's extension of the plan in force."""

    ends_on = Date(
        required=True,
        validate=_plan_end,
        error_messages={"invalid": N_("Give the end date as YYYY-MM-DD.")},
    )
    sessions = Integer(
        required=True, validate=Range(min=1, max=50, error=N_("Plan 1 to 50 sessions."))
    )


def goal_outcome_schema(goal_ids: list[int]) -> Schema:
    """Per goal of the plan: how far it was achieved (required) and a note."""
    results = list(plans.GOAL_RESULTS)
    choose = N_("Say how far this goal was achieved.")
    spec: dict[str, fields.Field] = {}
    for goal_id in goal_ids:
        spec[f"goal_{goal_id}"] = String(
            required=True,
            validate=OneOf(results, error=choose),
            error_messages={"required": choose},
        )
        spec[f"goal_note_{goal_id}"] = String(
            load_default="",
            validate=Length(max=1000, error=N_("Write the note in at most 1000 characters.")),
        )
    return FormSchema.from_dict(spec)()


class ResolveDisputeSchema(ReasonSchema):
    decision = String(
        required=True,
        validate=OneOf(["held", "not_held"], error=N_("Choose held or not held.")),
    )


class FeedbackSchema(NonceSchema):
    rating = Integer(
        required=True,
        validate=Range(min=1, max=5, error=N_("Rate the mentorship from 1 to 5.")),
        error_messages={"required": N_("Rate the mentorship from 1 to 5.")},
    )
    text = Text(
        required=True,
        validate=Length(min=10, max=3000, error=N_("Write 10 to 3000 characters.")),
    )
    achieved = Text(
        required=True,
        validate=Length(min=10, max=3000, error=N_("Write 10 to 3000 characters.")),
    )
    digital_intensity = List(String(validate=OneOf(intensity.KEYS)), load_default=list)


class SurveySchema(NonceSchema):
    months = Integer(required=True, validate=OneOf([3, 6]))
    lasted = String(
        required=True,
        validate=OneOf(["yes", "partly", "no"], error=N_("Choose yes, partly or no.")),
    )
    text = Text(
        required=True,
        validate=Length(min=5, max=3000, error=N_("Write 5 to 3000 characters.")),
    )


class CountersignSchema(FormSchema):
    countersign = Boolean(
        load_default=False, truthy={"on", "yes", "true", "1"}, falsy={"", "off", "no", "0"}
    )


class OptionalReasonSchema(NonceSchema):
    reason = Text(
        load_default="",
        validate=Length(max=2000, error=N_("Give a reason of at most 2000 characters.")),
    )


class OverrideSchema(ReasonSchema):
    mentor_id = Integer(required=True)


class OfferChoiceSchema(NonceSchema):
    offer_id = Integer(required=True)


class SignSchema(NonceSchema):
    typed_name = String(
        required=True,
        validate=[
            Length(min=2, max=200, error=N_("Type your full name.")),
            Predicate("isprintable", error=N_("Type your name as plain text.")),
        ],
    )
    consent = Boolean(
        required=True,
        truthy={"on", "yes", "true", "1"},
        error_messages={"required": N_("Tick the box to give your consent.")},
    )
    sha256_seen = String(
        required=True,
        validate=Regexp(r"^[0-9a-f]{64}$", error=RELOAD),
        error_messages={"required": RELOAD},
    )
    consent_version = String(
        required=True,
        validate=OneOf(
            list(CONSENT_WORDINGS), error=N_("This consent wording is unknown; reload the page.")
        ),
    )

    @validates("consent")
    def consent_given(self, value: bool, **_: Any) -> None:
        if not value:
            raise ValidationError(N_("Tick the box to give your consent."))


class SessionLogSchema(NonceSchema):
    held_on = Date(required=True)
    hours = Float(
        required=True,
        validate=Range(min=0.25, max=12, error=N_("Hours must be between 0.25 and 12.")),
    )
    topics = Text(
        required=True,
        validate=Length(min=3, max=2000, error=N_("Name the topics in 3 to 2000 characters.")),
    )
    skills = Text(
        required=True,
        validate=Length(
            min=3, max=2000, error=N_("Name the skills transferred in 3 to 2000 characters.")
        ),
    )
    participants = Integer(
        required=True,
        validate=Range(min=0, max=10_000, error=N_("Count the SME's people who took part.")),
    )
    next_steps = Text(
        load_default="",
        validate=Length(max=2000, error=N_("Write the next steps in at most 2000 characters.")),
    )

    @validates("held_on")
    def not_in_future(self, value: date, **_: Any) -> None:
        if value > date.today():
            raise ValidationError(N_("A session is logged after it took place."))
