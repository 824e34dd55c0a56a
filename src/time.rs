//! Virtual time. The engine counts integer microseconds from the start of a run; nothing in a
//! run ever reads a wall clock. Scenario files speak milliseconds, converted once at load.

/// Microseconds in one millisecond.
pub const US_PER_MS: u64 = 1_000;

/// Milliseconds in one virtual day: the longest run, and the largest millisecond setting, a
/// scenario may ask for.
pub const DAY_MS: u64 = 86_400_000;

/// Converts whole milliseconds to the engine's microseconds, saturating rather than wrapping so
/// an absurd scenario value becomes "never" instead of a small time.
pub const fn ms(value_ms: u64) -> u64 {
    value_ms.saturating_mul(US_PER_MS)
}

/// Formats a virtual time or duration in microseconds as milliseconds with three decimals,
/// e.g. `1234.567ms`. Integer arithmetic only, so the text is identical on every platform.
pub fn format_ms(time_us: u64) -> String {
    format!("{}.{:03}ms", time_us / US_PER_MS, time_us % US_PER_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ms_converts_and_saturates() {
        assert_eq!(ms(150), 150_000);
        assert_eq!(ms(u64::MAX), u64::MAX);
    }

    #[test]
    fn format_ms_keeps_microseconds() {
        assert_eq!(format_ms(0), "0.000ms");
        assert_eq!(format_ms(1_234_567), "1234.567ms");
        assert_eq!(format_ms(5), "0.005ms");
    }
}
