//! Quantities written with units in scenario files: durations (`"2.5ms"`),
//! sizes (`"20MB"`, `"512KiB"`) and rates (`"200/s"`).
//!
//! Numbers are decimals (`"0.5us"`), converted with exact integer arithmetic
//! and rounded to the nearest nanosecond or byte (halves away from zero), so
//! a value never depends on floating-point rounding.

use crate::engine::time::Nanos;

/// Duration units and their length in nanoseconds.
pub const DURATION_UNITS: &[(&str, u64)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("μs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
];

/// Size units and their size in bytes (`KB` = 1000 bytes, `KiB` = 1024 bytes).
pub const SIZE_UNITS: &[(&str, u64)] = &[
    ("B", 1),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("TB", 1_000_000_000_000),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
];

/// Rate units (the part after `/`) and their length in seconds.
pub const RATE_UNITS: &[(&str, f64)] = &[
    ("ns", 1e-9),
    ("us", 1e-6),
    ("ms", 1e-3),
    ("s", 1.0),
    ("min", 60.0),
    ("h", 3600.0),
];

/// Why a quantity could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitError {
    /// The text is empty.
    Empty,
    /// No number before the unit (`"ms"`).
    MissingNumber,
    /// A number without a unit (`"10"`).
    MissingUnit,
    /// A unit that is not one of the accepted ones.
    UnknownUnit(String),
    /// The number is malformed (`"1.2.3ms"`).
    BadNumber(String),
    /// The value is below zero.
    Negative,
    /// The value is zero where it must be positive (rates).
    Zero,
    /// The value does not fit (durations: about 584 years).
    TooLarge,
}

/// A decimal number: `mantissa / 10^scale`, with its sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    mantissa: u128,
    scale: u32,
}

impl Decimal {
    fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// `self * factor`, rounded to the nearest integer (halves away from zero).
    fn times(self, factor: u64) -> Result<u64, UnitError> {
        let (mut mantissa, mut scale) = (self.mantissa, self.scale);
        let product = loop {
            match mantissa.checked_mul(u128::from(factor)) {
                Some(p) => break p,
                // Drop a fractional digit (far below the unit of the result) and retry.
                None if scale > 0 => {
                    mantissa /= 10;
                    scale -= 1;
                }
                None => return Err(UnitError::TooLarge),
            }
        };
        let divisor = 10u128.pow(scale);
        let rounded = product / divisor + u128::from(product % divisor >= divisor.div_ceil(2));
        u64::try_from(rounded).map_err(|_| UnitError::TooLarge)
    }

    fn to_f64(self) -> f64 {
        self.mantissa as f64 / libm::pow(10.0, f64::from(self.scale))
    }
}

/// Splits `text` into its number (sign, digits, `.`, `_`) and the rest.
fn split_number(text: &str) -> (&str, &str) {
    let end = text
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit() || c == '.' || c == '_' || (i == 0 && (c == '+' || c == '-')))
        })
        .map_or(text.len(), |(i, _)| i);
    (&text[..end], &text[end..])
}

/// Parses a decimal number such as `"2.5"`, `"-1"`, `"1_000"`, `".5"`.
fn parse_decimal(number: &str) -> Result<Decimal, UnitError> {
    let (negative, digits) = match number.as_bytes().first() {
        Some(b'-') => (true, &number[1..]),
        Some(b'+') => (false, &number[1..]),
        _ => (false, number),
    };
    if !digits.bytes().any(|b| b.is_ascii_digit()) {
        return Err(if digits.is_empty() {
            UnitError::MissingNumber
        } else {
            UnitError::BadNumber(number.to_string())
        });
    }
    if digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return Err(UnitError::BadNumber(number.to_string()));
    }
    let mut mantissa: u128 = 0;
    let mut scale: u32 = 0;
    let mut seen_point = false;
    let mut saturated = false;
    for c in digits.chars() {
        match c {
            '_' => {}
            '.' if seen_point => return Err(UnitError::BadNumber(number.to_string())),
            '.' => seen_point = true,
            d => {
                let digit = u128::from(d.to_digit(10).unwrap_or(0));
                if saturated {
                    // Digits beyond 38 significant ones: ignore fractional ones,
                    // integer ones make the value too large.
                    if !seen_point {
                        return Err(UnitError::TooLarge);
                    }
                    continue;
                }
                match mantissa.checked_mul(10).and_then(|m| m.checked_add(digit)) {
                    Some(m) if scale < 38 => {
                        mantissa = m;
                        if seen_point {
                            scale += 1;
                        }
                    }
                    _ if seen_point => saturated = true,
                    _ => return Err(UnitError::TooLarge),
                }
            }
        }
    }
    Ok(Decimal {
        negative,
        mantissa,
        scale,
    })
}

/// Reads `<number><unit>` where the unit is one of `units` (matched exactly,
/// or ignoring ASCII case when `fold_case`), and returns the number and the
/// unit's factor.
fn number_with_unit<T: Copy>(
    text: &str,
    units: &[(&str, T)],
    fold_case: bool,
) -> Result<(Decimal, T), UnitError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(UnitError::Empty);
    }
    let (number, unit) = split_number(text);
    let unit = unit.trim_start();
    if number.is_empty() || number == "+" || number == "-" {
        return Err(UnitError::MissingNumber);
    }
    let value = parse_decimal(number)?;
    if unit.is_empty() {
        return Err(UnitError::MissingUnit);
    }
    let factor = units
        .iter()
        .find(|(name, _)| {
            if fold_case {
                name.eq_ignore_ascii_case(unit)
            } else {
                *name == unit
            }
        })
        .map(|&(_, f)| f)
        .ok_or_else(|| UnitError::UnknownUnit(unit.to_string()))?;
    if value.negative && !value.is_zero() {
        return Err(UnitError::Negative);
    }
    Ok((value, factor))
}

/// Parses a duration such as `"10ms"`, `"0.5us"`, `"2s"` into nanoseconds,
/// rounded to the nearest nanosecond. Units: `ns`, `us` (or `µs`), `ms`, `s`.
pub fn parse_duration(text: &str) -> Result<Nanos, UnitError> {
    let (value, factor) = number_with_unit(text, DURATION_UNITS, false)?;
    value.times(factor)
}

/// Parses a size such as `"20MB"`, `"512KiB"`, `"100B"` into bytes, rounded
/// to the nearest byte. `KB`, `MB`, `GB` are powers of 1000, `KiB`, `MiB`,
/// `GiB` powers of 1024; units ignore ASCII case.
pub fn parse_size(text: &str) -> Result<u64, UnitError> {
    let (value, factor) = number_with_unit(text, SIZE_UNITS, true)?;
    value.times(factor)
}

/// Parses a rate such as `"200/s"`, `"5/ms"`, `"30/min"` into events per
/// second. The rate must be greater than zero.
pub fn parse_rate(text: &str) -> Result<f64, UnitError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(UnitError::Empty);
    }
    let Some((number, unit)) = text.split_once('/') else {
        let (number, _) = split_number(text);
        return Err(if number.is_empty() {
            UnitError::MissingNumber
        } else {
            UnitError::MissingUnit
        });
    };
    let (number, unit) = (number.trim(), unit.trim());
    if number.is_empty() {
        return Err(UnitError::MissingNumber);
    }
    let (digits, rest) = split_number(number);
    if !rest.is_empty() || digits.is_empty() {
        return Err(UnitError::BadNumber(number.to_string()));
    }
    let value = parse_decimal(digits)?;
    if unit.is_empty() {
        return Err(UnitError::MissingUnit);
    }
    let seconds = RATE_UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|&(_, s)| s)
        .ok_or_else(|| UnitError::UnknownUnit(unit.to_string()))?;
    if value.negative && !value.is_zero() {
        return Err(UnitError::Negative);
    }
    if value.is_zero() {
        return Err(UnitError::Zero);
    }
    let per_second = value.to_f64() / seconds;
    if per_second.is_finite() {
        Ok(per_second)
    } else {
        Err(UnitError::TooLarge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10ms"), Ok(10_000_000));
        assert_eq!(parse_duration("0.5us"), Ok(500));
        assert_eq!(parse_duration("2.5ms"), Ok(2_500_000));
        assert_eq!(parse_duration("1s"), Ok(1_000_000_000));
        assert_eq!(parse_duration("7ns"), Ok(7));
        assert_eq!(parse_duration("3µs"), Ok(3_000));
        assert_eq!(parse_duration("1_000us"), Ok(1_000_000));
        assert_eq!(parse_duration(".5ms"), Ok(500_000));
        assert_eq!(parse_duration("5.ms"), Ok(5_000_000));
        assert_eq!(parse_duration("0s"), Ok(0));
        assert_eq!(parse_duration("-0ms"), Ok(0));
        assert_eq!(parse_duration(" 10 ms "), Ok(10_000_000));
    }

    #[test]
    fn durations_round_to_nearest_ns() {
        assert_eq!(parse_duration("0.4ns"), Ok(0));
        assert_eq!(parse_duration("0.5ns"), Ok(1));
        assert_eq!(parse_duration("1.0000004ms"), Ok(1_000_000));
        assert_eq!(parse_duration("1.0000005ms"), Ok(1_000_001));
        assert_eq!(
            parse_duration("0.333333333333333333333333333333333333333333333s"),
            Ok(333_333_333)
        );
    }

    #[test]
    fn duration_errors() {
        assert_eq!(
            parse_duration("10mz"),
            Err(UnitError::UnknownUnit("mz".into()))
        );
        assert_eq!(
            parse_duration("10MS"),
            Err(UnitError::UnknownUnit("MS".into()))
        );
        assert_eq!(parse_duration("10"), Err(UnitError::MissingUnit));
        assert_eq!(parse_duration("ms"), Err(UnitError::MissingNumber));
        assert_eq!(parse_duration(""), Err(UnitError::Empty));
        assert_eq!(parse_duration("-5ms"), Err(UnitError::Negative));
        assert_eq!(
            parse_duration("1.2.3ms"),
            Err(UnitError::BadNumber("1.2.3".into()))
        );
        assert_eq!(
            parse_duration("1__0ms"),
            Err(UnitError::BadNumber("1__0".into()))
        );
        assert_eq!(parse_duration("100000000000s"), Err(UnitError::TooLarge));
        assert_eq!(
            parse_duration("1000000000000000000000000000000000000000000000s"),
            Err(UnitError::TooLarge)
        );
        assert_eq!(parse_duration("-ms"), Err(UnitError::MissingNumber));
        assert_eq!(parse_duration("."), Err(UnitError::BadNumber(".".into())));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("20MB"), Ok(20_000_000));
        assert_eq!(parse_size("512KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("1GB"), Ok(1_000_000_000));
        assert_eq!(parse_size("100B"), Ok(100));
        assert_eq!(parse_size("64KB"), Ok(64_000));
        assert_eq!(parse_size("1.5MiB"), Ok(1_572_864));
        assert_eq!(parse_size("2mb"), Ok(2_000_000));
        assert_eq!(parse_size("2"), Err(UnitError::MissingUnit));
        assert_eq!(parse_size("2XB"), Err(UnitError::UnknownUnit("XB".into())));
        assert_eq!(parse_size("-2MB"), Err(UnitError::Negative));
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("200/s"), Ok(200.0));
        assert_eq!(parse_rate("2/ms"), Ok(2000.0));
        assert_eq!(parse_rate("30/min"), Ok(0.5));
        assert_eq!(parse_rate("0.5 / s"), Ok(0.5));
        assert_eq!(parse_rate("0/s"), Err(UnitError::Zero));
        assert_eq!(parse_rate("-1/s"), Err(UnitError::Negative));
        assert_eq!(parse_rate("200"), Err(UnitError::MissingUnit));
        assert_eq!(parse_rate("200/"), Err(UnitError::MissingUnit));
        assert_eq!(parse_rate("/s"), Err(UnitError::MissingNumber));
        assert_eq!(
            parse_rate("200/day"),
            Err(UnitError::UnknownUnit("day".into()))
        );
        assert_eq!(parse_rate("2x/s"), Err(UnitError::BadNumber("2x".into())));
    }
}
