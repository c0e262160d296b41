"""Adapters: the service's edges to the outside, each behind a few plain functions.

WeasyPrint renders (``agreements``) the documents' checked facts and templates
(``documents``) in a pool of warm processes (``sandbox``); the platform
seal (``seal``, ``seal_identity``); secrets at rest (``encryption``); calendars (``calendar``,
.ics files); the Coalition's pledge registry over HTTP (``registry``). SMTP delivery lives with
the mail it sends (``services.mail``).
"""
