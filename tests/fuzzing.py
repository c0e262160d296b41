"""How many examples the property-based tests try: a small budget in `make test`, a large one
by hand (``pytest --hypothesis-profile=thorough``, 20 times as many).

Each test asks for its share of its profile's budget with ``examples(weight)``, so one switch
scales every fuzzing test together and none outgrows the suite's time unnoticed."""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("ci", max_examples=100, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile("ci")  # the hypothesis plugin loads --hypothesis-profile after this


def examples(weight: float) -> int:
    """``weight`` times the loaded profile's budget of examples (at least one)."""
    return max(1, round(settings().max_examples * weight))
