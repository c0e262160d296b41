"""Rules: the programme's decisions as plain functions over plain data.

No database, no network, no clock of their own: the workflow runs them in its sandbox and the
services run the same functions against rows, so a rule is decided in one place. Stages and the
workflow's state (``stages``), who may act when and in what order (``guards``), what the
process waits for (``open_tasks``), what a step or a task acts on (``subjects``), eligibility,
digital intensity, the taxonomy, and matching (``matching`` scores a pair, ``assignment``
solves a round).
"""
