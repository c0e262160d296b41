"""marshmallow schemas for every form: the edge where typed values come in.

Every message a form shows is catalog text: English marked ``N_`` here, translated where it
is shown (the ``messages`` filter in web/labels.py calls gettext on each). marshmallow's own
messages are not in our catalog, so the schemas are built from the fields and validators
below: marshmallow's, with our catalog text as their default messages.

marshmallow writes values into its messages (str.format) before we see them, and a message
with a value in it is no longer a catalog entry. So no message goes through marshmallow with
a value: the defaults say what is wrong without one ("Not a valid integer.", "Choose one of
the options offered."), and a field whose limits a person needs to know says them in its own
whole sentence, numbers written in ("Write 10 to 3000 characters."), as translators see it.
The few messages with a value marshmallow does not know (which goal of the plan) are
translated where they are raised, with their values: forms are loaded in a request, in the
reader's language, and the filter's gettext leaves a translated sentence as it is.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext
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

from mentorship import inbox, intensity, plaintext, plans, pledges, two_step
from mentorship.agreements import AGREEMENT_LANGUAGES
from mentorship.calendar import EU_ZONES
from mentorship.i18n import N_
from mentorship.services import IntakeForm
from mentorship.signing import CONSENT_WORDINGS
from mentorship.stages import Stage
from mentorship.taxonomy import CHALLENGE_AREAS, LANGUAGES
from web.errors import FormInvalid

# marshmallow's default messages, value-free, as catalog text (its own English where it had
# no value in it).
_FIELD = {
    "required": N_("Missing data for required field."),
    "null": N_("Field may not be null."),
    "validator_failed": N_("Invalid value."),
}
_NUMBER = {**_FIELD, "invalid": N_("Not a valid number."), "too_large": N_("Number too large.")}
_NOT_A_DATE, _NOT_A_TIME = N_("Not a valid date."), N_("Not a valid time.")


class String(fields.String):
    """One line of text (a name, a title, a search): control characters are refused
    (mentorship.plaintext), so none reaches an e-mail header, a CSV row or a document."""

    default_error_messages = {
        **_FIELD,
        "invalid": N_("Not a valid string."),
        "invalid_utf8": N_("Not a valid utf-8 string."),
        "control": N_("Type plain text on one line, without control characters."),
    }
    allowed = staticmethod(plaintext.is_one_line)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not self.allowed(text):
            raise self.make_error("control")
        return text


class Text(String):
    """Text of several lines (a textarea): line breaks and tabs are kept, other control
    characters refused."""

    default_error_messages = {
        **String.default_error_messages,
        "control": N_("Type plain text, without control characters."),
    }
    allowed = staticmethod(plaintext.is_lines)


class Email(fields.Email):
    default_error_messages = {
        **String.default_error_messages,
        "invalid": N_("Not a valid email address."),
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        address = super()._deserialize(value, attr, data, **kwargs)
        if not plaintext.is_one_line(address):
            raise self.make_error("control")
        return address


# What a database column holds: an id or a count is an INTEGER, an amount a BIGINTEGER. A
# number beyond them is refused here, as a field message, before it reaches a query.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


class Integer(fields.Integer):
    """A whole number a database column can hold: within a 32-bit INTEGER, or, with
    ``big=True`` (amounts in euros), a 64-bit BIGINTEGER."""

    default_error_messages = {
        **_NUMBER,
        "invalid": N_("Not a valid integer."),
        "out_of_range": N_("The number is out of range."),
    }

    def __init__(self, *, big: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bound = INT64_MAX if big else INT32_MAX

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        number = super()._deserialize(value, attr, data, **kwargs)
        if not -self.bound - 1 <= number <= self.bound:
            raise self.make_error("out_of_range")
        return number


class Float(fields.Float):
    default_error_messages = {
        **_NUMBER,
        "special": N_("Special numeric values (nan or infinity) are not permitted."),
    }


class Boolean(fields.Boolean):
    default_error_messages = {**_FIELD, "invalid": N_("Not a valid boolean.")}


class Date(fields.Date):
    default_error_messages = {
        **_FIELD,
        "invalid": _NOT_A_DATE,
        "invalid_awareness": _NOT_A_DATE,
        "format": _NOT_A_DATE,
    }


class Time(fields.Time):
    default_error_messages = {
        **_FIELD,
        "invalid": _NOT_A_TIME,
        "invalid_awareness": _NOT_A_TIME,
        "format": _NOT_A_TIME,
    }


class List(fields.List):
    default_error_messages = {**_FIELD, "invalid": N_("Not a valid list.")}


class Length(validate.Length):
    message_min = N_("Too short.")
    message_max = N_("Too long.")
    message_all = N_("Too short or too long.")
    message_equal = N_("Not the expected length.")


class Range(validate.Range):
    message_min = N_("The number is too small.")
    message_max = N_("The number is too large.")
    message_all = N_("The number is out of range.")


class OneOf(validate.OneOf):
    default_message = N_("Choose one of the options offered.")


class Regexp(validate.Regexp):
    default_message = N_("String does not match expected pattern.")


class Equal(validate.Equal):
    default_message = N_("Not the expected value.")


class Predicate(validate.Predicate):
    default_message = N_("Invalid input.")


class FormSchema(Schema):
    """Every form's schema: fields it does not know are left out; messages from our catalog."""

    class Meta:
        unknown = EXCLUDE

    error_messages = {"type": N_("Invalid input type."), "unknown": N_("Unknown field.")}


# A form's one-time id, in a hidden field: wrong or missing only if the page is stale.
RELOAD = N_("Reload the page and submit the form again.")
EMPLOYEES = N_("Count 0 to 10,000,000 employees.")
EUROS = N_("Give an amount in euros, 0 or more.")
NONCE = String(
    required=True,
    validate=Regexp(r"^[0-9a-f]{32}$", error=RELOAD),
    error_messages={"required": RELOAD},
)


class NonceSchema(FormSchema):
    nonce = NONCE


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


class PledgeSchema(FormSchema):
    """A company's pledge as the Coalition records it, with the initiative's targets."""

    title = String(
        required=True, validate=Length(min=3, max=200, error=N_("Title: 3 to 200 characters."))
    )
    description = Text(
        required=True,
        validate=Length(min=20, max=5000, error=N_("Describe it in 20 to 5000 characters.")),
    )
    pillars = List(
        String(validate=OneOf(list(pledges.PILLARS))),
        required=True,
        validate=Length(min=1, error=N_("Choose at least one pillar.")),
    )
    countries = List(
        String(validate=OneOf(sorted(EU_ZONES))),
        required=True,
        validate=Length(min=1, error=N_("Choose at least one country.")),
    )
    starts_on = Date(
        required=True, error_messages={"invalid": N_("Give the start date as YYYY-MM-DD.")}
    )
    ends_on = Date(
        load_default=None,
        allow_none=True,
        error_messages={"invalid": N_("Give the end date as YYYY-MM-DD.")},
    )
    public_funding = Boolean(
        load_default=False, truthy={"on", "yes", "true", "1"}, falsy={"", "off", "no", "0"}
    )
    target_smes_supported = Integer(
        required=True, validate=Range(min=1, max=100_000, error=N_("1 to 100,000 SMEs."))
    )
    target_mentor_hours = Float(
        required=True, validate=Range(min=1, max=1_000_000, error=N_("1 to 1,000,000 hours."))
    )
    target_employees_upskilled = Integer(
        required=True,
        validate=Range(min=1, max=1_000_000, error=N_("1 to 1,000,000 employees.")),
    )

    @pre_load
    def blank_end(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("ends_on") == "":
            data = {**data, "ends_on": None}
        return data

    @validates_schema
    def ends_after_start(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError(N_("The pledge ends after it starts."), "ends_on")

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


class ReportPeriodSchema(FormSchema):
    period_start = Date(
        required=True, error_messages={"invalid": N_("Give the start as YYYY-MM-DD.")}
    )
    period_end = Date(required=True, error_messages={"invalid": N_("Give the end as YYYY-MM-DD.")})

    @validates_schema
    def in_order(self, data: dict[str, Any], **_: Any) -> None:
        if data["period_end"] < data["period_start"]:
            raise ValidationError(N_("The period ends after it starts."), "period_end")
        if data["period_end"] > date.today():
            raise ValidationError(N_("Report on a period that is over."), "period_end")


class ReportSchema(ReportPeriodSchema):
    narrative = Text(
        required=True,
        validate=Length(
            min=20, max=5000, error=N_("Describe the period in 20 to 5000 characters.")
        ),
    )


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


EMAIL = Email(
    required=True,
    validate=Length(max=254, error=N_("Enter an e-mail address of at most 254 characters.")),
    error_messages={"invalid": N_("Enter an e-mail address.")},
)
PERSON_NAME = String(
    required=True,
    validate=Length(min=2, max=200, error=N_("Enter a name of 2 to 200 characters.")),
)


class AccountSchema(FormSchema):
    """The forms of a person's account."""


class EmailSchema(AccountSchema):
    email = EMAIL

    @post_load
    def lower(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "email": data["email"].strip().lower()}


class PasswordSchema(AccountSchema):
    password = String(
        required=True,
        validate=Length(max=200, error=N_("Choose a password of at most 200 characters.")),
    )
    confirm = String(required=True)

    @validates_schema
    def same(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("password") != data.get("confirm"):
            raise ValidationError(N_("The two passwords differ."), "confirm")


PRIVACY_NOTICE = N_("Read and accept the privacy notice to register.")


class RegisterSchema(PasswordSchema, EmailSchema):
    kind = String(
        required=True,
        validate=OneOf(["sme", "company"], error=N_("Choose an SME or a mentoring company.")),
    )
    organisation = String(
        required=True,
        validate=Length(min=2, max=200, error=N_("Enter the organisation's name.")),
    )
    country = String(
        required=True, validate=OneOf(list(EU_ZONES), error=N_("Choose an EU country."))
    )
    nace = String(
        required=True,
        validate=Regexp(
            r"^[A-U][0-9]{0,2}(\.[0-9]{1,2})?$", error=N_("Enter a NACE code, e.g. C10.71.")
        ),
    )
    employees = Integer(required=True, validate=Range(min=0, max=10_000_000, error=EMPLOYEES))
    turnover_eur = Integer(big=True, required=True, validate=Range(min=0, error=EUROS))
    balance_sheet_eur = Integer(big=True, required=True, validate=Range(min=0, error=EUROS))
    name = PERSON_NAME
    privacy = Boolean(
        required=True,
        validate=Equal(True, error=PRIVACY_NOTICE),
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
    role = String(
        required=True,
        validate=OneOf(
            ["coordinator", "mentor", "company_admin"], error=N_("Choose whom you invite.")
        ),
    )


class AcceptInvitationSchema(PasswordSchema):
    expertise = List(String(validate=OneOf(list(CHALLENGE_AREAS))))
    languages = List(String(validate=OneOf(list(LANGUAGES))))
    capacity = Integer(
        load_default=1,
        validate=Range(min=1, max=5, error=N_("Take on 1 to 5 mentorships at a time.")),
    )


TOTP_CODE = N_("Enter the 6 digits your app shows.")


class TotpCodeSchema(AccountSchema):
    """A code from an authenticator app: six digits, a space between the threes allowed."""

    code = String(
        required=True,
        validate=Regexp(r"^\s*[0-9]{3} ?[0-9]{3}\s*$", error=TOTP_CODE),
        error_messages={"required": TOTP_CODE},
    )


RECOVERY_CODE = N_("Enter a recovery code as printed: 16 letters and digits.")


class RecoveryCodeSchema(AccountSchema):
    """One of the recovery codes shown when two-step login was turned on."""

    recovery_code = String(required=True, error_messages={"required": RECOVERY_CODE})

    @validates("recovery_code")
    def as_printed(self, value: str, **_: Any) -> None:
        code = two_step.normalised_recovery_code(value)
        if len(code) != two_step.RECOVERY_LENGTH or not (code.isascii() and code.isalnum()):
            raise ValidationError(RECOVERY_CODE)


class ApiTokenSchema(AccountSchema):
    name = String(
        load_default="",
        validate=Length(max=100, error=N_("Name the token in at most 100 characters.")),
    )


class InboxQuerySchema(FormSchema):
    """The inbox's filters, from the query string; a bad one is a 422 naming it."""

    stage = String(load_default="", validate=OneOf(["", *Stage]))
    country = String(
        load_default="", validate=OneOf(["", *EU_ZONES], error=N_("Choose an EU country."))
    )
    company_id = Integer(load_default=None, allow_none=True)
    overdue = Boolean(load_default=False)
    mine = Boolean(load_default=False)
    q = String(
        load_default="", validate=Length(max=100, error=N_("Search with at most 100 characters."))
    )
    sort = String(load_default="priority", validate=OneOf(inbox.SORTS))
    page = Integer(load_default=1, validate=Range(min=1, max=100_000))

    @pre_load
    def blanks(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        # An empty select or box sends "": the same as not filtering.
        return {k: v for k, v in data.items() if v != "" or k in ("stage", "country", "q")}


class AssignSchema(FormSchema):
    assignee_id = Integer(required=True, error_messages={"required": N_("Choose a coordinator.")})


class BulkApprovalSchema(NonceSchema):
    request_ids = List(
        Integer(),
        required=True,
        validate=Length(min=1, max=inbox.PAGE_SIZE, error=N_("Tick the intakes to approve.")),
    )
