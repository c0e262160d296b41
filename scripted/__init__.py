"""A scripted mentorship and the servers it runs on, shared by `tests/` and `bench/`: both
import this package, and neither imports the other."""
