"""The client side of Temporal that the web's gateway and the worker share: connecting, and
the workflow starts people set going. Framework-free: it imports no flask."""
