//! Length and emptiness rules shared by names, values and options.

/// Webex limits names, values and option values to 120 characters.
pub const MAX_CHARS: usize = 120;

/// Why a text field was refused, to be prefixed with the field's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    Empty,
    TooLong(usize),
}

impl TextProblem {
    /// The description Webex-style: `'<field>' cannot be empty`.
    pub fn describe(self, field: &str) -> String {
        match self {
            TextProblem::Empty => format!("'{field}' cannot be empty"),
            TextProblem::TooLong(n) => format!(
                "'{field}' exceeds the maximum length of {MAX_CHARS} characters ({n} given)"
            ),
        }
    }
}

/// Checks a required text: present, not blank, at most 120 Unicode characters
/// (characters, not bytes, so `é` or `日` count as one).
pub fn check(text: Option<&str>) -> Result<&str, TextProblem> {
    let text = text.unwrap_or_default();
    if text.trim().is_empty() {
        return Err(TextProblem::Empty);
    }
    let n = text.chars().count();
    if n > MAX_CHARS {
        return Err(TextProblem::TooLong(n));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_empty_and_blank_are_empty() {
        assert_eq!(check(None), Err(TextProblem::Empty));
        assert_eq!(check(Some("")), Err(TextProblem::Empty));
        assert_eq!(check(Some("  \t")), Err(TextProblem::Empty));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let ok = "日".repeat(120);
        assert_eq!(ok.len(), 360);
        assert_eq!(check(Some(&ok)), Ok(ok.as_str()));
        let long = "é".repeat(121);
        assert_eq!(check(Some(&long)), Err(TextProblem::TooLong(121)));
        assert_eq!(check(Some(&"a".repeat(120))).map(str::len), Ok(120));
    }

    #[test]
    fn descriptions_name_the_field() {
        assert_eq!(
            TextProblem::Empty.describe("siteUrl"),
            "'siteUrl' cannot be empty"
        );
        assert!(TextProblem::TooLong(121)
            .describe("trackingCodes[0].name")
            .starts_with("'trackingCodes[0].name' exceeds the maximum length of 120"));
    }
}
