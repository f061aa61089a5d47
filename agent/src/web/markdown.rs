//! Markdown written by staff (achievement criteria, descriptions) as safe HTML, for every page
//! that shows it (the public badge page, the console).
//!
//! The text comes from a credential, so from anyone: `pulldown-cmark` (CommonMark) turns it into
//! HTML and `ammonia` then keeps only harmless tags and attributes. Raw HTML in the source is
//! dropped by the sanitiser, not trusted; links get `rel="nofollow noopener noreferrer"`, and only
//! `https`, `http` and `mailto` links survive. Images are removed: the pages' CSP would block
//! outside images anyway, and a criteria text has no business loading them.

use pulldown_cmark::{Options, Parser, html};

/// Longest Markdown source rendered; longer text is cut (criteria are a few paragraphs).
const MAX_SOURCE: usize = 64 * 1024;

/// `source` (CommonMark with tables and strikethrough) as sanitised HTML.
// ammonia's builder takes HashSets; they are only looked up, so their order never reaches
// the output.
#[allow(clippy::disallowed_types)]
pub(crate) fn to_safe_html(source: &str) -> String {
    let source = match source.char_indices().nth(MAX_SOURCE) {
        Some((cut, _)) => source.get(..cut).unwrap_or(source),
        None => source,
    };
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut raw = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(source, options));
    let tags: std::collections::HashSet<&str> = [
        "a",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    ]
    .into_iter()
    .collect();
    ammonia::Builder::default()
        .tags(tags)
        // No h1/h2 (their text stays, as a paragraph's): the page's outline stays the page's.
        .clean_content_tags(["script", "style"].into_iter().collect())
        .url_schemes(["https", "http", "mailto"].into_iter().collect())
        .link_rel(Some("nofollow noopener noreferrer"))
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn a_list_renders_as_ul() {
        let html = to_safe_html("Do this:\n\n- write a crate\n- **publish** it\n");
        assert!(html.contains("<ul>"), "{html}");
        assert!(html.contains("<li>write a crate</li>"), "{html}");
        assert!(html.contains("<strong>publish</strong>"), "{html}");
    }

    #[test]
    fn script_does_not_survive() {
        let html = to_safe_html(
            "Hi <script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[x](javascript:alert(3))",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("alert(1)"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn links_are_kept_and_marked() {
        let html = to_safe_html("See [the rubric](https://example.org/rubric).");
        assert!(
            html.contains(
                "<a href=\"https://example.org/rubric\" rel=\"nofollow noopener noreferrer\">"
            ),
            "{html}"
        );
    }

    #[test]
    fn plain_text_stays_text() {
        assert_eq!(to_safe_html("Pass the exam."), "<p>Pass the exam.</p>\n");
        assert_eq!(to_safe_html(""), "");
    }
}
