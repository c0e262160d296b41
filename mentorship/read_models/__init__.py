"""Read models: what coordinators and people read, built by queries and never written back.

The dashboard's figures and a request's timeline. (The inbox reads too, but claims and
escalates, so it lives among the services.)
"""
