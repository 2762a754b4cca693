//! User text inside raw-text elements.
//!
//! Leptos 0.8 writes the children of `<textarea>`, `<title>`, `<script>`, `<style>` and
//! `<noscript>` into server-rendered HTML without escaping them (it neither escapes nor
//! hydrates raw-text children). A summary containing `</textarea><meta http-equiv=refresh …>`
//! would close the element and become live markup for every viewer. User text therefore
//! reaches those elements only through this module: [`TextArea`] for form fields, and
//! [`raw_text`] for the rest (the document title). A test in this module keeps every other
//! `<textarea` out of the code base.

use leptos::prelude::*;

/// Text made safe to write verbatim between a raw-text element's tags on the server.
///
/// On the server `&`, `<` and `>` become entities: a textarea's content (escapable raw text)
/// decodes them back, so the field shows exactly the stored text, and the element can no
/// longer be closed from inside. In the browser the same view builds a DOM text node, which
/// is never parsed as markup, so the text stays as it is there.
pub fn raw_text(text: &str) -> String {
    if cfg!(feature = "ssr") {
        escape_for_html(text)
    } else {
        text.to_owned()
    }
}

fn escape_for_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The text a textarea starts with on the server. The HTML parser drops one newline right
/// after `<textarea>`, so text that starts with a newline gets an extra one to lose.
fn textarea_content(text: &str) -> String {
    let escaped = raw_text(text);
    if cfg!(feature = "ssr") && (text.starts_with('\n') || text.starts_with("\r\n")) {
        format!("\n{escaped}")
    } else {
        escaped
    }
}

/// A `<textarea>` holding user text; the only way Vigil renders one.
///
/// Event listeners and further attributes are added at the call site
/// (`<TextArea … on:input=… />`) and land on the element.
#[component]
pub fn TextArea(
    #[prop(into)] id: String,
    name: &'static str,
    /// The field's text as stored: any characters at all.
    #[prop(optional, into)]
    value: String,
    #[prop(default = 3)] rows: usize,
    #[prop(default = "field__input")] class: &'static str,
    #[prop(optional, into)] describedby: Option<String>,
    #[prop(optional)] required: bool,
    #[prop(optional)] maxlength: Option<usize>,
) -> impl IntoView {
    view! {
        <textarea
            class=class
            id=id
            name=name
            rows=rows.to_string()
            aria-describedby=describedby
            required=required
            maxlength=maxlength.map(|n| n.to_string())
        >
            {textarea_content(&value)}
        </textarea>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn closing_tags_and_entities_cannot_leave_the_element() {
        assert_eq!(
            raw_text("</textarea><script>alert(1)</script>&amp;"),
            "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;"
        );
        assert_eq!(raw_text("plain text, \"quoted\""), "plain text, \"quoted\"");
    }

    #[test]
    fn a_leading_newline_survives_the_parser() {
        assert_eq!(textarea_content("\nfirst"), "\n\nfirst");
        assert_eq!(textarea_content("first\n"), "first\n");
    }

    #[test]
    fn the_view_renders_escaped_text() {
        let html = view! { <TextArea id="f" name="body" value="</TEXTAREA ><img src=x onerror=alert(1)>" /> }
            .to_html();
        assert!(
            html.contains("&lt;/TEXTAREA &gt;&lt;img src=x onerror=alert(1)&gt;</textarea>"),
            "{html}"
        );
        assert_eq!(html.matches("<textarea").count(), 1, "{html}");
        assert!(!html.contains("<img"), "{html}");
    }

    /// Every textarea in the code base goes through [`TextArea`]: a raw `<textarea` with
    /// children anywhere else would reopen the hole this module closes.
    #[test]
    fn no_other_code_writes_a_textarea() {
        fn visit(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    visit(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("raw_text.rs")
                {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for (n, line) in text.lines().enumerate() {
                        if line.contains("<textarea") {
                            found.push(format!("{}:{}", path.display(), n + 1));
                        }
                    }
                }
            }
        }
        let mut found = Vec::new();
        visit(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        assert!(
            found.is_empty(),
            "textareas outside components::TextArea: {found:?}"
        );
    }
}
