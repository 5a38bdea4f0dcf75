//! The write-a-review form's checks. The limits are the Reviews contract's: each field
//! is converted to its generated type, which enforces the spec's length and pattern, and
//! only the wording of the message is the storefront's own.

use reviews_api::types::{AuthorName, ReviewBody, ReviewInput, ReviewTitle, Stars};

/// Limits the messages name; a test checks them against the generated types.
pub const AUTHOR_MAX: usize = 60;
pub const TITLE_MAX: usize = 120;
pub const BODY_MAX: usize = 5000;

/// What the shopper has typed so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Draft {
    pub author: String,
    pub rating: Option<u8>,
    pub title: String,
    pub body: String,
}

/// One message per field that is not acceptable yet.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Problems {
    pub author: Option<String>,
    pub rating: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
}

/// Checks a text field: the generated type decides, the message explains.
fn check<T: std::str::FromStr>(text: &str, what: &str, max: usize) -> Result<T, String> {
    text.parse::<T>().map_err(|_| {
        if text.trim().is_empty() {
            format!("Please write {what}.")
        } else if text.chars().count() > max {
            format!("Please keep {what} to {max} characters or fewer.")
        } else {
            format!("Please remove unusual characters from {what}.")
        }
    })
}

impl Draft {
    /// The request to send, or what to fix first.
    pub fn validate(&self) -> Result<ReviewInput, Problems> {
        let author = check::<AuthorName>(&self.author, "your name", AUTHOR_MAX);
        let title = check::<ReviewTitle>(&self.title, "a title", TITLE_MAX);
        let body = check::<ReviewBody>(&self.body, "your review", BODY_MAX);
        let rating = self
            .rating
            .and_then(|stars| std::num::NonZeroU32::new(stars.into()))
            .filter(|stars| stars.get() <= 5)
            .map(Stars)
            .ok_or_else(|| "Please choose from 1 to 5 stars.".to_owned());
        match (author, rating, title, body) {
            (Ok(author), Ok(rating), Ok(title), Ok(body)) => Ok(ReviewInput {
                attributes: None,
                author,
                body,
                rating,
                title,
            }),
            (author, rating, title, body) => Err(Problems {
                author: author.err(),
                rating: rating.err(),
                title: title.err(),
                body: body.err(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> Draft {
        Draft {
            author: "Ada".to_owned(),
            rating: Some(4),
            title: "Comfortable".to_owned(),
            body: "Wore them for a week of walking.".to_owned(),
        }
    }

    #[test]
    fn a_complete_draft_becomes_the_request() {
        let input = complete().validate().expect("a valid draft");
        assert_eq!(input.title.as_str(), "Comfortable");
        assert_eq!(input.rating.0.get(), 4);
    }

    #[test]
    fn an_empty_or_blank_title_is_asked_for() {
        for title in ["", "   "] {
            let problems = Draft {
                title: title.to_owned(),
                ..complete()
            }
            .validate()
            .expect_err("a title is required");
            assert_eq!(problems.title.as_deref(), Some("Please write a title."));
            assert_eq!(problems.author, None);
        }
    }

    #[test]
    fn every_missing_field_is_reported_at_once() {
        let problems = Draft::default().validate().expect_err("nothing filled in");
        assert!(problems.author.is_some());
        assert!(problems.rating.is_some());
        assert!(problems.title.is_some());
        assert!(problems.body.is_some());
    }

    #[test]
    fn the_limits_are_the_contracts() {
        let at = |max: usize| "x".repeat(max);
        assert!(at(AUTHOR_MAX).parse::<AuthorName>().is_ok());
        assert!(at(AUTHOR_MAX + 1).parse::<AuthorName>().is_err());
        assert!(at(TITLE_MAX).parse::<ReviewTitle>().is_ok());
        assert!(at(TITLE_MAX + 1).parse::<ReviewTitle>().is_err());
        assert!(at(BODY_MAX).parse::<ReviewBody>().is_ok());
        assert!(at(BODY_MAX + 1).parse::<ReviewBody>().is_err());
    }

    #[test]
    fn too_long_text_names_the_limit() {
        let problems = Draft {
            title: "é".repeat(TITLE_MAX + 1),
            ..complete()
        }
        .validate()
        .expect_err("too long");
        assert_eq!(
            problems.title.as_deref(),
            Some("Please keep a title to 120 characters or fewer.")
        );
    }

    #[test]
    fn stars_outside_one_to_five_are_refused() {
        for rating in [None, Some(0), Some(6)] {
            let problems = Draft {
                rating,
                ..complete()
            }
            .validate()
            .expect_err("stars out of range");
            assert!(problems.rating.is_some(), "{rating:?}");
        }
    }
}
