"""Reading a PDF's text as a person would see it, with poppler's pdftotext."""

from __future__ import annotations

import subprocess


def pdf_text(pdf: bytes) -> str:
    """The document's text, whitespace collapsed to single spaces."""
    done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(done.stdout.decode().split())
