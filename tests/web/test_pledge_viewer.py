"""The Pledge Viewer: progress against targets, totals, exports, and a pledge's approval."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mentorship.read_models import dashboard
from mentorship.rules.payloads import RankInput
from mentorship.rules.stages import SessionStatus
from mentorship.services import pledges, ranking, reservation
from mentorship.store.db import transaction
from mentorship.store.models import Organisation, Pledge, PledgeReport, SessionLog, User
from scripted.journey import submit
from tests.web.conftest import csrf, login
from web.csvfile import FORMULA_START


def _completed(sessions: sessionmaker[Session], sme: User, hours: list[float], people: int) -> None:
    """A mentorship with confirmed sessions, and the pledge entry its completion records."""
    request_id = submit(sessions, sme)
    with transaction(sessions) as session:
        offers = ranking.rank_candidates(session, RankInput(request_id, 1, []))
        reserved = (reservation.reserve_mentorship(session, o.offer_id) for o in offers)
        mentorship_id = next(m for m in reserved if m is not None)
        for n, h in enumerate(hours):
            session.add(
                SessionLog(
                    nonce=f"log-{request_id}-{n}",
                    mentorship_id=mentorship_id,
                    logged_by=sme.id,
                    held_on=date(2026, 11, 1),
                    hours=h,
                    topics="Shop",
                    participants=people,
                    status=SessionStatus.CONFIRMED,
                )
            )
        session.flush()
        pledges.record_pledge_entry(session, mentorship_id)


def test_the_viewer_totals_are_the_sums_of_the_entries(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    _completed(sessions, people["sme"], [1.5, 2.0], 3)
    _completed(sessions, people["sme"], [4.0], 6)
    exported = client.get("/pledges/export/pledges.json").get_json()["pledges"]
    entries = client.get("/pledges/export/entries.json").get_json()["entries"]
    assert len(entries) == 2
    for key in ("smes_supported", "mentor_hours", "employees_upskilled"):
        assert sum(p[f"{key}_achieved"] for p in exported) == sum(e[key] for e in entries)
    assert sum(e["mentor_hours"] for e in entries) == 7.5
    nordvik = next(p for p in exported if p["organisation"] == "Nordvik Cloud")
    assert (nordvik["smes_supported_achieved"], nordvik["smes_supported_target"]) == (2.0, 5.0)
    page = client.get("/pledges").get_data(as_text=True)
    assert 'aria-label="SMEs supported: 2 of 5"' in page
    assert "Digital skills for the labour force" in page  # the per-pillar totals
    body = client.get("/pledges/export/entries.csv")
    assert body.headers["Content-Disposition"] == 'attachment; filename="digivol-entries.csv"'
    rows = list(csv.DictReader(io.StringIO(body.get_data(as_text=True))))
    assert sorted(float(r["mentor_hours"]) for r in rows) == [3.5, 4.0]


def test_a_company_admin_edits_and_submits_the_pledge_and_a_coordinator_approves_it(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "admin@demo.eu")
    page = client.get("/company/pledge").get_data(as_text=True)
    assert "<title>Our pledge · Digital Volunteers</title>" in page
    assert page.count("Prepare the report") == 1
    token = csrf(client, "/company/pledge")
    form = {
        "csrf_token": token,
        "title": "Nordvik Cloud mentors SMEs",
        "description": "Our cloud engineers mentor small firms in the Nordics.",
        "countries": ["SE", "FI"],
        "starts_on": "2026-01-01",
        "ends_on": "2027-12-31",
        "target_smes_supported": "12",
        "target_mentor_hours": "240",
        "target_employees_upskilled": "60",
    }
    bad = client.post("/company/pledge", data=form)
    assert bad.status_code == 422 and "Choose at least one pillar." in bad.get_data(as_text=True)
    form["pillars"] = ["labour_force", "ict_professionals"]
    bad = client.post("/company/pledge", data={**form, "ends_on": "2025-01-01"})
    assert bad.status_code == 422
    assert "The pledge ends after it starts." in bad.get_data(as_text=True)
    assert client.post("/company/pledge", data=form).status_code == 303
    assert client.post("/company/pledge/submit", data={"csrf_token": token}).status_code == 303
    with sessions() as session:
        pledge = session.scalars(
            select(Pledge).join(Organisation).where(Organisation.name == "Nordvik Cloud")
        ).one()
        assert (pledge.status, pledge.countries, pledge.title) == (
            "submitted",
            ["SE", "FI"],
            "Nordvik Cloud mentors SMEs",
        )
        assert pledges.targets(pledge) == {
            "smes_supported": 12.0,
            "mentor_hours": 240.0,
            "employees_upskilled": 60.0,
        }
        pledge_id = pledge.id
    assert (
        client.post(f"/pledges/{pledge_id}/approve", data={"csrf_token": token}).status_code == 403
    )
    client.post("/logout", data={"csrf_token": token})

    login(client, "coordinator@demo.eu")
    token = csrf(client, f"/pledges/{pledge_id}")
    client.post(f"/pledges/{pledge_id}/approve", data={"csrf_token": token})
    page = client.get(f"/pledges/{pledge_id}").get_data(as_text=True)
    assert "approved" in page and "Digital skills for ICT professionals" in page
    assert client.get("/company/pledge").status_code == 403  # a company admin's page


def test_a_periodic_report_takes_its_figures_from_the_entries_and_is_approved(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    _completed(sessions, people["sme"], [1.5, 2.0], 3)
    today = date.today().isoformat()
    login(client, "admin@demo.eu")
    token = csrf(client, "/company/pledge")
    backwards = client.get(f"/company/pledge/reports?period_start={today}&period_end=2020-01-01")
    assert backwards.status_code == 422
    page = client.get(f"/company/pledge/reports?period_start=2026-01-01&period_end={today}")
    assert page.status_code == 200 and "<dd>3.5</dd>" in page.get_data(as_text=True)
    form = {
        "csrf_token": token,
        "period_start": "2026-01-01",
        "period_end": today,
        "narrative": "One bakery mentored; it now sells online.",
    }
    assert (
        client.post("/company/pledge/reports", data={**form, "narrative": "x"}).status_code == 422
    )
    done = client.post("/company/pledge/reports", data=form, follow_redirects=True)
    assert "Report submitted" in done.get_data(as_text=True)
    twice = client.post("/company/pledge/reports", data=form, follow_redirects=True)
    assert "was already submitted" in twice.get_data(as_text=True)
    with sessions() as session:
        report = session.scalars(select(PledgeReport)).one()
        assert report.values == {
            "smes_supported": 1.0,
            "mentor_hours": 3.5,
            "employees_upskilled": 3.0,
        }
        assert report.status == "submitted"
    client.post("/logout", data={"csrf_token": token})
    login(client, "coordinator@demo.eu")
    token = csrf(client, f"/pledges/{report.pledge_id}")
    client.post(f"/pledge-reports/{report.id}/approve", data={"csrf_token": token})
    with sessions() as session:
        approved = session.get(PledgeReport, report.id)
        assert approved is not None and approved.status == "approved"
        assert approved.approved_by == people["coordinator"].id


FORMULA = '=HYPERLINK("https://evil.example","Open")'


def _csv_cells(client: FlaskClient, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv", path
    return [c for row in csv.reader(io.StringIO(response.get_data(as_text=True))) for c in row]


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_no_csv_export_has_a_cell_a_spreadsheet_would_run_as_a_formula(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    with transaction(sessions) as session:
        company = session.scalars(
            select(Organisation).where(Organisation.name == "Nordvik Cloud")
        ).one()
        company.name = FORMULA
        pledges.open_pledge(session, company).title = "+SUM(A1:A9)"
    _completed(sessions, people["sme"], [2.0], 3)
    login(client, "coordinator@demo.eu")
    paths = [
        "/pledges/export/pledges.csv",
        "/pledges/export/entries.csv",
        *(f"/dashboard/{key}.csv" for key in dashboard.FIGURES),
    ]
    # Every route that can answer CSV is among those asked.
    csv_rules = sorted(r.rule for r in app.url_map.iter_rules() if "csv" in r.rule)
    assert csv_rules == [
        "/dashboard/<key>.csv",
        "/pledges/export/<any(pledges, entries):kind>.<any(csv, json):fmt>",
    ]
    for path in paths:
        runnable = [c for c in _csv_cells(client, path)
                    if c.startswith(FORMULA_START) and not _number(c)]  # fmt: skip
        assert runnable == [], path
    assert "'" + FORMULA in _csv_cells(client, "/pledges/export/pledges.csv")
    assert "'+SUM(A1:A9)" in _csv_cells(client, "/pledges/export/pledges.csv")
    assert "'" + FORMULA in _csv_cells(client, "/pledges/export/entries.csv")


def test_a_draft_pledge_and_its_entries_are_nowhere_public(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    _completed(sessions, people["sme"], [2.0], 3)  # an entry against Nordvik Cloud's pledge
    with transaction(sessions) as session:
        nordvik = session.scalars(
            select(Pledge).join(Organisation).where(Organisation.name == "Nordvik Cloud")
        ).one()
        nordvik.status = "draft"
        nordvik.title = "Nordvik's unfinished draft"
        draft_id = nordvik.id
    public = [
        client.get("/pledges").get_data(as_text=True),
        client.get("/pledges/export/pledges.csv").get_data(as_text=True),
        client.get("/pledges/export/pledges.json").get_data(as_text=True),
        client.get("/pledges/export/entries.csv").get_data(as_text=True),
        client.get("/pledges/export/entries.json").get_data(as_text=True),
        client.get("/api/v1/pledges").get_data(as_text=True),
    ]
    for body in public:
        assert "Nordvik" not in body
    assert client.get(f"/pledges/{draft_id}").status_code == 404
    assert "Digital Volunteers: AgroSoft Digital" in public[0]  # the approved one still is
    login(client, "admin@demo.eu")
    own = client.get("/company/pledge").get_data(as_text=True)
    assert "Nordvik&#39;s unfinished draft" in own and "until then it is yours alone" in own
