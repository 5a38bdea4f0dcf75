//! When two author names are the same name: "one review per author" compares names by
//! [`key`], so that a name cannot be entered again by writing it with letters that only
//! look the same. Names that look alike are one name here, even when two people really
//! have them ("Vern" and "Vem"); without accounts, that is the price of the rule.

use unicode_normalization::UnicodeNormalization;

/// The name as the unique index compares it:
///
/// 1. compatibility forms folded (NFKC: full-width "Ａｄａ" is "Ada");
/// 2. the UTS #39 skeleton: characters that look alike mapped to one prototype (a
///    Cyrillic "А" is a Latin "A", a capital "I" an "l"), and invisible characters such
///    as zero-width spaces dropped;
/// 3. lower case, and the skeleton of that (lower-casing first would lose the capitals
///    that look like other letters);
/// 4. runs of white space as one space, none at either end.
pub fn key(name: &str) -> String {
    let compatible: String = name.nfkc().collect();
    let skeleton: String = unicode_security::skeleton(&compatible).collect();
    let lower = skeleton.to_lowercase();
    let folded: String = unicode_security::skeleton(&lower).collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::key;

    #[test]
    fn names_written_to_look_the_same_are_one_name() {
        let ada = key("Ada Lovelace");
        for look_alike in [
            " ADA  lovelace ",
            "\u{410}da Lovelace",                // Cyrillic capital A
            "Ad\u{430} Lovelace",                // Cyrillic small a
            "Ada\u{200b} Lovelace",              // a zero-width space
            "\u{ff21}\u{ff44}\u{ff41} Lovelace", // full-width letters
            "Ada\u{a0}Lovelace",                 // a no-break space
            "A\u{200d}da Lovelace",              // a zero-width joiner
        ] {
            assert_eq!(key(look_alike), ada, "{look_alike:?}");
        }
        assert_eq!(key("BiII"), key("Bill"), "capital I looks like l");
        assert_eq!(key("J0hn"), key("John"), "zero looks like O");
    }

    #[test]
    fn different_names_stay_different() {
        for (one, other) in [("Ada", "Eve"), ("Ada", "Adam"), ("Zoë", "Zoe Smith")] {
            assert_ne!(key(one), key(other), "{one} and {other}");
        }
    }
}
