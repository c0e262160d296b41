"""Temporal activities: every side effect of the workflows (database, PDF, e-mail)."""
