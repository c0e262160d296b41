"""Demo data: one coordinator, one SME, two mentoring companies with their people."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from mentorship.models import MentorProfile, Organisation, Pledge, User
from mentorship.taxonomy import TAXONOMY_VERSION

DEMO_PASSWORD = "digivol-demo"

ACCOUNTS = [
    ("coordinator@demo.eu", "Claire Dubois", "coordinator", None),
    ("sme@demo.eu", "Giulia Rossi", "sme", "Panificio Rossi"),
    ("mentor@demo.eu", "Anna Lindqvist", "mentor", "Nordvik Cloud"),
    ("mentor2@demo.eu", "Jonas Berg", "mentor", "Nordvik Cloud"),
    ("admin@demo.eu", "Erik Holm", "company_admin", "Nordvik Cloud"),
    ("mentor3@demo.eu", "Marta Nowak", "mentor", "AgroSoft Digital"),
]

ORGANISATIONS = {
    "Panificio Rossi": dict(
        kind="sme",
        country="IT",
        nace="C10.71",
        employees=14,
        turnover_eur=1_800_000,
        balance_sheet_eur=900_000,
        product_lines=[],
    ),
    "Nordvik Cloud": dict(
        kind="company",
        country="SE",
        nace="J62",
        employees=4_200,
        turnover_eur=900_000_000,
        balance_sheet_eur=700_000_000,
        product_lines=["J63", "cloud"],
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
    password = generate_password_hash(DEMO_PASSWORD)
    for email, name, role, org_name in ACCOUNTS:
        user = User(
            email=email,
            name=name,
            role=role,
            password_hash=password,
            organisation=orgs[org_name] if org_name else None,
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
        if org.kind == "company":
            session.add(Pledge(organisation=org, title=f"Digital Volunteers: {org.name}"))
    session.flush()
    return True
