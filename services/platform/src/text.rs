//! Checks on free text that every service applies at its edge.

/// A NUL character is never meaningful text, and PostgreSQL cannot store one, so text
/// holding one is refused with a message naming the field.
pub fn reject_nul(field: &str, value: &str) -> Result<(), String> {
    if value.contains('\0') {
        Err(format!("{field} must not contain NUL characters"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_refused_and_named() {
        assert_eq!(reject_nul("title", "fine"), Ok(()));
        assert_eq!(
            reject_nul("title", "a\0b"),
            Err("title must not contain NUL characters".to_owned())
        );
    }
}
