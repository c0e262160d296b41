"""Store: the tables (``models``, one module per aggregate), engine and transactions (``db``),
the schema's Alembic migrations, and records written once per form nonce (``pending``).

The store knows the rules' enums and nothing above it: no service, adapter or read model.
"""
