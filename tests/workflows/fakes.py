"""Same-named fake activities, so orchestration tests need no database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from temporalio import activity

from mentorship.rules.payloads import (
    PledgeInput,
    PledgeResult,
    RankedOffer,
    RankInput,
    RenderInput,
    RenderResult,
    SealResult,
    StepInput,
    StepResult,
)
from mentorship.rules.stages import Role
from mentorship.rules.state import SignerSlot

SHA = "5" * 64


@dataclass
class FakeActivities:
    """Records every step; offers per matching round come from ``rounds``."""

    rounds: dict[int, list[RankedOffer]] = field(default_factory=dict)
    steps: list[StepInput] = field(default_factory=list)
    renders: list[RenderInput] = field(default_factory=list)
    ranks: list[RankInput] = field(default_factory=list)
    full_mentors: set[int] = field(default_factory=set)  # offers to these find no room
    countersigning_company: int | None = None  # its admin signs third
    sme_organisation_id: int = 3
    seals: list[int] = field(default_factory=list)
    certificates: list[int] = field(default_factory=list)
    announcements: int = 0
    pushed: list[int] = field(default_factory=list)  # pledge entries sent to the registry
    # A step that ranks and proposes (the intake approval's) sets this once written, then
    # waits for ``release_proposal`` if one is given: the database shows the candidates, the
    # workflow does not know them yet.
    proposal_written: threading.Event = field(default_factory=threading.Event)
    release_proposal: threading.Event | None = None

    def mentor_of_offer(self, offer_id: int) -> int:
        return next(o.mentor_id for r in self.rounds.values() for o in r if o.offer_id == offer_id)

    def effects(self) -> list[str]:
        return [s.effect.value for s in self.steps]

    def all(self) -> list[Callable[..., Any]]:
        def rank(inp: RankInput) -> list[RankedOffer]:
            self.ranks.append(inp)
            return [
                o
                for o in self.rounds.get(inp.round, [])
                if o.mentor_id not in inp.excluded_mentor_ids
            ]

        @activity.defn(name="apply_step")
        def apply_step(step: StepInput) -> StepResult:
            self.steps.append(step)
            if step.proposal is None:
                return StepResult(mentorship_id=step.mentorship_id)
            ranked = rank(step.proposal.rank)
            if ranked:
                self.steps.append(step.proposal.step(step))
            self.proposal_written.set()
            if self.release_proposal is not None:
                self.release_proposal.wait(30)
            return StepResult(mentorship_id=step.mentorship_id, ranked=ranked)

        @activity.defn(name="reserve_mentorship")
        def reserve_mentorship(offer_id: int) -> int | None:
            mentor = self.mentor_of_offer(offer_id)
            return None if mentor in self.full_mentors else 500 + offer_id

        @activity.defn(name="rank_mentors")
        def rank_mentors(inp: RankInput) -> list[RankedOffer]:
            return rank(inp)

        @activity.defn(name="render_agreement")
        def render_agreement(inp: RenderInput) -> RenderResult:
            self.renders.append(inp)
            signers = [
                SignerSlot(Role.SME, organisation_id=self.sme_organisation_id),
                SignerSlot(Role.MENTOR, user_id=self.mentor_of_offer(inp.mentorship_id - 500)),
            ]
            if self.countersigning_company is not None:
                signers.append(
                    SignerSlot(Role.COMPANY_ADMIN, organisation_id=self.countersigning_company)
                )
            return RenderResult(agreement_id=700 + inp.attempt, sha256=SHA, signers=signers)

        @activity.defn(name="seal_agreement")
        def seal_agreement(agreement_id: int) -> SealResult:
            self.seals.append(agreement_id)
            return SealResult(sealed_sha256="e" * 64)

        @activity.defn(name="issue_certificates")
        def issue_certificates(mentorship_id: int) -> int:
            self.certificates.append(mentorship_id)
            return 2

        @activity.defn(name="record_pledge_entry")
        def record_pledge_entry(inp: PledgeInput) -> PledgeResult:
            return PledgeResult(pledge_entry_id=900, hours=3.0)

        @activity.defn(name="push_pledge_entry")
        def push_pledge_entry(entry_id: int) -> str:
            self.pushed.append(entry_id)
            return "synced"

        @activity.defn(name="announce_mentor_pool_changed")
        def announce_mentor_pool_changed() -> int:
            self.announcements += 1
            return 0

        return [
            apply_step,
            reserve_mentorship,
            rank_mentors,
            render_agreement,
            seal_agreement,
            issue_certificates,
            record_pledge_entry,
            push_pledge_entry,
            announce_mentor_pool_changed,
        ]
