"""Registration, invitations, passwords, two-step login codes and API tokens."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    ValidationError,
    post_load,
    pre_load,
    validates,
    validates_schema,
)

from mentorship.adapters.calendar import EU_ZONES
from mentorship.i18n import N_
from mentorship.rules.taxonomy import CHALLENGE_AREAS, LANGUAGES
from mentorship.services import two_step
from web.forms.fields import (
    EMPLOYEES,
    EUROS,
    Boolean,
    Email,
    Equal,
    FormSchema,
    Integer,
    Length,
    List,
    OneOf,
    Range,
    Regexp,
    String,
)

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
