"""Session times in the SME's zone, and .ics files as calendars read them."""

from __future__ import annotations

from datetime import datetime

import pytest

from mentorship.adapters.calendar import CalendarEvent, ics, in_zone, to_utc, zone_of

NOW = datetime(2026, 11, 25, 9, 0)


@pytest.mark.parametrize(
    ("country", "local", "utc"),
    [
        ("IT", datetime(2026, 12, 1, 10, 0), datetime(2026, 12, 1, 9, 0)),  # winter, UTC+1
        ("IT", datetime(2026, 7, 1, 10, 0), datetime(2026, 7, 1, 8, 0)),  # summer, UTC+2
        ("PT", datetime(2026, 12, 1, 10, 0), datetime(2026, 12, 1, 10, 0)),
        ("FI", datetime(2026, 12, 1, 10, 0), datetime(2026, 12, 1, 8, 0)),
        ("XX", datetime(2026, 12, 1, 10, 0), datetime(2026, 12, 1, 10, 0)),  # unknown: UTC
    ],
)
def test_a_local_time_becomes_utc_with_its_countrys_rules(
    country: str, local: datetime, utc: datetime
) -> None:
    zone = zone_of(country)
    assert to_utc(local, zone) == utc
    assert in_zone(utc, zone).replace(tzinfo=None) == local


def test_the_ics_file_has_the_event_in_utc_with_crlf_lines() -> None:
    event = CalendarEvent(
        uid="session-7@digital-volunteers.eu",
        starts_at=datetime(2026, 12, 1, 9, 0),
        minutes=90,
        summary="Mentoring session",
        description="Shop set-up",
        location="https://meet.example/abc",
    )
    text = ics(event, NOW).decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "DTSTART:20261201T090000Z\r\n" in text and "DTEND:20261201T103000Z\r\n" in text
    assert "UID:session-7@digital-volunteers.eu\r\n" in text
    assert "\n" not in text.replace("\r\n", "")


def test_user_text_cannot_break_out_of_its_property_and_long_lines_fold() -> None:
    agenda = "1. Photos, prices; 2. Shipping\nEND:VEVENT\nBEGIN:VEVENT\\ " + "é" * 80
    event = CalendarEvent("u", datetime(2026, 12, 1, 9), 60, "S", agenda, "Via Roma 1, Roma")
    text = ics(event, NOW).decode()
    unfolded = text.replace("\r\n ", "")
    lines = unfolded.split("\r\n")
    assert lines.count("BEGIN:VEVENT") == 1 and lines.count("END:VEVENT") == 1
    assert "LOCATION:Via Roma 1\\, Roma" in lines
    assert (
        "DESCRIPTION:1. Photos\\, prices\\; 2. Shipping\\nEND:VEVENT\\nBEGIN:VEVENT\\\\ "
        in unfolded
    )
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_a_moved_session_keeps_its_uid_with_a_higher_sequence_and_a_cancelled_one_cancels() -> None:
    first = CalendarEvent("dv-session-7@x", datetime(2026, 12, 1, 9), 60, "S", "A", "L")
    moved = CalendarEvent("dv-session-7@x", datetime(2026, 12, 3, 9), 60, "S", "A", "L", 1)
    cancelled = CalendarEvent(
        "dv-session-7@x", datetime(2026, 12, 3, 9), 60, "S", "A", "L", 2, cancelled=True
    )
    texts = [ics(e, NOW).decode().split("\r\n") for e in (first, moved, cancelled)]
    assert [t[t.index("BEGIN:VEVENT") + 1] for t in texts] == ["UID:dv-session-7@x"] * 3
    assert [next(x for x in t if x.startswith("SEQUENCE:")) for t in texts] == [
        "SEQUENCE:0",
        "SEQUENCE:1",
        "SEQUENCE:2",
    ]
    assert "METHOD:PUBLISH" in texts[1] and "STATUS:CONFIRMED" in texts[1]
    assert "METHOD:CANCEL" in texts[2] and "STATUS:CANCELLED" in texts[2]
