"""The command line and composition root: the only place that wires everything together."""
