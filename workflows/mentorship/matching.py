"""The steps people take from intake to a signed agreement: approving or rejecting the
intake, approving a match or overriding a conflict, answering an offer, signing, declining
or voiding the agreement."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.mentorship import MentorshipActivities
    from mentorship.rules import guards
    from mentorship.rules.choices import (
        AgreementDecision,
        Decision,
        OfferChoice,
        OverrideChoice,
        SignatureRef,
    )
    from mentorship.rules.stages import Effect, OfferStatus, Stage, Update
    from mentorship.rules.state import AgreementOutcome
    from mentorship.rules.subjects import Ref

from workflows.mentorship.core import (
    RETRY,
    MentorshipCore,
    refusals,
    refuse,
)


class MatchingSteps(MentorshipCore):
    """Updates from intake to a signed agreement; each validator asks mentorship.rules."""

    @workflow.update(name=Update.APPROVE_INTAKE)
    async def approve_intake(self, cmd: Decision) -> None:
        self._check_intake(cmd)
        self._move(Stage.MATCHING)
        # The step ranks the first round and proposes its candidates in the same activity
        # and transaction (payloads.Proposal): the coordinator's task to approve a candidate is
        # in the database before the workflow knows the offers, so an update about the offers
        # waits for the step (ranking_in_step) instead of refusing them.
        self.s.ranking_in_step = True
        rank = self._next_round()
        result = await self._step(Effect.INTAKE_APPROVED, actor=cmd.actor, rank=rank)
        self._take(result.ranked)
        self.s.ranking_in_step = False

    @approve_intake.validator
    def _check_intake(self, cmd: Decision) -> None:
        with refusals():
            guards.check_intake(self.s, cmd)

    @workflow.update(name=Update.REJECT_INTAKE)
    async def reject_intake(self, cmd: Decision) -> None:
        self._check_rejection(cmd)
        self._move(Stage.REJECTED)
        await self._step(Effect.INTAKE_REJECTED, actor=cmd.actor, reason_id=cmd.reason_id)

    @reject_intake.validator
    def _check_rejection(self, cmd: Decision) -> None:
        with refusals():
            guards.check_rejection(self.s, cmd)

    @workflow.update(name=Update.APPROVE_MATCH)
    async def approve_match(self, cmd: OfferChoice) -> None:
        await self._ranked()
        self._check_match_approval(cmd)
        self._offer(cmd.offer_id).status = OfferStatus.APPROVED
        self.s.match_approved_by = cmd.actor.user_id  # another approves the completion
        await self._step(Effect.OFFER_APPROVED, actor=cmd.actor, subject=Ref.offer(cmd.offer_id))

    @approve_match.validator
    def _check_match_approval(self, cmd: OfferChoice) -> None:
        with refusals():
            guards.check_match_approval(self.s, cmd)

    @workflow.update(name=Update.OVERRIDE_CONFLICT)
    async def override_conflict(self, cmd: OverrideChoice) -> None:
        await self._ranked()
        self._check_override(cmd)
        self.s.conflict_overrides.append(cmd.mentor_id)
        self.s.round_mentor_ids.append(cmd.mentor_id)  # ranked first when still feasible
        if self.s.stage == Stage.AWAITING_MENTORS:
            self.s.pool_changed = True
        else:
            self.s.rerank = True
        await self._step(
            Effect.CONFLICT_OVERRIDDEN,
            actor=cmd.actor,
            subject=Ref.mentor(cmd.mentor_id),
            reason_id=cmd.reason_id,
        )

    @override_conflict.validator
    def _check_override(self, cmd: OverrideChoice) -> None:
        with refusals():
            guards.check_override(self.s, cmd)

    @workflow.update(name=Update.ACCEPT_OFFER)
    async def accept_offer(self, cmd: OfferChoice) -> None:
        self._check_answer(cmd)
        offer = self._offer(cmd.offer_id)
        # Taken before the first await, so a second answer to this offer is refused.
        offer.status = OfferStatus.ACCEPTED
        mentorship_id = await workflow.execute_activity_method(
            MentorshipActivities.reserve_mentorship,
            cmd.offer_id,
            start_to_close_timeout=self._short_timeout(),
            retry_policy=RETRY,
        )
        if mentorship_id is None:  # took another mentorship meanwhile: no room for this one
            offer.status = OfferStatus.DECLINED
            self.s.excluded_mentor_ids.append(offer.mentor_id)
            await self._step(Effect.MENTOR_FULL, actor=cmd.actor, subject=Ref.offer(cmd.offer_id))
            raise refuse(
                "You have no room left for another mentorship; the coordinator will "
                "propose someone else."
            )
        for other in self.s.offers:
            if other is not offer:
                other.status = OfferStatus.WITHDRAWN
        self.s.mentor_id, self.s.mentorship_id = offer.mentor_id, mentorship_id
        self._move(Stage.NDA)
        await self._step(Effect.OFFER_ACCEPTED, actor=cmd.actor, subject=Ref.offer(cmd.offer_id))

    @workflow.update(name=Update.DECLINE_OFFER)
    async def decline_offer(self, cmd: OfferChoice) -> None:
        self._check_answer(cmd)
        offer = self._offer(cmd.offer_id)
        offer.status = OfferStatus.DECLINED
        self.s.excluded_mentor_ids.append(offer.mentor_id)
        await self._step(
            Effect.OFFER_DECLINED,
            actor=cmd.actor,
            subject=Ref.offer(offer.offer_id),
            reason_id=cmd.reason_id,
        )

    @accept_offer.validator
    def _check_answer(self, cmd: OfferChoice) -> None:
        with refusals():
            guards.check_answer(self.s, cmd)

    @decline_offer.validator
    def _check_decline(self, cmd: OfferChoice) -> None:
        self._check_answer(cmd)

    @workflow.update(name=Update.SIGN)
    async def sign(self, cmd: SignatureRef) -> None:
        self._check_signature(cmd)
        agreement = self._open_agreement(cmd.agreement_id)
        agreement.signed_by.append(cmd.actor.role)
        if guards.next_signer(agreement.signers, agreement.signed_by) is None:
            agreement.outcome = AgreementOutcome.SIGNED
        await self._step(
            Effect.AGREEMENT_SIGNED, actor=cmd.actor, subject=Ref.signature(cmd.signature_id)
        )

    @sign.validator
    def _check_signature(self, cmd: SignatureRef) -> None:
        with refusals():
            guards.check_signature(self.s, cmd)

    @workflow.update(name=Update.DECLINE_AGREEMENT)
    async def decline_agreement(self, cmd: AgreementDecision) -> None:
        self._check_agreement_decline(cmd)
        agreement = self._open_agreement(cmd.agreement_id)
        agreement.outcome = AgreementOutcome.DECLINED
        mentorship_id = self._release_mentor()
        await self._step(
            Effect.AGREEMENT_DECLINED,
            actor=cmd.actor,
            subject=Ref.agreement(agreement.agreement_id),
            reason_id=cmd.reason_id,
            mentorship_id=mentorship_id,
        )

    @decline_agreement.validator
    def _check_agreement_decline(self, cmd: AgreementDecision) -> None:
        with refusals():
            guards.check_agreement_decline(self.s, cmd)

    @workflow.update(name=Update.VOID_AGREEMENT)
    async def void_agreement(self, cmd: AgreementDecision) -> None:
        self._check_void(cmd)
        agreement = self._open_agreement(cmd.agreement_id)
        agreement.outcome = AgreementOutcome.VOIDED
        mentorship_id = self._release_mentor() if cmd.rematch else self.s.mentorship_id
        await self._step(
            Effect.AGREEMENT_VOIDED,
            actor=cmd.actor,
            subject=Ref.agreement(agreement.agreement_id),
            reason_id=cmd.reason_id,
            mentorship_id=mentorship_id,
        )

    @void_agreement.validator
    def _check_void(self, cmd: AgreementDecision) -> None:
        with refusals():
            guards.check_void(self.s, cmd)
