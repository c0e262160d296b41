"""Activities of MentorshipWorkflow; each write is idempotent because retries happen."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from mentorship.adapters.agreements import (
    render_agreement_safely,
    render_certificate_safely,
    render_participation_pdf,
    sha256_hex,
)
from mentorship.errors import NotFound
from mentorship.rules.matching import DEFAULT_WEIGHTS, Weights
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
from mentorship.rules.stages import workflow_id
from mentorship.services import (
    checkpoints,
    completion,
    evidence,
    intake,
    pledges,
    projection,
    ranking,
    reservation,
    signing,
)
from mentorship.store.db import transaction
from mentorship.store.models import utcnow

if TYPE_CHECKING:
    from mentorship.adapters.sandbox import BoundedPool
    from mentorship.adapters.seal_identity import SealIdentity

T = TypeVar("T")

# The long activities (rendering, sealing) heartbeat this often from a helper thread, and the
# workflow gives them a heartbeat timeout: a worker that dies mid-render is noticed in seconds,
# not after the start-to-close timeout, and the render is retried on another.
HEARTBEAT_EVERY = 2.0


@contextmanager
def heartbeating(every: float = HEARTBEAT_EVERY) -> Iterator[None]:
    """Heartbeat while the block runs (a sync activity blocks its own thread on the work)."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            activity.heartbeat()

    # The copied context carries the activity's, so the helper thread may heartbeat for it.
    helper = threading.Thread(target=contextvars.copy_context().run, args=(beat,), daemon=True)
    helper.start()
    try:
        yield
    finally:
        stop.set()
        helper.join()


def heartbeats(fn: Callable[..., T]) -> Callable[..., T]:
    """An activity that heartbeats all the while it runs. A cancellation (Temporal raises it
    into the activity's thread) takes effect when the activity returns: never inside the
    render pool's hand-over of a worker, where it could cost the pool that worker."""

    @functools.wraps(fn)
    def run(*args: object, **kwargs: object) -> T:
        with heartbeating(), activity.shield_thread_cancel_exception():
            return fn(*args, **kwargs)

    return run


SEAL_REASON = "Signed by all parties on the Digital Volunteers platform; sealed as evidence"


class MentorshipActivities:
    """Holds the session factory and a client; the worker registers the bound methods."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        client: Client,
        weights: Weights = DEFAULT_WEIGHTS,
        *,
        seal_identity: SealIdentity,
        render_pool: BoundedPool,
    ) -> None:
        self._sessions = session_factory
        self._client = client
        self._weights = weights  # configuration: activities may read it, workflows may not
        self._seal_identity = seal_identity
        self._render_pool = render_pool  # WeasyPrint runs bounded in time and memory

    def _write(self, use_case: Callable[[Session], T]) -> T:
        """Run a use case in one transaction; a missing row fails for good, not retried."""
        try:
            with transaction(self._sessions) as session:
                return use_case(session)
        except NotFound as exc:
            raise _not_retryable(exc) from exc

    @activity.defn
    def apply_step(self, step: StepInput) -> StepResult:
        return self._write(lambda session: projection.apply_step(session, step, self._weights))

    @activity.defn
    def reserve_mentorship(self, offer_id: int) -> int | None:
        return self._write(lambda session: reservation.reserve_mentorship(session, offer_id))

    @activity.defn
    def rank_mentors(self, inp: RankInput) -> list[RankedOffer]:
        return self._write(lambda session: ranking.rank_candidates(session, inp, self._weights))

    @activity.defn
    @heartbeats
    def render_agreement(self, inp: RenderInput) -> RenderResult:
        # Read, render, then write: no transaction is held open while WeasyPrint works.
        try:
            with transaction(self._sessions) as session:
                signers = signing.signer_slots(session, inp.mentorship_id)
                existing = signing.find_agreement(session, inp.mentorship_id, inp.attempt)
                if existing is not None:
                    roles = existing.signer_roles
                    kept = [s for s in signers if s.role in roles]
                    return RenderResult(existing.id, existing.sha256, kept)
                context = signing.agreement_context(session, inp, signers)
            pdf = render_agreement_safely(context, self._render_pool)
            with transaction(self._sessions) as session:
                agreement = signing.store_agreement(
                    session, inp, pdf, sha256_hex(pdf), signers, context.second_language
                )
                return RenderResult(agreement.id, agreement.sha256, signers)
        except NotFound as exc:
            raise _not_retryable(exc) from exc

    @activity.defn
    @heartbeats
    def seal_agreement(self, agreement_id: int) -> SealResult:
        """Append the signature certificate page and the audit chain's signed head, and seal
        the whole file (PAdES)."""
        # lazy: pyHanko loads where a seal is made; the web imports this module (through
        # the workflow definition) and never seals.
        from mentorship.adapters.seal import append_pages, seal_pdf
        from mentorship.services.audit_pdf import embed_signed_head

        try:
            with transaction(self._sessions) as session:
                agreement = signing.get_agreement(session, agreement_id)
                if agreement.sealed_sha256 is not None:
                    return SealResult(agreement.sealed_sha256)
                context = evidence.certificate_context(session, agreement)
                signed_pdf = agreement.pdf
            certificate = render_certificate_safely(context, self._render_pool)
            unsealed = append_pages(signed_pdf, certificate)
            # Committed before sealing, not with the seal: the checkpoint's number is part of
            # what is signed and embedded, and no transaction is held open while pyHanko
            # works. A retry after a failed store reuses it unless the head moved meanwhile.
            with transaction(self._sessions) as session:
                checkpoint = checkpoints.checkpoint(session, self._seal_identity, utcnow())
                signed_head = checkpoints.SignedHead.of(checkpoint) if checkpoint else None
            if signed_head is not None:
                unsealed = embed_signed_head(unsealed, signed_head)
            sealed = seal_pdf(
                unsealed,
                self._seal_identity,
                reason=SEAL_REASON,
                location="Digital Volunteers platform",
            )
            with transaction(self._sessions) as session:
                stored = evidence.store_seal(
                    session,
                    agreement_id,
                    sealed,
                    sha256_hex(sealed),
                    self._seal_identity.fingerprint,
                )
                assert stored.sealed_sha256 is not None
                return SealResult(stored.sealed_sha256)
        except NotFound as exc:
            raise _not_retryable(exc) from exc

    @activity.defn
    @heartbeats
    def issue_certificates(self, mentorship_id: int) -> int:
        """Certificates of participation for the SME and the mentor; returns how many."""
        with transaction(self._sessions) as session:
            contexts = completion.participation_contexts(session, mentorship_id)
            missing = {
                role: context
                for role, context in contexts.items()
                if completion.find_certificate(session, mentorship_id, role) is None
            }
        rendered = {
            role: self._render_pool.call(render_participation_pdf, context)
            for role, context in missing.items()
        }
        with transaction(self._sessions) as session:  # both appear together
            for role, pdf in rendered.items():
                completion.store_certificate(session, mentorship_id, role, pdf)
        return len(contexts)

    @activity.defn
    def record_pledge_entry(self, inp: PledgeInput) -> PledgeResult:
        def record(session: Session) -> PledgeResult:
            entry = pledges.record_pledge_entry(session, inp.mentorship_id)
            return PledgeResult(entry.id, entry.mentor_hours)

        return self._write(record)

    @activity.defn
    async def announce_mentor_pool_changed(self) -> int:
        """Tell every request waiting for a mentor that capacity was freed."""

        def waiting() -> list[int]:
            with transaction(self._sessions) as session:
                return intake.waiting_request_ids(session)

        request_ids = await asyncio.to_thread(waiting)
        for request_id in request_ids:
            handle = self._client.get_workflow_handle(workflow_id(request_id))
            try:
                await handle.signal("mentor_pool_changed")
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:  # closed meanwhile: nothing to tell
                    raise
        return len(request_ids)


def _not_retryable(exc: NotFound) -> ApplicationError:
    """A missing row will not appear by retrying: fail the activity for good."""
    return ApplicationError(str(exc), type="NotFound", non_retryable=True)
