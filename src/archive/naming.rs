//! Archive file names and Hive partition paths.
//!
//! Owns: how a file's name derives from its content's source range
//! (`part-<stream>-<first offset>-<last offset>.parquet`), the temporary
//! names files carry while written (dot-prefixed, not ending in `.parquet`,
//! so reader globs never see them), and the `dt=`/`hour=` partition paths
//! from event time. A replay of the same range produces the same name, so it
//! replaces instead of duplicating.

use std::path::{Path, PathBuf};

/// Prefix of every temporary file: hidden, and never `*.parquet`.
pub const TMP_PREFIX: &str = ".tmp-";
/// Suffix of every temporary file.
pub const TMP_SUFFIX: &str = ".inprogress";
const OFFSET_DIGITS: usize = 20;
/// Longest sanitized stream name kept whole; longer ones are shortened and
/// get a hash so distinct streams stay distinct.
const MAX_STREAM_CHARS: usize = 64;

/// The stream name as it appears in file names: `[A-Za-z0-9._]` kept,
/// anything else (including `-`, which separates the offsets) becomes `_`.
pub fn sanitize_stream(stream: &str) -> String {
    let clean: String = stream.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '_' { c } else { '_' }).collect();
    if clean.len() <= MAX_STREAM_CHARS {
        return clean;
    }
    // Keep the tail (file names and partitions differ there) plus a hash of
    // the whole original name.
    let hash = xxhash_rust::xxh3::xxh3_64(stream.as_bytes());
    let tail = &clean[clean.len() - 40..];
    format!("{tail}_{hash:016x}")
}

fn offset_digits(offset: i64) -> String {
    format!("{:0width$}", offset.max(0), width = OFFSET_DIGITS)
}

/// Final file name of a file holding source offsets `first..=last` of a
/// stream whose sanitized name is `stream`.
pub fn final_name(stream: &str, first: i64, last: i64) -> String {
    format!("part-{stream}-{}-{}.parquet", offset_digits(first), offset_digits(last))
}

/// Temporary file name; `unique` separates concurrent writers.
pub fn tmp_name(stream: &str, first: i64, unique: &str) -> String {
    format!("{TMP_PREFIX}{stream}-{}-{unique}{TMP_SUFFIX}", offset_digits(first))
}

/// What a file in the archive is, judged by its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveFile {
    /// A complete file of `stream` starting at `first`.
    Final { stream: String, first: i64, last: i64 },
    /// A file being (or left half) written.
    Tmp { stream: String, first: i64 },
}

fn parse_offset(s: &str) -> Option<i64> {
    if s.len() == OFFSET_DIGITS && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// Parses a file name written by this module; `None` for anything else.
pub fn parse_name(name: &str) -> Option<ArchiveFile> {
    if let Some(rest) = name.strip_prefix("part-").and_then(|r| r.strip_suffix(".parquet")) {
        // rest = <stream>-<first>-<last>; the stream has no `-`.
        let (stream, offsets) = rest.split_once('-')?;
        let (first, last) = offsets.split_once('-')?;
        return Some(ArchiveFile::Final { stream: stream.to_string(), first: parse_offset(first)?, last: parse_offset(last)? });
    }
    if let Some(rest) = name.strip_prefix(TMP_PREFIX).and_then(|r| r.strip_suffix(TMP_SUFFIX)) {
        let (stream, rest) = rest.split_once('-')?;
        let first = rest.get(..OFFSET_DIGITS)?;
        return Some(ArchiveFile::Tmp { stream: stream.to_string(), first: parse_offset(first)? });
    }
    None
}

/// Hour index (hours since the epoch) of an event time.
pub fn hour_index(ts_ms: i64) -> i64 {
    ts_ms.div_euclid(3_600_000)
}

/// Day index (days since the epoch) of an event time.
pub fn day_index(ts_ms: i64) -> i64 {
    ts_ms.div_euclid(86_400_000)
}

fn date_of_day(day: i64) -> String {
    match chrono::DateTime::<chrono::Utc>::from_timestamp(day.saturating_mul(86_400), 0) {
        Some(t) => t.format("%Y-%m-%d").to_string(),
        // Out of chrono's range: such times cannot come from a decoded
        // event, but a path must still be produced rather than a panic.
        None => "1970-01-01".to_string(),
    }
}

/// `<root>/events/dt=YYYY-MM-DD/hour=HH` for an hour index.
pub fn events_dir(root: &Path, hour: i64) -> PathBuf {
    let day = hour.div_euclid(24);
    let hh = hour.rem_euclid(24);
    root.join("events").join(format!("dt={}", date_of_day(day))).join(format!("hour={hh:02}"))
}

/// `<root>/signals/dt=YYYY-MM-DD` for a day index.
pub fn signals_dir(root: &Path, day: i64) -> PathBuf {
    root.join("signals").join(format!("dt={}", date_of_day(day)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let s = sanitize_stream("data/in-1.ndjson");
        assert_eq!(s, "data_in_1.ndjson");
        let n = final_name(&s, 7, 42);
        assert_eq!(n, "part-data_in_1.ndjson-00000000000000000007-00000000000000000042.parquet");
        assert_eq!(parse_name(&n), Some(ArchiveFile::Final { stream: s.clone(), first: 7, last: 42 }));
        let t = tmp_name(&s, 7, "123-4");
        assert!(!t.ends_with(".parquet") && t.starts_with('.'));
        assert_eq!(parse_name(&t), Some(ArchiveFile::Tmp { stream: s, first: 7 }));
        assert_eq!(parse_name("other.parquet"), None);
    }

    #[test]
    fn long_streams_stay_distinct() {
        let a = sanitize_stream(&format!("{}/a.ndjson", "x".repeat(100)));
        let b = sanitize_stream(&format!("{}/a.ndjson", "y".repeat(100)));
        assert_ne!(a, b);
        assert!(a.len() < 80);
    }

    #[test]
    fn partitions_from_event_time() {
        // 2026-11-25T13:43:00Z
        let ts = 1_795_614_180_000;
        assert_eq!(events_dir(Path::new("a"), hour_index(ts)), PathBuf::from("a/events/dt=2026-11-25/hour=13"));
        assert_eq!(signals_dir(Path::new("a"), day_index(ts)), PathBuf::from("a/signals/dt=2026-11-25"));
    }
}
