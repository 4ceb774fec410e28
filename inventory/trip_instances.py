"""Trip instances: one run of a trip on a service date, named by a stable text id.

The id is ``TRIP@YYYY-MM-DD`` for a scheduled trip and ``TRIP@YYYY-MM-DDTHH:MM:SS`` for one
run of a frequency-based trip, the time being the run's first departure as a GTFS time (it
may pass 24:00:00). The trip id is taken up to the last ``@``, so trip ids may contain ``@``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


class InvalidTripInstanceError(ValueError):
    """A text that is not a trip instance id."""

    code = "invalid_trip_instance"


@dataclass(frozen=True, order=True)
class TripInstance:
    """(trip_id, service_date), plus the run's start for frequency-based trips."""

    trip_id: str
    service_date: date
    run_start: int | None = None

    def __str__(self) -> str:
        text = f"{self.trip_id}@{self.service_date.isoformat()}"
        if self.run_start is not None:
            hours, rest = divmod(self.run_start, 3600)
            text += f"T{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
        return text

    @classmethod
    def parse(cls, text: str) -> TripInstance:
        """Read an id made by ``str()``."""
        trip_id, separator, when = text.rpartition("@")
        if not separator or not trip_id:
            raise InvalidTripInstanceError(f"{text!r} is not TRIP@YYYY-MM-DD")
        day_text, _, time_text = when.partition("T")
        try:
            day = date.fromisoformat(day_text)
            run_start = _seconds(time_text) if time_text else None
        except ValueError as exc:
            raise InvalidTripInstanceError(f"{text!r} has no valid date or time") from exc
        return cls(trip_id, day, run_start)


def _seconds(text: str) -> int:
    hours, minutes, seconds = (int(part) for part in text.split(":"))
    if not (0 <= minutes < 60 and 0 <= seconds < 60 and hours >= 0):
        raise ValueError(text)
    return hours * 3600 + minutes * 60 + seconds
