"""`digivol demo --smes N --mentors M` writes a synthetic pool the matching can work with."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from mentorship.rules.payloads import RankInput
from mentorship.services import ranking
from mentorship.store.db import make_engine, make_session_factory, transaction
from mentorship.store.models import MentorProfile, SupportRequest, Task


def demo(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "digivol", "demo", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_synthetic_pool_is_written_ready_for_review_and_matching(tmp_path: Path) -> None:
    done = demo(tmp_path, "--smes", "40", "--mentors", "30")
    assert done.returncode == 0, done.stderr
    assert "40 SMEs with a request each, 30 mentors" in done.stdout
    engine = make_engine(f"sqlite:///{tmp_path / 'digivol.sqlite3'}")
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        assert session.scalar(select(func.count(SupportRequest.id))) == 40
        assert session.scalar(select(func.count(MentorProfile.user_id))) == 30 + 3  # + demo's
        open_reviews = select(func.count(Task.id)).where(Task.kind == "review_intake")
        assert session.scalar(open_reviews) == 40
        offered = sum(
            bool(ranking.rank_candidates(session, RankInput(request_id, 1, [])))
            for request_id in session.scalars(select(SupportRequest.id))
        )
    engine.dispose()
    assert offered >= 30  # most synthetic requests find a mentor


def test_a_negative_count_is_a_clear_error(tmp_path: Path) -> None:
    done = demo(tmp_path, "--smes", "-1")
    assert done.returncode == 2
    assert "--smes and --mentors take a count of zero or more" in done.stderr
    assert "Traceback" not in done.stderr
