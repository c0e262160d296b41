"""Services: one module per family of use cases, each a few functions over a session.

Requests (``intake``, ``reservation``, ``ranking``, ``plans``, ``completion``, ``pledges``),
agreements (``signing``, ``evidence``), the process's side (``projection`` writes a workflow
step's effects; ``tasks``, ``inbox``, ``outbox`` and ``mail`` tell people), people
(``accounts``, ``sign_ins``, ``two_step``, ``throttle``, ``privacy``, ``participation``) and
the audit chain (``audit``, ``audit_pdf``).
"""
