"""`digivol up | worker | web | demo | db upgrade | audit verify | registry serve`: run the
service or its parts."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import signal
import socket
import sys
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from digivol import extras, logs
from mentorship.config import ConfigError, Settings
from mentorship.store.db import make_engine, make_session_factory, migrate, transaction

if TYPE_CHECKING:
    from cryptography import x509
    from sqlalchemy.orm import Session


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    if getattr(args, "temporal_port", None):
        overrides["temporal_address"] = f"127.0.0.1:{args.temporal_port}"
    return Settings.from_env(**overrides)


def _stop_on_sigterm() -> None:
    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _serving_until_stopped() -> None:
    """Tune the garbage collector for a process that serves until it is stopped.

    What it loaded to start lives as long as it does: gc.freeze() takes it out of every
    collection. Young objects are collected in batches of 20,000 allocations rather than 700:
    a request or a workflow task frees almost all of its own by reference counting, so the
    frequent small collections found little and cost much (bench.approvals, two interleaved
    pairs: the worker's collections took 1.0 and 1.1 s of a run instead of 2.4 and 2.6, the
    web's 1.0 and 0.9 s instead of 1.6 and 1.5).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def cmd_up(args: argparse.Namespace) -> int:
    from digivol.up import run_up

    return run_up(
        _settings(args), web_port=args.port, temporal_port=args.temporal_port, demo=args.demo
    )


def cmd_worker(args: argparse.Namespace) -> int:
    from digivol.worker import run_worker

    _serving_until_stopped()
    asyncio.run(run_worker(_settings(args)))
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    extras.require_module("waitress", "digivol web")  # production runs gunicorn instead
    import waitress

    from web import create_app

    _stop_on_sigterm()
    settings = _settings(args)
    app = create_app(settings)
    _serving_until_stopped()
    # Behind trusted proxies the app reads X-Forwarded-* itself (ProxyFix, web.create_app):
    # waitress must hand them on, where by default it drops them.
    keep_forwarded = settings.trusted_proxies > 0
    with contextlib.suppress(KeyboardInterrupt):
        waitress.serve(
            app, host=args.host, port=args.port, threads=8, ident="digivol",
            clear_untrusted_proxy_headers=not keep_forwarded,
        )  # fmt: skip
    # Stop the Temporal client's loop before the interpreter goes (see FACTS: a client left
    # running at exit can crash the process on its way out).
    app.extensions["digivol.temporal"].close()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from digivol.demo import seed, seed_pool

    if args.smes < 0 or args.mentors < 0:
        print("digivol demo: --smes and --mentors take a count of zero or more", file=sys.stderr)
        return 2
    settings = _settings(args)
    migrate(settings.database_url)
    with transaction(make_session_factory(make_engine(settings.database_url))) as session:
        created = seed(session)
        print("demo data written" if created else "demo data already present")
        if args.smes or args.mentors:
            seed_pool(session, args.smes, args.mentors, settings.planned_sessions)
            print(
                f"synthetic pool written: {args.smes} SMEs with a request each, "
                f"{args.mentors} mentors; the worker starts their workflows"
            )
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    migrate(_settings(args).database_url)
    print("database schema is up to date")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """Check the audit chain from its first link and every signed checkpoint of its head (and
    the heads embedded in any agreements given); exit 1 and name the first broken one."""
    from mentorship.services import audit, checkpoints

    settings = _settings(args)
    migrate(settings.database_url)
    certificates = _seal_certificates(args, settings)
    with transaction(make_session_factory(make_engine(settings.database_url))) as session:
        report = audit.verify_chain(session)
        signed = checkpoints.verify_checkpoints(session, certificates)
        embedded = [_check_agreement(session, Path(f), certificates) for f in args.agreement]
    broken = not report.intact
    if report.intact:
        print(f"audit chain intact: {report.entries} entries verified")
    else:
        print(
            f"audit chain BROKEN at entry {report.broken_at}: {report.problem} "
            f"({report.entries} entries before it verified)",
            file=sys.stderr,
        )
    newest = signed.newest
    covered = newest.seq if newest else 0
    if signed.intact:
        print(
            f"audit checkpoints intact: {signed.checked} signed checkpoint(s) verified"
            f" against the seal certificate, covering entries 1 to {covered}"
        )
    else:
        broken = True
        print(
            f"audit checkpoints BROKEN at checkpoint {signed.broken_at}:"
            f" {signed.problem} ({signed.checked} checkpoint(s) before it verified)",
            file=sys.stderr,
        )
    if signed.intact and report.intact and covered < report.entries:
        # Not a failure: the newest entries wait for the next seal or the daily checkpoint.
        since = f"since {newest.label()}" if newest else "yet"
        print(
            f"note: entries {covered + 1} to {report.entries} are covered by no signed"
            f" checkpoint {since}; the worker signs one daily and at every seal"
        )
    for holds, line in embedded:
        broken = broken or not holds
        print(line, file=sys.stdout if holds else sys.stderr)
    return 1 if broken else 0


def _check_agreement(
    session: Session, path: Path, certificates: list[x509.Certificate]
) -> tuple[bool, str]:
    """Whether the signed head embedded in a sealed agreement holds, and a line saying so."""
    from mentorship.services import checkpoints
    from mentorship.services.audit_pdf import embedded_signed_head

    try:
        signed = embedded_signed_head(path.read_bytes())
    except (OSError, ValueError) as exc:
        return False, f"agreement {path}: BROKEN: {exc}"
    if signed is None:
        return False, f"agreement {path}: BROKEN: it carries no signed audit head"
    problem = checkpoints.verify_embedded(session, signed, certificates)
    if problem is not None:
        return False, f"agreement {path}: BROKEN: {problem}"
    return True, f"agreement {path}: its {signed.label()} holds"


def _seal_certificates(args: argparse.Namespace, settings: Settings) -> list[x509.Certificate]:
    """The certificates checkpoints are checked against: those given, else the configured
    seal certificate. Only the certificate is read, never the key, so whoever checks the
    chain needs no secret."""
    from cryptography import x509

    from mentorship.adapters.seal_identity import CHAIN_FILE

    paths = [Path(p) for p in args.certificate] or [
        settings.seal_chain or settings.data_dir / "seal" / CHAIN_FILE
    ]
    certificates: list[x509.Certificate] = []
    for path in paths:
        try:
            found = x509.load_pem_x509_certificates(path.read_bytes())
        except FileNotFoundError:
            if args.certificate:
                raise ConfigError(f"the certificate file {path} does not exist") from None
            continue  # no seal yet: any checkpoint is reported as signed by a stranger
        except (OSError, ValueError):
            raise ConfigError(f"{path} holds no readable PEM certificate") from None
        certificates.append(found[0])  # a chain's first is the seal certificate
    return certificates


def cmd_registry(args: argparse.Namespace) -> int:
    """Run the reference pledge registry (its own SQLite file, not the service's)."""
    from digivol.registry import serve

    _stop_on_sigterm()
    token = args.token if args.token is not None else os.environ.get("PLEDGE_REGISTRY_TOKEN", "")
    return serve(args.host, args.port, Path(args.db), token, args.faults)


def cmd_privacy(args: argparse.Namespace) -> int:
    """Export or erase one person's data, or apply the retention rule now."""
    import json

    from mentorship.errors import Refused
    from mentorship.services import privacy
    from mentorship.store.models import utcnow

    settings = _settings(args)
    migrate(settings.database_url)
    sessions = make_session_factory(make_engine(settings.database_url))
    if args.action == "retention":
        retention = timedelta(days=settings.retention_days)
        with transaction(sessions) as session:
            erased = privacy.erase_closed_mentorships(session, retention, utcnow(), limit=10_000)
        print(f"erased the data of {len(erased)} request(s) closed over {retention.days} days ago")
        return 0
    if not args.person:
        print(f"digivol privacy {args.action}: name the person (e-mail or id)", file=sys.stderr)
        return 2
    with transaction(sessions) as session:
        person = privacy.find_person(session, args.person)
        if person is None:
            print(f"digivol privacy: nobody is registered as {args.person}", file=sys.stderr)
            return 1
        if args.action == "export":
            print(json.dumps(privacy.export_person(session, person), indent=2, ensure_ascii=False))
            return 0
        try:
            privacy.erase_person(session, person, by_id=person.id, now=utcnow(), why="cli")
        except Refused as exc:
            print(f"digivol privacy erase: {exc}", file=sys.stderr)
            return 1
        print(f"person {person.id} erased; agreements and the audit chain are kept")
    return 0


def cmd_worker_health(args: argparse.Namespace) -> NoReturn:
    """The worker container's health check: exit 0 when a worker on this host polled the task
    queue lately, as Temporal itself saw it; 1 with the reason otherwise."""
    _exit_now(_worker_health(args))


def _worker_health(args: argparse.Namespace) -> int:
    from temporalio.client import Client
    from temporalio.service import RPCError

    from temporal_client.connect import client_args
    from temporal_client.health import RECENT_SECONDS, polling_workers

    settings = _settings(args)
    host = socket.gethostname()

    async def identities() -> list[str]:
        client = await Client.connect(**client_args(settings))
        return await polling_workers(client, settings.task_queue, timedelta(seconds=5))

    try:
        workers = [who for who in asyncio.run(identities()) if who.endswith(f"@{host}")]
    except (RuntimeError, RPCError, OSError) as exc:  # RuntimeError: the SDK could not connect
        print(
            f"digivol worker-health: Temporal at {settings.temporal_address}: {exc}",
            file=sys.stderr,
        )
        return 1
    if not workers:
        print(
            f"digivol worker-health: no worker on {host} polled {settings.task_queue}"
            f" in the last {RECENT_SECONDS} s",
            file=sys.stderr,
        )
        return 1
    print(f"{', '.join(workers)} polling {settings.task_queue}")
    return 0


def _exit_now(code: int) -> NoReturn:
    """Leave without the interpreter's teardown, during which the Temporal SDK's threads can
    abort the process (FACTS.md): a one-shot check has nothing to close."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="digivol", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)

    def add(name: str, help_: str, func: object) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_)
        p.add_argument("--data-dir", help="where the databases live (default ./var)")
        p.set_defaults(func=func)
        return p

    up = add("up", "start Temporal, the worker and the web app", cmd_up)
    up.add_argument("--port", type=int, default=8000, help="web port (default 8000)")
    up.add_argument("--temporal-port", type=int, default=7233, help="Temporal gRPC port")
    up.add_argument("--demo", action="store_true", help="seed demo organisations and users")
    worker = add("worker", "run the Temporal worker", cmd_worker)
    worker.add_argument("--temporal-port", type=int)
    add("worker-health", "exit 0 if a worker on this host polls the task queue", cmd_worker_health)
    web = add("web", "serve the web app", cmd_web)
    web.add_argument("--port", type=int, default=8000)
    web.add_argument("--host", default="127.0.0.1", help="interface (0.0.0.0 in a container)")
    web.add_argument("--temporal-port", type=int)
    demo = add("demo", "write the demo data, and optionally a synthetic pool", cmd_demo)
    demo.add_argument("--smes", type=int, default=0, help="synthetic SMEs, each with a request")
    demo.add_argument("--mentors", type=int, default=0, help="synthetic mentors")
    db = add("db", "database schema commands", cmd_db)
    db.add_argument("action", choices=["upgrade"])
    audit = add("audit", "audit log commands", cmd_audit)
    audit.add_argument("action", choices=["verify"], help="check the chain and its checkpoints")
    audit.add_argument(
        "--certificate",
        action="append",
        default=[],
        metavar="PEM",
        help="check checkpoints against this seal certificate instead of the configured one;"
        " repeat it to add earlier ones",
    )
    audit.add_argument(
        "--agreement",
        action="append",
        default=[],
        metavar="PDF",
        help="also check the signed head embedded in this sealed agreement (repeatable)",
    )
    privacy = add("privacy", "a person's data (GDPR), and the retention rule", cmd_privacy)
    privacy.add_argument("action", choices=["export", "erase", "retention"])
    privacy.add_argument("person", nargs="?", help="e-mail or user id (export, erase)")
    registry = sub.add_parser("registry", help="a reference pledge registry to sync with")
    registry.add_argument("action", choices=["serve"])
    registry.add_argument("--host", default="127.0.0.1")
    registry.add_argument("--port", type=int, default=8765)
    registry.add_argument("--db", default="var/registry.sqlite3", help="its own SQLite file")
    registry.add_argument("--token", help="bearer token clients must send (PLEDGE_REGISTRY_TOKEN)")
    registry.add_argument("--faults", action="store_true", help="accept POST /_faults (tests)")
    registry.set_defaults(func=cmd_registry)
    return root


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        logs.configure()
        code = args.func(args)
    except (ConfigError, extras.MissingExtra) as exc:
        print(f"digivol: {exc}", file=sys.stderr)
        code = 2
    sys.exit(code)
