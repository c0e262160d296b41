"""marshmallow schemas for every form: the edge where typed values come in. One module per
family of forms: ``fields`` (our fields, validators and ``load``), ``requests``, ``pledges``,
``accounts``, ``inbox``; every name is imported here, so ``forms.X`` works for each.

Every message a form shows is catalog text: English marked ``N_`` here, translated where it
is shown (the ``messages`` filter in web/labels.py calls gettext on each). marshmallow's own
messages are not in our catalog, so the schemas are built from the fields and validators
in ``fields``: marshmallow's, with our catalog text as their default messages.

marshmallow writes values into its messages (str.format) before we see them, and a message
with a value in it is no longer a catalog entry. So no message goes through marshmallow with
a value: the defaults say what is wrong without one ("Not a valid integer.", "Choose one of
the options offered."), and a field whose limits a person needs to know says them in its own
whole sentence, numbers written in ("Write 10 to 3000 characters."), as translators see it.
The few messages with a value marshmallow does not know (which goal of the plan) are
translated where they are raised, with their values: forms are loaded in a request, in the
reader's language, and the filter's gettext leaves a translated sentence as it is.
"""

from web.forms.accounts import (
    EMAIL,
    PERSON_NAME,
    PRIVACY_NOTICE,
    RECOVERY_CODE,
    TOTP_CODE,
    AcceptInvitationSchema,
    AccountSchema,
    ApiTokenSchema,
    EmailSchema,
    InviteSchema,
    PasswordSchema,
    RecoveryCodeSchema,
    RegisterSchema,
    TotpCodeSchema,
)
from web.forms.fields import (
    EMPLOYEES,
    EUROS,
    INT32_MAX,
    INT64_MAX,
    NONCE,
    RELOAD,
    Boolean,
    Date,
    Email,
    Equal,
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
    load,
)
from web.forms.inbox import (
    AssignSchema,
    BulkApprovalSchema,
    InboxQuerySchema,
)
from web.forms.pledges import (
    PledgeSchema,
    ReportPeriodSchema,
    ReportSchema,
)
from web.forms.requests import (
    GOAL_TEXT,
    CountersignSchema,
    ExtendPlanSchema,
    FeedbackSchema,
    IntakeSchema,
    OfferChoiceSchema,
    OptionalReasonSchema,
    OverrideSchema,
    PauseSchema,
    PlanSchema,
    ReasonSchema,
    ResolveDisputeSchema,
    ScheduleSchema,
    SessionLogSchema,
    SignSchema,
    SurveySchema,
    VoidSchema,
    _plan_end,
    goal_outcome_schema,
)

__all__ = [
    "AcceptInvitationSchema",
    "AccountSchema",
    "ApiTokenSchema",
    "AssignSchema",
    "Boolean",
    "BulkApprovalSchema",
    "CountersignSchema",
    "Date",
    "EMAIL",
    "EMPLOYEES",
    "EUROS",
    "Email",
    "EmailSchema",
    "Equal",
    "ExtendPlanSchema",
    "FeedbackSchema",
    "Float",
    "FormSchema",
    "GOAL_TEXT",
    "INT32_MAX",
    "INT64_MAX",
    "InboxQuerySchema",
    "IntakeSchema",
    "Integer",
    "InviteSchema",
    "Length",
    "List",
    "NONCE",
    "NonceSchema",
    "OfferChoiceSchema",
    "OneOf",
    "OptionalReasonSchema",
    "OverrideSchema",
    "PERSON_NAME",
    "PRIVACY_NOTICE",
    "PasswordSchema",
    "PauseSchema",
    "PlanSchema",
    "PledgeSchema",
    "Predicate",
    "RECOVERY_CODE",
    "RELOAD",
    "Range",
    "ReasonSchema",
    "RecoveryCodeSchema",
    "Regexp",
    "RegisterSchema",
    "ReportPeriodSchema",
    "ReportSchema",
    "ResolveDisputeSchema",
    "ScheduleSchema",
    "SessionLogSchema",
    "SignSchema",
    "String",
    "SurveySchema",
    "TOTP_CODE",
    "Text",
    "Time",
    "TotpCodeSchema",
    "VoidSchema",
    "_plan_end",
    "goal_outcome_schema",
    "load",
]
