"""Before the agreement is signed, a mentor reads only a summary of the SME's request."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from mentorship.rules.payloads import RankInput
from mentorship.rules.stages import OfferStatus
from mentorship.services import ranking
from mentorship.store.db import transaction
from mentorship.store.models import MatchOffer, User
from scripted.journey import submit
from tests.web.conftest import csrf, login


def test_an_offered_mentor_sees_country_sector_and_areas_but_no_names(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    request_id = submit(sessions, people["sme"])
    with transaction(sessions) as session:
        offers = ranking.rank_candidates(session, RankInput(request_id, 1, []))
        offer = session.get(MatchOffer, offers[0].offer_id)
        assert offer is not None and offer.mentor_id == people["mentor"].id
        offer.status = OfferStatus.APPROVED  # the coordinator approved Anna: she decides
    login(client, "mentor@demo.eu")
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "An SME in IT" in page and "E-commerce" in page
    sme = people["sme"].organisation
    assert sme is not None
    for secret in ("Panificio", "Giulia", f"{sme.employees} employees", "sell our bread online"):
        assert secret not in page, secret
    assert "by the SME" in page  # the timeline names nobody from the SME
    client.post("/logout", data={"csrf_token": csrf(client, "/mentor")})
    login(client, "sme@demo.eu")
    own = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Panificio Rossi" in own and "sell our bread online" in own
    assert f"{sme.employees} employees" in own
