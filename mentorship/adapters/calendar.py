"""Mentoring sessions in calendars: the SME's local time, and .ics invitations (RFC 5545)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# Each EU country's legal time; sessions are agreed in the SME's own time.
EU_ZONES = {
    "AT": "Europe/Vienna",
    "BE": "Europe/Brussels",
    "BG": "Europe/Sofia",
    "CY": "Asia/Nicosia",
    "CZ": "Europe/Prague",
    "DE": "Europe/Berlin",
    "DK": "Europe/Copenhagen",
    "EE": "Europe/Tallinn",
    "ES": "Europe/Madrid",
    "FI": "Europe/Helsinki",
    "FR": "Europe/Paris",
    "GR": "Europe/Athens",
    "HR": "Europe/Zagreb",
    "HU": "Europe/Budapest",
    "IE": "Europe/Dublin",
    "IT": "Europe/Rome",
    "LT": "Europe/Vilnius",
    "LU": "Europe/Luxembourg",
    "LV": "Europe/Riga",
    "MT": "Europe/Malta",
    "NL": "Europe/Amsterdam",
    "PL": "Europe/Warsaw",
    "PT": "Europe/Lisbon",
    "RO": "Europe/Bucharest",
    "SE": "Europe/Stockholm",
    "SI": "Europe/Ljubljana",
    "SK": "Europe/Bratislava",
}


def zone_of(country: str) -> ZoneInfo:
    return ZoneInfo(EU_ZONES.get(country, "UTC"))


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in ``zone`` as naive UTC, the way the database keeps times."""
    return local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def in_zone(naive_utc: datetime, zone: ZoneInfo) -> datetime:
    return naive_utc.replace(tzinfo=UTC).astimezone(zone)


@dataclass(frozen=True)
class CalendarEvent:
    uid: str  # the same for every version of a session, so a move updates the entry
    starts_at: datetime  # naive UTC
    minutes: int
    summary: str
    description: str
    location: str
    sequence: int = 0  # raised each time the session moves
    cancelled: bool = False  # a cancellation removes the entry from the calendar


def _escape(text: str) -> str:
    """TEXT values of RFC 5545: backslash, semicolon, comma and line breaks escaped."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _fold(line: str) -> str:
    """Content lines longer than 75 octets continue on the next line after a space."""
    data = line.encode()
    parts: list[str] = []
    start = 0
    while len(data) - start > 75:
        end = start + (75 if not parts else 74)
        while end > start and (data[end] & 0xC0) == 0x80:  # never split a UTF-8 character
            end -= 1
        parts.append(data[start:end].decode())
        start = end
    parts.append(data[start:].decode())
    return "\r\n ".join(parts)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def ics(event: CalendarEvent, now: datetime) -> bytes:
    """One event as an iCalendar file any calendar imports; times in UTC."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Digital Volunteers//Mentoring sessions//EN",
        f"METHOD:{'CANCEL' if event.cancelled else 'PUBLISH'}",
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"SEQUENCE:{event.sequence}",
        f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
        f"DTSTAMP:{_stamp(now)}",
        f"DTSTART:{_stamp(event.starts_at)}",
        f"DTEND:{_stamp(event.starts_at + timedelta(minutes=event.minutes))}",
        f"SUMMARY:{_escape(event.summary)}",
        f"DESCRIPTION:{_escape(event.description)}",
        f"LOCATION:{_escape(event.location)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()
