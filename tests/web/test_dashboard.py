"""The dashboard: each figure from the requests' stage visits, drawn as SVG, as CSV, and the
same number of queries however many requests there are."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from mentorship.rules.payloads import RankInput
from mentorship.rules.stages import Stage
from mentorship.services import intake, ranking, reservation
from mentorship.store.models import SupportRequest, User, utcnow
from scripted.journey import submit
from tests.web.conftest import login
from tests.web.test_inbox import statements


def walk(sessions: sessionmaker[Session], request_id: int, *stays: tuple[Stage, float]) -> None:
    """Move a request through stages, staying ``days`` in each, ending now."""
    total = sum(days for _, days in stays)
    at = utcnow() - timedelta(days=total)
    with sessions.begin() as session:
        request = session.get(SupportRequest, request_id)
        assert request is not None
        for stage, days in stays:
            intake.record_stage_change(session, request_id, stage, at)
            request.stage = stage
            at += timedelta(days=days)


def rows(client: FlaskClient, key: str) -> list[list[str]]:
    response = client.get(f"/dashboard/{key}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f'filename="digivol-{key}.csv"' in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_figures_follow_the_requests_and_download_as_csv(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    first, second, third = (submit(sessions, people["sme"]) for _ in range(3))
    submit(sessions, people["sme"])  # still waiting for its review
    for request_id, nda_days in ((first, 1), (second, 2), (third, 10)):
        walk(sessions, request_id, (Stage.MATCHING, 1), (Stage.NDA, nda_days), (Stage.SESSIONS, 0))
    walk(sessions, first, (Stage.COMPLETED, 0))
    with sessions.begin() as session:
        offers = ranking.rank_candidates(session, RankInput(first, 1, []))
        assert reservation.reserve_mentorship(session, offers[0].offer_id) is not None

    login(client, "coordinator@demo.eu")
    funnel = dict(rows(client, "funnel")[1:])
    assert (funnel["intake_review"], funnel["sessions"], funnel["completed"]) == ("1", "2", "1")
    assert rows(client, "time_in_stage")[0] == ["stage", "median_days", "stays"]
    nda = next(r for r in rows(client, "time_in_stage") if r[0] == "nda")
    assert nda == ["nda", "2.0", "3"]  # the median of 1, 2 and 10 days
    assert rows(client, "match_rate")[1:] == [["matched", "1"], ["not matched (yet)", "2"]]
    month = utcnow().strftime("%Y-%m")
    assert [month, "1"] in rows(client, "completions")
    nordvik = next(r for r in rows(client, "utilisation") if r[0] == "Nordvik Cloud")
    assert nordvik == ["Nordvik Cloud", "25.0", "1", "4"]  # Anna's mentorship of 2 + 2 places
    page = client.get("/dashboard").get_data(as_text=True)
    assert page.count("<svg") == 7 and "Median days in each stage" in page
    assert "33.3% of the 3 approved requests found a mentor." in page
    assert client.get("/dashboard/salaries.csv").status_code == 404


def test_the_dashboard_takes_the_same_number_of_queries_for_3_or_30_requests(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    login(client, "coordinator@demo.eu")
    for _ in range(3):
        walk(sessions, submit(sessions, people["sme"]), (Stage.MATCHING, 1), (Stage.NDA, 1))
    with statements(app) as few:
        assert client.get("/dashboard").status_code == 200
    for _ in range(27):
        walk(sessions, submit(sessions, people["sme"]), (Stage.MATCHING, 2), (Stage.SESSIONS, 1))
    with statements(app) as many:
        assert client.get("/dashboard").status_code == 200
    assert len(many) == len(few)
