"""What the views ask of the workflow service: web.temporal's gateway, or a test's fake."""

from __future__ import annotations

from typing import Any, Protocol


class Gateway(Protocol):
    """Plain blocking calls; ``web.temporal.TemporalGateway`` makes them over one Temporal
    client, and pure view tests pass a recording fake to ``create_app`` instead."""

    def start(self, request_id: int, sme_organisation_id: int, planned_sessions: int) -> None:
        """Start the request's workflow, or do nothing if it already runs."""

    def update(self, request_id: int, name: str, arg: Any, nonce: str) -> Any:
        """Send a person's step; raises Refused when the workflow does not accept it."""

    def push_pledge_entry(self, entry_id: int) -> None:
        """Send a pledge entry to the registry again."""

    def mentor_pool_changed(self, request_ids: list[int]) -> None:
        """Tell the requests waiting for a mentor that one joined."""

    def send_mail_now(self) -> None:
        """Wake the outbox to send what was just queued."""

    def start_round(self) -> str:
        """Start a matching round now; returns its workflow id."""

    def health(self) -> dict[str, str]:
        """Temporal's reachability and whether a worker polls the task queue."""
