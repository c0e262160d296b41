"""Demo data: two coordinators, one SME, two mentoring companies with their people."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mentorship import synthetic
from mentorship.rules.taxonomy import TAXONOMY_VERSION
from mentorship.services.accounts import hash_password
from mentorship.services.intake import IntakeForm, create_request
from mentorship.services.pledges import approve, open_pledge
from mentorship.store.models import MentorProfile, Organisation, User, utcnow

DEMO_PASSWORD = "digivol-demo"

ACCOUNTS = [
    ("coordinator@demo.eu", "Claire Dubois", "coordinator", None),
    ("sme@demo.eu", "Giulia Rossi", "sme", "Panificio Rossi"),
    ("mentor@demo.eu", "Anna Lindqvist", "mentor", "Nordvik Cloud"),
    ("mentor2@demo.eu", "Jonas Berg", "mentor", "Nordvik Cloud"),
    ("admin@demo.eu", "Erik Holm", "company_admin", "Nordvik Cloud"),
    ("mentor3@demo.eu", "Marta Nowak", "mentor", "AgroSoft Digital"),
    # Four eyes: the coordinator who approved a match does not approve its completion.
    ("coordinator2@demo.eu", "Tomás Ferreira", "coordinator", None),
]

LEADS = {"coordinator@demo.eu"}  # lead coordinators: overdue tasks escalate to them

ORGANISATIONS = {
    "Panificio Rossi": dict(
        kind="sme",
        country="IT",
        nace="C10.71",
        employees=14,
        turnover_eur=1_800_000,
        balance_sheet_eur=900_000,
        product_lines=[],
        registration_number="RM-1234567",
        address="Via dei Fornai 12, 00184 Roma",
    ),
    "Nordvik Cloud": dict(
        kind="company",
        country="SE",
        nace="J62",
        employees=4_200,
        turnover_eur=900_000_000,
        balance_sheet_eur=700_000_000,
        product_lines=["J63", "cloud"],
        registration_number="556677-8899",
        address="Kungsgatan 5, 111 43 Stockholm",
        countersigns_agreements=True,  # its admin signs each agreement after the mentor
    ),
    # Sells software to food manufacturers: its mentors conflict with the bakery.
    "AgroSoft Digital": dict(
        kind="company",
        country="PL",
        nace="J62",
        employees=1_100,
        turnover_eur=150_000_000,
        balance_sheet_eur=120_000_000,
        product_lines=["C10"],
        registration_number="KRS 0000123456",
        address="ul. Polna 3, 60-001 Poznań",
    ),
}

# Proficiency per area (1 working knowledge, 2 experienced, 3 expert), languages, capacity,
# and the NACE divisions the mentor has worked with.
PROFILES = {
    "mentor@demo.eu": (
        {"digital_marketing": 3, "website_seo_social": 3, "e_commerce": 2},
        ["en", "it"],
        2,
        ["G47", "C10"],
    ),
    "mentor2@demo.eu": ({"cloud": 3, "cybersecurity": 3, "e_commerce": 1}, ["en", "sv"], 2, []),
    "mentor3@demo.eu": ({"e_commerce": 3, "erp_automation": 2}, ["en", "pl", "it"], 3, ["C10"]),
}


def seed(session: Session) -> bool:
    """Write the demo data once; False when it was already there."""
    if session.scalar(select(User.id).where(User.email == ACCOUNTS[0][0])) is not None:
        return False
    orgs = {name: Organisation(name=name, **fields) for name, fields in ORGANISATIONS.items()}
    session.add_all(orgs.values())
    password = hash_password(DEMO_PASSWORD)
    for email, name, role, org_name in ACCOUNTS:
        user = User(
            email=email,
            name=name,
            role=role,
            password_hash=password,
            organisation=orgs[org_name] if org_name else None,
            email_verified_at=utcnow(),
            lead=email in LEADS,
        )
        session.add(user)
        if email in PROFILES:
            proficiency, languages, capacity, sectors = PROFILES[email]
            user.mentor_profile = MentorProfile(
                taxonomy_version=TAXONOMY_VERSION,
                proficiency=proficiency,
                sectors=sectors,
                languages=languages,
                countries=[user.organisation.country] if user.organisation else [],
                capacity=capacity,
            )
    for org in orgs.values():
        if org.kind == "company":  # the demo's companies are in the Pledge Viewer already
            approve(open_pledge(session, org), None)
    session.flush()
    return True


def seed_pool(
    session: Session, smes: int, mentors: int, planned_sessions: int, seed_value: int = 7
) -> tuple[int, int]:
    """Add a synthetic pool: ``smes`` SMEs, each with one request for review, and ``mentors``
    mentors in companies of about forty. Everyone's password is the demo password."""
    password = hash_password(DEMO_PASSWORD)  # hashed once: it is slow on purpose
    start = session.scalar(select(func.count(User.id))) or 0
    companies: dict[int, Organisation] = {}
    for c in synthetic.candidates(mentors, seed=seed_value):
        company = companies.get(c.company_id)
        if company is None:
            company = Organisation(
                kind="company",
                name=f"Pool company {start + c.company_id}",
                country=c.home_country,
                nace="J62",
                employees=5000,
                turnover_eur=800_000_000,
                balance_sheet_eur=600_000_000,
                product_lines=sorted(c.company_product_lines),
            )
            companies[c.company_id] = company
            session.add(company)
            approve(open_pledge(session, company), None)
        n = start + c.mentor_id
        user = User(
            email=f"mentor{n}@pool.demo.eu",
            name=f"Pool mentor {n}",
            role="mentor",
            password_hash=password,
            organisation=company,
        )
        user.mentor_profile = MentorProfile(
            taxonomy_version=TAXONOMY_VERSION,
            proficiency=dict(c.proficiency),
            languages=sorted(c.languages),
            countries=sorted(c.countries),
            formats=sorted(c.formats),
            sectors=sorted(c.sectors),
            capacity=c.capacity,
        )
        session.add(user)
    for need in synthetic.needs(smes, seed=seed_value + 1):
        n = start + need.request_id
        org = Organisation(
            kind="sme",
            name=f"Pool SME {n}",
            country=need.country,
            nace=need.sector,
            employees=12,
            turnover_eur=1_500_000,
            balance_sheet_eur=700_000,
        )
        user = User(
            email=f"sme{n}@pool.demo.eu",
            name=f"Pool SME representative {n}",
            role="sme",
            password_hash=password,
            organisation=org,
        )
        session.add_all([org, user])
        session.flush()
        form = IntakeForm(
            challenge_areas=sorted(need.challenge_areas),
            languages=sorted(need.languages),
            description="A synthetic request from the demo pool.",
            format=need.wanted_format,
            employees=org.employees,
            turnover_eur=org.turnover_eur,
            balance_sheet_eur=org.balance_sheet_eur,
        )
        create_request(session, user, form, planned_sessions, nonce=f"pool-{n}")
    session.flush()
    return smes, mentors
