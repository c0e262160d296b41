"""Tests, mirroring the code: unit, workflows, integration, web."""
