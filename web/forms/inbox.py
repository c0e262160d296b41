"""The coordinator's inbox: its filters, claims and bulk approvals."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    pre_load,
)

from mentorship.adapters.calendar import EU_ZONES
from mentorship.i18n import N_
from mentorship.rules.stages import Stage
from mentorship.services import inbox
from web.forms.fields import (
    Boolean,
    FormSchema,
    Integer,
    Length,
    List,
    NonceSchema,
    OneOf,
    Range,
    String,
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
