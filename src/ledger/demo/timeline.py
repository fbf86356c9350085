"""Business time for the demo: UTC instants, chosen on the company's local calendar.

Every instant the generator handles is a UTC ``datetime``, so that ordering and arithmetic
are plain calendar hours even across daylight-saving changes; only choosing a time of day
("between 9 and 17 on the next business day") goes through the local time zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from random import Random


@dataclass(frozen=True, slots=True)
class Timeline:
    """The span of the history: ``start`` to ``end`` (UTC), on the calendar of ``tz``."""

    start: datetime
    end: datetime
    tz: tzinfo

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()

    def local_hour(self, instant: datetime) -> float:
        local = instant.astimezone(self.tz)
        return local.hour + local.minute / 60

    def days(self) -> Iterator[date]:
        """Every local date the history touches, first to last."""
        day, last = self.local_date(self.start), self.local_date(self.end)
        while day <= last:
            yield day
            day += timedelta(days=1)

    def at(self, day: date, hour: float) -> datetime:
        """The UTC instant of ``hour`` (a fraction of the day, e.g. 16.5) on local ``day``."""
        seconds = round(hour * 3600)
        wall = datetime.combine(
            day, time(seconds // 3600, seconds % 3600 // 60, seconds % 60), tzinfo=self.tz
        )
        return wall.astimezone(UTC)

    def between(self, rng: Random, day: date, from_hour: float, to_hour: float) -> datetime:
        """A random whole second between two local hours of ``day``."""
        return self.at(day, rng.uniform(from_hour, to_hour))

    def business_day(self, after: datetime, ahead: int) -> date:
        """The local business day ``ahead`` business days after the day of ``after`` (0: that day)."""
        day = self.local_date(after)
        while ahead > 0 or not is_business_day(day):
            day += timedelta(days=1)
            if is_business_day(day):
                ahead -= 1
        return day

    def business_slot(
        self, rng: Random, after: datetime, ahead: int, from_hour: float, to_hour: float
    ) -> datetime:
        """A random time within local business hours ``ahead`` business days on, never before ``after``."""
        day = self.business_day(after, ahead)
        chosen = self.between(rng, day, from_hour, to_hour)
        if chosen > after:
            return chosen
        return self.between(rng, self.business_day(after, ahead + 1), from_hour, to_hour)

    def months(self) -> list[tuple[int, int]]:
        """Every (year, month) of the local calendar that the history touches, in order."""
        seen: list[tuple[int, int]] = []
        for day in self.days():
            if (day.year, day.month) not in seen:
                seen.append((day.year, day.month))
        return seen


def is_business_day(day: date) -> bool:
    return day.weekday() < 5


def whole_seconds(instant: datetime) -> datetime:
    return instant.replace(microsecond=0)
