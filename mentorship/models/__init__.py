"""SQLAlchemy 2 models: the facts of the programme (the workflow owns the process), one
module per aggregate:

- ``people``: organisations, accounts, sign-ins, second factors, tokens, mentor profiles;
- ``requests``: an SME's request, its offers, matching rounds and self-assessment;
- ``mentorships``: a matched mentorship's plan, sessions, feedback, certificates, surveys;
- ``agreements``: confidentiality agreements, signatures, the audit chain and checkpoints;
- ``pledges``: a company's pledge to the Coalition and what is reported against it;
- ``process``: what the workflow projects for people: tasks, events, stage visits, mail.

Every model is imported here, so the mapper knows them all and ``mentorship.models.X`` works.
"""

from mentorship.models.agreements import (
    Agreement,
    AuditCheckpoint,
    AuditEntry,
    AuditHead,
    Signature,
)
from mentorship.models.base import Base, utcnow
from mentorship.models.mentorships import (
    Certificate,
    Feedback,
    GoalOutcome,
    MentoringPlan,
    Mentorship,
    PlanGoal,
    ScheduledSession,
    SessionLog,
    SurveyAnswer,
)
from mentorship.models.people import (
    AccountMailAsk,
    AccountToken,
    ApiToken,
    LoginThrottle,
    MentorProfile,
    Organisation,
    RecoveryCode,
    SignIn,
    User,
)
from mentorship.models.pledges import (
    Indicator,
    Initiative,
    Pledge,
    PledgeEntry,
    PledgeReport,
)
from mentorship.models.process import (
    Event,
    Notification,
    StageVisit,
    Task,
)
from mentorship.models.requests import (
    IntensityAssessment,
    MatchOffer,
    MatchRound,
    Reason,
    SupportRequest,
)

__all__ = [
    "AccountMailAsk",
    "AccountToken",
    "Agreement",
    "ApiToken",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditHead",
    "Base",
    "Certificate",
    "Event",
    "Feedback",
    "GoalOutcome",
    "Indicator",
    "Initiative",
    "IntensityAssessment",
    "LoginThrottle",
    "MatchOffer",
    "MatchRound",
    "MentorProfile",
    "MentoringPlan",
    "Mentorship",
    "Notification",
    "Organisation",
    "PlanGoal",
    "Pledge",
    "PledgeEntry",
    "PledgeReport",
    "Reason",
    "RecoveryCode",
    "ScheduledSession",
    "SessionLog",
    "SignIn",
    "Signature",
    "StageVisit",
    "SupportRequest",
    "SurveyAnswer",
    "Task",
    "User",
    "utcnow",
]
