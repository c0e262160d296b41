"""Activities of MatchingRoundWorkflow: plan the round, then tell each request its mentor."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from mentorship.rules.matching import DEFAULT_WEIGHTS, Weights
from mentorship.rules.payloads import RoundInput, RoundProposal
from mentorship.rules.stages import workflow_id
from mentorship.services import ranking
from mentorship.store.db import transaction


class MatchingActivities:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        client: Client,
        weights: Weights = DEFAULT_WEIGHTS,
    ) -> None:
        self._sessions = session_factory
        self._client = client
        self._weights = weights

    @activity.defn
    def plan_matching_round(self, inp: RoundInput) -> list[RoundProposal]:
        """Solve the round; it writes nothing, so a retry simply plans again."""
        with transaction(self._sessions) as session:
            return ranking.plan_round(session, inp.top_k, self._weights)

    @activity.defn
    async def send_round_proposals(self, proposals: list[RoundProposal]) -> int:
        """Signal each waiting request its proposed mentor; returns how many were told."""
        told = 0
        for proposal in proposals:
            handle = self._client.get_workflow_handle(workflow_id(proposal.request_id))
            try:
                await handle.signal("propose_mentor", proposal.mentor_id)
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:  # closed meanwhile: nobody to tell
                    raise
                continue
            told += 1
            activity.heartbeat(told)
        return told
