//! The request date: RFC 2822, as Python's `email.utils.formatdate()` writes it
//! (`Tue, 21 Aug 2012 17:29:18 -0000`), with the zone also accepted as `GMT`, `UT` or `UTC` (as
//! RFC 1123 dates and some clients write it).

use time::format_description::well_known::Rfc2822;
use time::OffsetDateTime;

/// The instant `text` names, or `None` when it is not an RFC 2822 date.
pub fn parse_date(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    if let Ok(date) = OffsetDateTime::parse(text, &Rfc2822) {
        return Some(date);
    }
    // RFC 2822 §4.3 obsolete zone names for UTC, and "-0000" ("UTC, no local offset known").
    let (head, zone) = text.rsplit_once(' ')?;
    if matches!(zone, "GMT" | "UT" | "UTC" | "Z" | "-0000") {
        return OffsetDateTime::parse(&format!("{head} +0000"), &Rfc2822).ok();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_and_go_dates_parse_to_the_same_instant() {
        let python = parse_date("Tue, 21 Aug 2012 17:29:18 -0000");
        assert_eq!(python.map(|d| d.unix_timestamp()), Some(1_345_570_158));
        assert_eq!(parse_date("Tue, 21 Aug 2012 17:29:18 +0000"), python);
        assert_eq!(parse_date("Tue, 21 Aug 2012 17:29:18 GMT"), python);
        assert_eq!(parse_date("Tue, 21 Aug 2012 19:29:18 +0200"), python);
    }

    #[test]
    fn other_text_is_not_a_date() {
        for text in [
            "",
            "yesterday",
            "2012-08-21T17:29:18Z",
            "Tue, 21 Aug 2012 17:29:18 XYZ",
        ] {
            assert_eq!(parse_date(text), None, "{text}");
        }
    }
}
