//! `/api/v1/docs`: the OpenAPI document rendered as one plain HTML page in Vigil's
//! style. Server-rendered from the same document as `/api/v1/openapi.json`, so it needs
//! no script, no download at build time and no third-party asset.

use app::text::escape_markup as esc;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

/// Page and stylesheet only: the docs run no script.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'";

pub fn respond(page: &str) -> Response {
    let mut response = Html(page.to_owned()).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    response
}

/// Text with `code` spans, escaped.
fn prose(text: &str) -> String {
    esc(text)
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_owned()
            }
        })
        .collect()
}

/// A schema's short name: the referenced component, or its type.
fn type_name(schema: &Value) -> String {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return reference.rsplit('/').next().unwrap_or(reference).to_owned();
    }
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        return options
            .iter()
            .map(type_name)
            .collect::<Vec<_>>()
            .join(" or ");
    }
    match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_owned(),
    }
}

fn schema_table(name: &str, schema: &Value) -> String {
    let mut out = format!(
        "<section class=\"card stack\" id=\"schema-{0}\"><h3>{0}</h3>",
        esc(name)
    );
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        out.push_str(
            "<div class=\"table-wrap\"><table class=\"table\"><thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Type</th><th scope=\"col\">Required</th><th scope=\"col\">About</th></tr></thead><tbody>",
        );
        for (field, property) in properties {
            let format = property
                .get("format")
                .and_then(Value::as_str)
                .map(|f| format!(" ({f})"))
                .unwrap_or_default();
            out.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}{}</td><td>{}</td><td>{}</td></tr>",
                esc(field),
                esc(&type_name(property)),
                esc(&format),
                if required.contains(&field.as_str()) {
                    "yes"
                } else {
                    "no"
                },
                prose(
                    property
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                )
            ));
        }
        out.push_str("</tbody></table></div>");
    }
    out.push_str("</section>");
    out
}

/// The whole page.
pub fn render(doc: &utoipa::openapi::OpenApi) -> String {
    let doc = serde_json::to_value(doc).unwrap_or_default();
    let info = &doc["info"];
    let mut body = String::new();
    body.push_str(&format!(
        "<header class=\"page-header\"><h1>{}</h1><p class=\"page-header__lede\">{}</p><p>OpenAPI {} document: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a> (load it into any OpenAPI tool). <a href=\"/account\">Create a token</a> under My account.</p></header>",
        esc(info["title"].as_str().unwrap_or("API")),
        prose(info["description"].as_str().unwrap_or("")),
        esc(doc["openapi"].as_str().unwrap_or(""))
    ));
    body.push_str("<nav class=\"card stack\" aria-labelledby=\"endpoints-title\"><h2 id=\"endpoints-title\">Endpoints</h2><ul>");
    let mut sections = String::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "patch", "put", "delete"] {
                let Some(op) = item.get(method) else { continue };
                let id = format!(
                    "{method}-{}",
                    path.replace(['/', '{', '}', '.'], "-").trim_matches('-')
                );
                let upper = method.to_uppercase();
                body.push_str(&format!(
                    "<li><a href=\"#{id}\"><code>{upper} {}</code></a></li>",
                    esc(path)
                ));
                sections.push_str(&format!(
                    "<section class=\"card stack\" id=\"{id}\"><h2><code>{upper} {}</code></h2>",
                    esc(path)
                ));
                if let Some(text) = op.get("summary").and_then(Value::as_str) {
                    sections.push_str(&format!("<p>{}</p>", prose(text)));
                }
                if let Some(text) = op.get("description").and_then(Value::as_str) {
                    sections.push_str(&format!("<p>{}</p>", prose(text)));
                }
                if let Some(params) = op.get("parameters").and_then(Value::as_array) {
                    sections.push_str("<h3>Parameters</h3><div class=\"table-wrap\"><table class=\"table\"><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">In</th><th scope=\"col\">Type</th><th scope=\"col\">Required</th><th scope=\"col\">About</th></tr></thead><tbody>");
                    for p in params {
                        sections.push_str(&format!(
                            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                            esc(p["name"].as_str().unwrap_or("")),
                            esc(p["in"].as_str().unwrap_or("")),
                            esc(&type_name(&p["schema"])),
                            if p["required"].as_bool() == Some(true) { "yes" } else { "no" },
                            prose(p["description"].as_str().unwrap_or(""))
                        ));
                    }
                    sections.push_str("</tbody></table></div>");
                }
                if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
                    let name = type_name(schema);
                    sections.push_str(&format!(
                        "<h3>Body</h3><p>JSON: <a href=\"#schema-{0}\">{0}</a></p>",
                        esc(&name)
                    ));
                }
                if let Some(responses) = op.get("responses").and_then(Value::as_object) {
                    sections.push_str("<h3>Answers</h3><ul>");
                    for (status, answer) in responses {
                        sections.push_str(&format!(
                            "<li><strong>{}</strong> {}</li>",
                            esc(status),
                            prose(answer["description"].as_str().unwrap_or(""))
                        ));
                    }
                    sections.push_str("</ul>");
                }
                sections.push_str("</section>");
            }
        }
    }
    body.push_str("</ul></nav>");
    body.push_str(&sections);
    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        body.push_str("<h2>Schemas</h2>");
        for (name, schema) in schemas {
            body.push_str(&schema_table(name, schema));
        }
    }
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{} · Vigil</title><link rel=\"stylesheet\" href=\"/pkg/vigil.css\"></head><body><main class=\"main\" id=\"main\"><div class=\"page stack\">{body}</div></main></body></html>",
        esc(info["title"].as_str().unwrap_or("API"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_escapes_and_marks_code() {
        assert_eq!(prose("a `<b>` & c"), "a <code>&lt;b&gt;</code> &amp; c");
    }

    #[test]
    fn type_names_follow_references_and_unions() {
        let schema = serde_json::json!({"$ref": "#/components/schemas/ApiError"});
        assert_eq!(type_name(&schema), "ApiError");
        let schema = serde_json::json!({"type": ["integer", "null"]});
        assert_eq!(type_name(&schema), "integer or null");
        assert_eq!(type_name(&serde_json::json!({})), "any");
    }
}
