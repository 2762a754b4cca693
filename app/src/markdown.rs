//! Markdown written by people (notes, summaries, postmortems) turned into HTML that is
//! safe to put in a page: rendered with pulldown-cmark, then cleaned by an ammonia
//! allow-list (no scripts, no event handlers, no `javascript:` URLs; links that leave
//! the site get `rel="noopener noreferrer nofollow"`).

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{Options, Parser, html};

/// Renders `markdown` to sanitised HTML.
pub fn render(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TASKLISTS);
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    with_alt_text(&SANITIZER.clean(&unsafe_html).to_string())
}

/// `text` as Markdown that renders as exactly that text: every ASCII punctuation mark
/// escaped, so a title from another system (a change, an alert) never becomes a link,
/// emphasis or markup inside a timeline event.
pub fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Gives every image without alternative text an empty one (marked decorative), so that
/// an `<img>` someone typed does not leave the page inaccessible. `html` is the sanitiser's
/// output, whose attribute values are always double-quoted.
fn with_alt_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("<img") {
        let (before, tag_start) = rest.split_at(at);
        out.push_str(before);
        let mut quoted = false;
        let end = tag_start
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    quoted = !quoted;
                }
                c == '>' && !quoted
            })
            .map_or(tag_start.len(), |(i, _)| i);
        let tag = &tag_start[..end];
        let has_alt = tag
            .split('"')
            .step_by(2)
            .any(|outside| outside.contains(" alt="));
        if has_alt {
            out.push_str(tag);
        } else {
            out.push_str(tag);
            out.push_str(" alt=\"\"");
        }
        rest = &tag_start[end..];
    }
    out.push_str(rest);
    out
}

/// Built once: a builder holds a dozen allow-list sets, and building them cost more than
/// cleaning a typical timeline note.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(sanitizer);

fn sanitizer() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        // Task lists (`- [x]`) are the only inputs Markdown makes: whatever an `<input>` was
        // written as, it comes out a disabled checkbox, never a field or a button.
        .add_tags(["input"])
        .add_tag_attributes("input", ["checked"])
        .set_tag_attribute_value("input", "type", "checkbox")
        .set_tag_attribute_value("input", "disabled", "");
    builder
}

#[cfg(test)]
mod tests {
    use super::{literal, render};

    #[test]
    fn literal_text_renders_as_itself() {
        for text in [
            "Deploy <img src=x onerror=alert(1)>",
            "**bold** [link](javascript:alert(1)) `code` # heading",
            "a\\b_c_ ~~d~~ &amp; 1. item",
        ] {
            let html = render(&literal(text));
            let shown = html
                .trim()
                .trim_start_matches("<p>")
                .trim_end_matches("</p>");
            let unescaped = shown
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&amp;", "&");
            assert_eq!(unescaped, text, "{html}");
        }
    }

    #[test]
    fn every_image_has_alternative_text() {
        let html = render(
            "![a chart](https://example.com/c.png) <img src=\"https://example.com/x.png\" title=\"alt= >\">",
        );
        assert!(html.contains("alt=\"a chart\""), "{html}");
        assert_eq!(html.matches(" alt=").count(), 2, "{html}");
        assert!(
            html.contains("title=\"alt= &gt;\" alt=\"\">")
                || html.contains("title=\"alt= >\" alt=\"\">"),
            "{html}"
        );
    }

    #[test]
    fn the_only_input_is_a_disabled_checkbox() {
        let html = render(
            "- [x] done\n- [ ] open\n\n<input type=\"text\" name=\"password\" value=\"x\"> <input type=submit formaction=/logout> <input type=image src=x>",
        );
        assert_eq!(html.matches("<input").count(), 5, "{html}");
        assert_eq!(html.matches("type=\"checkbox\"").count(), 5, "{html}");
        assert_eq!(html.matches("disabled=\"\"").count(), 5, "{html}");
        for bad in ["text", "submit", "image", "formaction", "password", "src="] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
    }

    #[test]
    fn markdown_is_rendered() {
        assert_eq!(
            render("**bold** and `code`"),
            "<p><strong>bold</strong> and <code>code</code></p>\n"
        );
        assert!(render("| a |\n|---|\n| b |").contains("<table>"));
        assert!(render("- [x] done").contains("checkbox"));
    }

    #[test]
    fn scripts_and_event_handlers_are_removed() {
        let html = render(
            "<script>alert(1)</script><img src=x onerror=alert(1)><b onclick=\"x()\">hi</b>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
        assert!(html.contains("<b>hi</b>"), "{html}");
    }

    #[test]
    fn javascript_urls_are_dropped_and_links_get_rel() {
        let html = render(
            "[x](javascript:alert(1)) [y](https://example.com) <a href=\"data:text/html,hi\">z</a>",
        );
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("data:"), "{html}");
        assert!(
            html.contains(r#"href="https://example.com" rel="noopener noreferrer nofollow""#),
            "{html}"
        );
    }

    #[test]
    fn styles_and_frames_do_not_survive() {
        let html = render(
            "<iframe src=\"https://evil.example\"></iframe><p style=\"position:fixed\">x</p>",
        );
        assert!(!html.contains("iframe"), "{html}");
        assert!(!html.contains("style="), "{html}");
    }

    /// Known payloads (OWASP's filter evasion list and friends) come out inert: no
    /// script element, no event handler attribute, no script-capable URL.
    #[test]
    fn known_xss_payloads_come_out_inert() {
        let payloads = [
            "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
            "<IMG SRC=\"javascript:alert('XSS');\">",
            "<IMG SRC=javascript:alert('XSS')>",
            "<IMG SRC=JaVaScRiPt:alert('XSS')>",
            "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)>",
            "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
            "<svg/onload=alert(1)>",
            "<svg><script>alert(1)</script></svg>",
            "<body onload=alert(1)>",
            "<details open ontoggle=alert(1)>",
            "<a href=\"javascript&colon;alert(1)\">x</a>",
            "[x](JAVASCRIPT:alert(1))",
            "[x](vbscript:msgbox(1))",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "![x](javascript:alert(1))",
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
            "<object data=\"javascript:alert(1)\">",
            "<embed src=\"javascript:alert(1)\">",
            "<form action=\"javascript:alert(1)\"><button>x</button></form>",
            "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
            "<link rel=stylesheet href=\"javascript:alert(1)\">",
            "<input autofocus onfocus=alert(1)>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
            "<<script>alert(1)//<</script>",
            "<scr<script>ipt>alert(1)</script>",
        ];
        for payload in payloads {
            let html = render(payload).to_lowercase();
            for bad in [
                "<script",
                "javascript:",
                "vbscript:",
                "data:text",
                " on",
                "<svg",
                "<iframe",
                "<object",
                "<embed",
                "<form",
                "<meta",
                "<link",
                "<style",
                "style=",
            ] {
                // " on" catches attributes like ` onerror=`; text outside tags is escaped.
                let in_tag = html.split('<').skip(1).any(|tag| {
                    tag.split('>')
                        .next()
                        .unwrap_or("")
                        .contains(bad.trim_start_matches('<'))
                });
                let found = if bad.starts_with('<') {
                    html.contains(bad)
                } else {
                    in_tag
                };
                assert!(!found, "{payload:?} left {bad:?} in {html:?}");
            }
        }
    }
}
