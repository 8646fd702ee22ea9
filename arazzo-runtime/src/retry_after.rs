//! Reading retry hints (`Retry-After`, `retry-after-ms`) and computing transport backoff.

use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime};

use crate::observer::WaitReason;

/// Parses a `Retry-After` value: delta-seconds (integers, decimals also accepted) or an HTTP date.
///
/// A date in the past gives zero. Negative, non-finite or unparseable values give `None`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return seconds_to_duration(seconds);
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

pub(crate) fn seconds_to_duration(seconds: f64) -> Option<Duration> {
    if seconds.is_finite() && seconds >= 0.0 { Duration::try_from_secs_f64(seconds).ok() } else { None }
}

/// The server's retry hint: `retry-after-ms` first, then `retry-after`.
pub(crate) fn from_headers(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(d) =
        get("retry-after-ms").and_then(|v| seconds_to_duration(v.trim().parse::<f64>().ok()? / 1000.0))
    {
        return Some(d);
    }
    parse_retry_after(get("retry-after")?, SystemTime::now())
}

/// The delay before Arazzo `retry` action `action`, and why: the response's hint overrides the
/// document's `retryAfter`.
pub(crate) fn action_delay(
    headers: &HeaderMap,
    action: &'static str,
    seconds: f64,
) -> (Duration, WaitReason) {
    match from_headers(headers) {
        Some(hint) => (hint, WaitReason::RetryAfterHeader),
        None => (seconds_to_duration(seconds).unwrap_or(Duration::ZERO), WaitReason::RetryDelay(action)),
    }
}

/// Exponential backoff with full jitter: uniform in `[0, 0.5 s * 2^retry]`, at most 60 s.
pub(crate) fn backoff(retry: u32) -> Duration {
    let max = Duration::from_millis(500).saturating_mul(1u32 << retry.min(16)).min(Duration::from_secs(60));
    max.mul_f64(fastrand::f64())
}

/// Applies the user's cap on any single sleep.
pub(crate) fn cap(delay: Duration, max: Option<Duration>) -> Duration {
    max.map_or(delay, |m| delay.min(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_seconds_dates_and_garbage() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("30", now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("1.5", now), Some(Duration::from_millis(1500)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(90)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        for bad in ["", "soon", "-1", "NaN", "inf", "1e400", "Mon, 99 Foo 2024"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn headers_and_backoff() {
        let mut h = HeaderMap::new();
        let own = WaitReason::RetryDelay("again");
        assert_eq!(action_delay(&h, "again", 2.5), (Duration::from_millis(2500), own));
        assert_eq!(action_delay(&h, "again", -1.0), (Duration::ZERO, own));
        h.insert("retry-after", "7".parse().expect("static header"));
        assert_eq!(action_delay(&h, "again", 2.5), (Duration::from_secs(7), WaitReason::RetryAfterHeader));
        h.insert("retry-after-ms", "250".parse().expect("static header"));
        assert_eq!(from_headers(&h), Some(Duration::from_millis(250)));
        for n in 0..40 {
            assert!(backoff(n) <= Duration::from_secs(60));
        }
        assert!(backoff(0) <= Duration::from_millis(500));
        assert_eq!(cap(Duration::from_secs(30), Some(Duration::ZERO)), Duration::ZERO);
        assert_eq!(cap(Duration::from_secs(30), None), Duration::from_secs(30));
    }
}
