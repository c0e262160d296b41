"""A company's pledge and its reports."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import (
    ValidationError,
    post_load,
    pre_load,
    validates_schema,
)

from mentorship.adapters.calendar import EU_ZONES
from mentorship.i18n import N_
from mentorship.services import pledges
from web.forms.fields import (
    Boolean,
    Date,
    Float,
    FormSchema,
    Integer,
    Length,
    List,
    OneOf,
    Range,
    String,
    Text,
)


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
