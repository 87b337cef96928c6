//! The tenant's clock: turns an instant into the `moment` a plugin reads (contract 0.2.0).
//!
//! The time zone database is compiled in (jiff's bundled tzdb), so a container without
//! `tzdata` tells the same time as a workstation, and a zone name is checked when the plugins
//! file is read, not at the first call.

use std::time::{SystemTime, UNIX_EPOCH};

use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use plugin_strategies as s;

use crate::error::PluginError;

/// The platform's market: used when a tenant names no zone.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Seoul";

#[derive(Clone, Debug)]
pub struct Clock {
    name: String,
    zone: TimeZone,
}

impl Default for Clock {
    fn default() -> Self {
        Self::named(DEFAULT_TIME_ZONE).expect("the bundled tzdb has Asia/Seoul")
    }
}

impl PartialEq for Clock {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Clock {
    /// The clock of an IANA zone ("Asia/Seoul", "UTC", "America/New_York").
    pub fn named(name: &str) -> Result<Self, PluginError> {
        let zone = TimeZone::get(name).map_err(|_| {
            PluginError::Invalid(format!("unknown time zone {name:?} (an IANA name, e.g. \"Asia/Seoul\")"))
        })?;
        Ok(Self { name: name.to_string(), zone })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// What this clock read at `at`.
    pub fn at(&self, at: SystemTime) -> s::Moment {
        let millis = match at.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
        };
        self.at_millis(millis)
    }

    /// What this clock reads now.
    pub fn now(&self) -> s::Moment {
        self.at(SystemTime::now())
    }

    /// What this clock read `millis` after the Unix epoch (clamped to jiff's range, years
    /// -9999..=9999).
    pub fn at_millis(&self, millis: i64) -> s::Moment {
        let ts =
            Timestamp::from_millisecond(millis).unwrap_or(if millis < 0 { Timestamp::MIN } else { Timestamp::MAX });
        moment(&self.name, &ts.to_zoned(self.zone.clone()))
    }

    /// Reads an RFC 3339 instant ("2026-12-05T10:00:00+09:00": on this clock) or an RFC 9557
    /// one with its zone ("2026-12-05T10:00:00+09:00[America/New_York]": on that zone's clock),
    /// as plugin fixtures write it.
    pub fn parse(&self, text: &str) -> Result<s::Moment, String> {
        if text.contains('[') {
            let zoned: Zoned = text.parse().map_err(|e| format!("{text:?} is not an RFC 9557 time: {e}"))?;
            let name = zoned.time_zone().iana_name().unwrap_or("UTC").to_string();
            return Ok(moment(&name, &zoned));
        }
        let ts: Timestamp = text.parse().map_err(|e| {
            format!("{text:?} is not an RFC 3339 time with an offset, e.g. 2026-12-05T10:00:00+09:00: {e}")
        })?;
        Ok(moment(&self.name, &ts.to_zoned(self.zone.clone())))
    }
}

fn moment(name: &str, z: &Zoned) -> s::Moment {
    use jiff::civil::Weekday as J;
    s::Moment {
        unix_millis: z.timestamp().as_millisecond(),
        time_zone: name.to_string(),
        utc_offset_minutes: z.offset().seconds() / 60,
        year: i32::from(z.year()),
        month: z.month() as u8,
        day: z.day() as u8,
        hour: z.hour() as u8,
        minute: z.minute() as u8,
        second: z.second() as u8,
        weekday: match z.weekday() {
            J::Monday => s::Weekday::Monday,
            J::Tuesday => s::Weekday::Tuesday,
            J::Wednesday => s::Weekday::Wednesday,
            J::Thursday => s::Weekday::Thursday,
            J::Friday => s::Weekday::Friday,
            J::Saturday => s::Weekday::Saturday,
            J::Sunday => s::Weekday::Sunday,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seoul_is_nine_hours_ahead_and_knows_the_weekday() {
        // 2026-12-04T15:30:00Z is Saturday 00:30 in Seoul, still Friday in UTC.
        let m = Clock::default().at_millis(1_796_398_200_000);
        assert_eq!((m.year, m.month, m.day, m.hour, m.minute), (2026, 12, 5, 0, 30));
        assert_eq!(m.weekday, s::Weekday::Saturday);
        assert_eq!(m.utc_offset_minutes, 540);
        assert_eq!(m.time_zone, "Asia/Seoul");
        let utc = Clock::named("UTC").unwrap().at_millis(1_796_398_200_000);
        assert_eq!((utc.day, utc.hour, utc.weekday), (4, 15, s::Weekday::Friday));
    }

    #[test]
    fn daylight_saving_moves_the_offset() {
        let ny = Clock::named("America/New_York").unwrap();
        assert_eq!(ny.parse("2026-07-01T12:00:00Z").unwrap().utc_offset_minutes, -240);
        assert_eq!(ny.parse("2026-12-01T12:00:00Z").unwrap().utc_offset_minutes, -300);
    }

    #[test]
    fn fixtures_write_instants_with_an_offset_or_a_zone() {
        let seoul = Clock::default();
        let a = seoul.parse("2026-12-05T10:00:00+09:00").unwrap();
        assert_eq!((a.hour, a.weekday, a.time_zone.as_str()), (10, s::Weekday::Saturday, "Asia/Seoul"));
        let b = seoul.parse("2026-12-05T10:00:00-05:00[America/New_York]").unwrap();
        assert_eq!((b.hour, b.utc_offset_minutes, b.time_zone.as_str()), (10, -300, "America/New_York"));
        assert_eq!(b.unix_millis - a.unix_millis, 14 * 3_600_000);
        assert!(seoul.parse("2026-12-05 10:00").is_err());
        assert!(seoul.parse("2026-12-05T10:00:00").is_err(), "no offset: which instant?");
    }

    #[test]
    fn unknown_zones_are_refused_by_name() {
        let e = Clock::named("Mars/Olympus").unwrap_err().to_string();
        assert!(e.contains("Mars/Olympus"), "{e}");
    }

    #[test]
    fn far_instants_clamp_instead_of_panicking() {
        let c = Clock::default();
        assert!(c.at_millis(i64::MAX).year <= 9999);
        assert!(c.at_millis(i64::MIN).year >= -9999);
    }
}
