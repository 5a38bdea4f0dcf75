//! Marking the words of a search in a product name, the way search results show them.

/// A piece of text, and whether it matched one of the search's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub text: String,
    pub matched: bool,
}

/// Splits `text` into segments so that every case-insensitive occurrence of a word of
/// `query` is its own matched segment. Words shorter than two characters are not marked.
pub fn segments(text: &str, query: &str) -> Vec<Segment> {
    let words: Vec<String> = query
        .split_whitespace()
        .map(str::to_lowercase)
        .filter(|word| word.chars().count() >= 2)
        .collect();
    // Which characters of `text` fall inside a match; lowercasing may change byte
    // lengths, so matches are found on characters, not bytes.
    let chars: Vec<char> = text.chars().collect();
    let lower: Vec<char> = chars
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let mut marked = vec![false; chars.len()];
    for word in &words {
        let word: Vec<char> = word.chars().collect();
        for start in 0..lower.len().saturating_sub(word.len() - 1) {
            if lower[start..start + word.len()] == word[..] {
                marked[start..start + word.len()].fill(true);
            }
        }
    }
    let mut segments: Vec<Segment> = Vec::new();
    for (c, matched) in chars.into_iter().zip(marked) {
        match segments.last_mut() {
            Some(last) if last.matched == matched => last.text.push(c),
            _ => segments.push(Segment {
                text: c.to_string(),
                matched,
            }),
        }
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(segments: &[Segment]) -> String {
        segments
            .iter()
            .map(|s| {
                if s.matched {
                    format!("[{}]", s.text)
                } else {
                    s.text.clone()
                }
            })
            .collect()
    }

    #[test]
    fn marks_every_word_of_the_query_whatever_its_case() {
        let marked = segments("Trail Running Shoe, trail edition", "TRAIL shoe");
        assert_eq!(render(&marked), "[Trail] Running [Shoe], [trail] edition");
    }

    #[test]
    fn overlapping_and_adjacent_matches_merge() {
        assert_eq!(
            render(&segments("Headphones", "head phones")),
            "[Headphones]"
        );
    }

    #[test]
    fn no_match_and_no_query_leave_the_text_alone() {
        assert_eq!(render(&segments("Desk Lamp", "kettle")), "Desk Lamp");
        assert_eq!(render(&segments("Desk Lamp", "   ")), "Desk Lamp");
        assert_eq!(render(&segments("Desk Lamp", "a")), "Desk Lamp");
        assert!(segments("", "lamp").is_empty());
    }

    #[test]
    fn text_outside_ascii_is_kept_whole() {
        assert_eq!(
            render(&segments("Crème brûlée set", "BRÛLÉE")),
            "Crème [brûlée] set"
        );
    }
}
