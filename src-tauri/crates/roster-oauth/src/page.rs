//! The page the browser shows when it comes back to Roster's loopback listener. Pure.

/// What the page says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Connected.
    Connected,
    /// Something went wrong: a headline and what to do.
    Failed(String),
    /// A stray answer (wrong or missing state): the sign-in is still waiting.
    NotThisSignIn,
}

pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The HTML page for `outcome` with `vendor`.
pub(crate) fn render(vendor: &str, outcome: &Outcome) -> String {
    let vendor = escape(vendor);
    let (title, mark, colour, body) = match outcome {
        Outcome::Connected => (
            format!("Roster is connected to {vendor}"),
            "&#10003;",
            "#1a7f37",
            "You can close this tab and go back to Roster.".to_string(),
        ),
        Outcome::Failed(message) => (
            format!("Roster was not connected to {vendor}"),
            "&#10007;",
            "#b42318",
            format!(
                "{}<br><br>You can close this tab; go back to Roster to try again.",
                escape(message)
            ),
        ),
        Outcome::NotThisSignIn => (
            "This answer does not belong to Roster's sign-in".to_string(),
            "!",
            "#9a6700",
            format!(
                "It may come from an earlier or another sign-in attempt. Roster is still waiting: finish the sign-in to {vendor} in the newest browser window Roster opened."
            ),
        ),
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
<title>{title}</title><style>body{{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;background:#f6f8fa;margin:0;color:#1f2328}}\
main{{max-width:32rem;margin:4rem auto;background:#fff;border:1px solid #d0d7de;border-radius:12px;padding:2rem 2.5rem;text-align:center}}\
.mark{{font-size:2.5rem;color:{colour}}}h1{{font-size:1.4rem}}p{{line-height:1.5}}</style></head>\
<body><main><div class=\"mark\">{mark}</div><h1 id=\"result\">{title}</h1><p>{body}</p></main></body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_say_what_happened_and_escape_text() {
        let ok = render("Okta", &Outcome::Connected);
        assert!(ok.contains("Roster is connected to Okta"));
        assert!(ok.contains("You can close this tab"));
        let bad = render("<b>", &Outcome::Failed("a & b".into()));
        assert!(bad.contains("&lt;b&gt;") && bad.contains("a &amp; b"));
        assert!(!bad.contains("<b>"));
    }
}
