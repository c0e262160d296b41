"""SQLAlchemy 2 models: the facts of the programme (the workflow owns the process), one
module per aggregate:

- ``people``: organisations, accounts, sign-ins, second factors, tokens, mentor profiles;
- ``requests``: an SME's request, its offers, matching rounds and self-assessment;
- ``mentorships``: a matched mentorship's plan, sessions, feedback, certificates, surveys;
- ``agreements``: confidentiality agreements, signatures, the audit chain and checkpoints;
- ``pledges``: a company's pledge to the Coalition and what is reported against it;
- ``process``: what the workflow projects for people: tasks, events, stage visits, mail.

Every model is imported here, so the mapper knows them all and ``mentorship.store.models.X`` works.
"""

from mentorship.store.models.agreements import (
    Agreement,
    AuditCheckpoint,
    AuditEntry,
    AuditHead,
    Signature,
)
from mentorship.store.models.base import Base, utcnow
from mentorship.store.models.mentorships import (
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
from mentorship.store.models.people import (
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
from mentorship.store.models.pledges import Indicator, Initiative, Pledge, PledgeEntry, PledgeReport
from mentorship.store.models.process import Event, Notification, StageVisit, Task
from mentorship.store.models.requests import (
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
