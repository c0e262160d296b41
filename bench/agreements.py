"""Benchmark: render an NDA, seal it, verify it, as the worker and /verify do.

Rendering goes through the bounded process pool the worker uses (``render_ms``), and is also
timed in-process (``render_inprocess_ms``) to show what the bound costs. At completion the
worker renders the signature certificate (``certificate_ms``, in the pool), appends it and
seals the file (``seal_ms``: incremental update plus PAdES signature); ``completion_ms`` is
the two together. ``verify_ms`` is the /verify check of the sealed file. Medians and 95th
percentiles in milliseconds over ``--runs`` runs after ``--warmup``.

    .venv/bin/python -m bench.agreements [--runs 50] [--warmup 5] [--language fr]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from bench import cli
from mentorship.adapters.agreements import (
    render_agreement_pdf,
    render_certificate_pdf,
    sha256_hex,
)
from mentorship.adapters.documents import (
    AgreementContext,
    AgreementEvent,
    CertificateContext,
    SignerRecord,
)
from mentorship.adapters.seal import append_pages, seal_pdf, verify_sealed
from mentorship.config import Settings

T = TypeVar("T")

CONTEXT = AgreementContext(
    reference="DV-1042-1",
    sme_name="Panificio Rossi S.r.l.",
    sme_country="IT",
    sme_sector="C10.71",
    sme_registration_number="IT 01234567890",
    sme_address="Via Roma 12, 00184 Roma",
    company_name="Nordvik Cloud AB",
    company_country="SE",
    company_registration_number="SE 556677-8899",
    company_address="Kungsgatan 5, 111 43 Stockholm",
    mentor_name="Anna Lindqvist",
    challenge_areas=["E-commerce", "Digital marketing and online visibility", "Cybersecurity"],
    duration_months=24,
    issued_on="2026-11-25",
    expires_on="2026-12-09",
    company_countersigns=True,
)


def certificate(sha256: str, pages: int) -> CertificateContext:
    signer = SignerRecord(
        role_label="SME representative",
        organisation="Panificio Rossi S.r.l.",
        typed_name="Giulia Rossi",
        email="giulia@panificio.example",
        signed_at="2026-11-25T10:00:00 UTC",
        ip_address="192.0.2.10",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/156",
        sha256_seen=sha256,
        consent_version="2026-11",
    )
    events = [
        AgreementEvent("2026-11-25T09:00:00 UTC", "Agreement issued for signature", "platform"),
        AgreementEvent("2026-11-25T10:00:00 UTC", "Signed", "Giulia Rossi (SME representative)"),
    ]
    return CertificateContext(
        reference=CONTEXT.reference,
        document_sha256=sha256,
        pages=pages,
        signers=[signer, signer, signer],
        events=events * 3,
        completed_at="2026-11-25T11:00:00 UTC",
    )


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 1), "p95": round(p95, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--language", default=None, help="second language version, e.g. fr")
    args = cli.parse(parser, {"runs": 1, "warmup": 0})
    from dataclasses import replace

    context = replace(CONTEXT, second_language=args.language)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        identity = settings.seal_identity()
        pool = settings.render_pool()
        times: dict[str, list[float]] = {
            k: []
            for k in (
                "render",
                "render_inprocess",
                "certificate",
                "seal",
                "completion",
                "render_plus_seal",
                "verify",
            )
        }
        out: dict[str, Any] = {}
        for i in range(args.warmup + args.runs):
            t_render, pdf = timed(lambda: pool.call(render_agreement_pdf, context))
            t_local, _ = timed(lambda: render_agreement_pdf(context))
            cert = certificate(sha256_hex(pdf), 4)

            t_cert, page = timed(partial(pool.call, render_certificate_pdf, cert))

            def seal(pdf: bytes = pdf, page: bytes = page) -> bytes:
                return seal_pdf(
                    append_pages(pdf, page), identity, reason="benchmark", location="bench"
                )

            t_seal, sealed = timed(seal)
            t_verify, check = timed(partial(verify_sealed, sealed, identity.trust_root_pem))
            assert check.sealed_by_platform, check.problem
            if i < args.warmup:
                continue
            for key, value in (
                ("render", t_render),
                ("render_inprocess", t_local),
                ("certificate", t_cert),
                ("seal", t_seal),
                ("completion", t_cert + t_seal),
                ("render_plus_seal", t_render + t_seal),
                ("verify", t_verify),
            ):
                times[key].append(value)
            out = {"bytes": len(pdf), "sealed_bytes": len(sealed)}
        pool.close()
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    pages = int(PdfFileReader(BytesIO(pdf)).root["/Pages"]["/Count"])
    result: dict[str, Any] = {
        "benchmark": "agreements",
        "runs": args.runs,
        "second_language": args.language,
        "pages": pages,
        **out,
        **{f"{k}_ms": summary(v) for k, v in times.items()},
    }
    result["target_render_plus_seal_p50_under_500ms"] = result["render_plus_seal_ms"]["p50"] < 500
    result["render_plus_completion_p50_ms"] = round(
        result["render_ms"]["p50"] + result["completion_ms"]["p50"], 1
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
