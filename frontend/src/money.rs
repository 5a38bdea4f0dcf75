//! Showing money: amounts travel as integer minor units plus an ISO 4217 code, and only
//! become text at the last moment.

/// How many minor units make a major unit, as a power of ten, for the currency.
fn exponent(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
        _ => 2,
    }
}

fn symbol(currency: &str) -> Option<&'static str> {
    Some(match currency {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        _ => return None,
    })
}

/// Formats an amount for people: `$1,234.50`, `€0.99`, `-$3.00`, `12.500 KWD`.
pub fn format(amount_minor: i64, currency: &str) -> String {
    let exponent = exponent(currency);
    let scale = 10u64.pow(exponent);
    let magnitude = amount_minor.unsigned_abs();
    let major = group_thousands(magnitude / scale);
    let number = if exponent == 0 {
        major
    } else {
        let minor = magnitude % scale;
        format!("{major}.{minor:0width$}", width = exponent as usize)
    };
    let sign = if amount_minor < 0 { "-" } else { "" };
    match symbol(currency) {
        Some(symbol) => format!("{sign}{symbol}{number}"),
        None => format!("{sign}{number} {currency}"),
    }
}

fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// Reads what a shopper types into a price box ("12", "12.5", "1,299.99") as minor
/// units of the currency. `None` for anything that is not a non-negative amount with at
/// most as many decimals as the currency has.
pub fn parse(text: &str, currency: &str) -> Option<i64> {
    let text = text.trim().replace(',', "");
    let text = symbol(currency)
        .and_then(|symbol| text.strip_prefix(symbol))
        .unwrap_or(&text);
    let exponent = exponent(currency) as usize;
    let (major, minor) = text.split_once('.').unwrap_or((text, ""));
    let all_digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    if major.is_empty() && minor.is_empty() || !all_digits(major) || !all_digits(minor) {
        return None;
    }
    if minor.len() > exponent || (exponent == 0 && text.contains('.')) {
        return None;
    }
    let major: i64 = if major.is_empty() {
        0
    } else {
        major.parse().ok()?
    };
    let minor_value: i64 = if minor.is_empty() {
        0
    } else {
        format!("{minor:0<exponent$}").parse().ok()?
    };
    major
        .checked_mul(10i64.pow(exponent as u32))?
        .checked_add(minor_value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_minor_units_with_the_currency_symbol_and_grouping() {
        assert_eq!(format(0, "USD"), "$0.00");
        assert_eq!(format(5, "USD"), "$0.05");
        assert_eq!(format(123_450, "USD"), "$1,234.50");
        assert_eq!(format(100_000_000, "EUR"), "€1,000,000.00");
        assert_eq!(format(-300, "GBP"), "-£3.00");
        assert_eq!(format(1500, "JPY"), "¥1,500");
        assert_eq!(format(12_500, "KWD"), "12.500 KWD");
        assert_eq!(format(999, "CHF"), "9.99 CHF");
    }

    #[test]
    fn parses_what_shoppers_type_into_minor_units() {
        assert_eq!(parse("12", "USD"), Some(1200));
        assert_eq!(parse(" 12.5 ", "USD"), Some(1250));
        assert_eq!(parse("$1,299.99", "USD"), Some(129_999));
        assert_eq!(parse(".99", "USD"), Some(99));
        assert_eq!(parse("0", "USD"), Some(0));
        assert_eq!(parse("1500", "JPY"), Some(1500));
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        for text in [
            "",
            ".",
            "-1",
            "1.234",
            "abc",
            "1e3",
            "12.3.4",
            "99999999999999999999",
        ] {
            assert_eq!(parse(text, "USD"), None, "{text:?}");
        }
        assert_eq!(parse("15.5", "JPY"), None);
    }
}
