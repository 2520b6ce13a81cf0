//! Names people give things (tenants, directory syncs, connections): one rule for every front door, and
//! the same cap the window's forms use (they ask for it, see `limits`).

use crate::error::{ApiError, Result};

/// The longest name, in characters.
pub const NAME_MAX: usize = 100;

/// Checks a name and returns it trimmed: 1 to [`NAME_MAX`] characters, no control characters (a tab, a
/// line break or NUL in a name breaks lists, files and logs). `what` names the thing for the message.
pub fn check_name(what: &str, name: &str) -> Result<String> {
    let name = name.trim();
    let len = name.chars().count();
    if len == 0 || len > NAME_MAX {
        return Err(ApiError::validation(format!(
            "A {what} name must have 1 to {NAME_MAX} characters; this one has {len}."
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::validation(format!(
            "A {what} name cannot contain control characters (tabs, line breaks, NUL). Type the name again without them."
        )));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_capped_by_characters_and_free_of_control_characters() {
        assert_eq!(check_name("tenant", "  Acme  ").unwrap(), "Acme");
        assert!(
            check_name("tenant", &"é".repeat(NAME_MAX)).is_ok(),
            "the cap counts characters, not bytes"
        );
        assert!(check_name("tenant", &"é".repeat(NAME_MAX + 1)).is_err());
        for bad in ["", "   ", "a\u{0}b", "line\nbreak", "esc\u{1b}[31m"] {
            assert!(check_name("tenant", bad).is_err(), "{bad:?} is refused");
        }
    }
}
