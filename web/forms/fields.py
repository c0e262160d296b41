"""marshmallow's fields and validators with our catalog text as their default messages, the
form base schemas, and ``load``, which turns a submitted form into values or a FormInvalid."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    validate,
)
from werkzeug.datastructures import MultiDict

from mentorship.i18n import N_
from mentorship.rules import plaintext
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
    (mentorship.rules.plaintext), so none reaches an e-mail header, a CSV row or a document."""

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
