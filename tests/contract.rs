//! The embedding contract cannot drift from the code: the TypeScript types of the rules, the
//! upload endpoint and backoff, the check ids and the event map in `src/web/element.d.ts` are
//! written from the Rust types (their fields, doc comments and defaults), the events table in
//! `docs/embedding.md` from [`DomEvent`], and the attributes the loader observes, the options
//! type and the documented attributes must be the ones the component reads; the rules table of
//! `docs/checks.md` is written from [`Rules`], and the checks tables of `docs/checks.md` and
//! `docs/standard.md` name every [`CheckId`] once. A difference fails;
//! `GRADCAP_BLESS=1 cargo test --test contract` rewrites the generated parts.

use gradcap::checks::{CheckId, Rules};
use gradcap::events::DomEvent;
use gradcap::upload::{Backoff, Endpoint};
use serde_json::Value;
use std::path::Path;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `text` with the part between the `begin` and `end` marker lines replaced by `generated`
/// (markers kept); panics when the markers are missing.
fn splice(text: &str, begin: &str, end: &str, generated: &str) -> String {
    let start = text.find(begin).unwrap_or_else(|| panic!("no marker {begin:?}"));
    let body = text[start..].find('\n').map(|i| start + i + 1).expect("a line after the marker");
    let stop = body + text[body..].find(end).unwrap_or_else(|| panic!("no marker {end:?}"));
    format!("{}{generated}{}", &text[..body], &text[stop..])
}

/// Checks (or with `GRADCAP_BLESS=1` rewrites) the generated part of the file at `path`.
fn holds(path: &str, begin: &str, end: &str, generated: &str) {
    let text = read(path);
    let wanted = splice(&text, begin, end, generated);
    if std::env::var_os("GRADCAP_BLESS").is_some() {
        std::fs::write(Path::new(env!("CARGO_MANIFEST_DIR")).join(path), &wanted).expect("write");
        return;
    }
    if wanted != text {
        let (old, new) = (text.lines(), wanted.lines());
        let first = old.zip(new).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{path} disagrees with the code from line {} (wanted: {:?}); run GRADCAP_BLESS=1 cargo test --test contract",
            first + 1,
            wanted.lines().nth(first)
        );
    }
}

/// One field of a Rust struct: its name, type and doc lines.
struct Field {
    name: String,
    ty: String,
    doc: Vec<String>,
}

/// The doc lines and fields of `pub struct NAME` in `source`.
fn fields(source: &str, name: &str) -> (Vec<String>, Vec<Field>) {
    let lines: Vec<&str> = source.lines().collect();
    let at = lines.iter().position(|l| l.trim() == format!("pub struct {name} {{")).expect("the struct");
    let mut doc: Vec<String> = lines[..at]
        .iter()
        .rev()
        .take_while(|l| l.starts_with("///") || l.starts_with("#["))
        .filter_map(|l| l.strip_prefix("///").map(|d| d.trim().to_string()))
        .collect();
    doc.reverse();
    // The prose only: an example in Rust stays in the Rust docs.
    if let Some(example) = doc.iter().position(|l| l.starts_with("```")) {
        doc.truncate(example);
    }
    while doc.last().is_some_and(|l| l.is_empty()) {
        doc.pop();
    }
    let (mut out, mut pending) = (Vec::new(), Vec::new());
    for line in lines[at + 1..].iter().map(|l| l.trim()).take_while(|l| *l != "}") {
        if let Some(d) = line.strip_prefix("///") {
            pending.push(d.trim().to_string());
        } else if let Some(decl) = line.strip_prefix("pub ") {
            let (field, ty) = decl.trim_end_matches(',').split_once(": ").expect("name: Type");
            out.push(Field {
                name: field.to_string(),
                ty: ty.to_string(),
                doc: std::mem::take(&mut pending),
            });
        }
    }
    (doc, out)
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in snake.chars() {
        match (c, up) {
            ('_', _) => up = true,
            (c, true) => {
                out.extend(c.to_uppercase());
                up = false;
            }
            (c, false) => out.push(c),
        }
    }
    out
}

fn typescript(rust: &str) -> &'static str {
    match rust {
        "f64" | "u8" | "u16" | "u32" => "number",
        "[u32; 2]" | "[usize; 2]" => "[number, number]",
        "[u8; 3]" => "[number, number, number] | string",
        "Standard" => "Standard",
        "bool" => "boolean",
        "String" => "string",
        "[f64; 2]" => "[number, number]",
        "Vec<CheckId>" => "CheckId[]",
        "std::collections::BTreeMap<String, String>" => "Record<string, string>",
        other => panic!("no TypeScript type for the Rust type {other}: add it to tests/contract.rs"),
    }
}

/// A default as it reads in JSON (integral floats without `.0`).
fn shown(value: &Value) -> String {
    match value {
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0 && f.abs() < 1e15) => {
            format!("{}", n.as_f64().unwrap_or_default() as i64)
        }
        Value::Array(items) => format!("[{}]", items.iter().map(shown).collect::<Vec<_>>().join(", ")),
        // A nested value (the rules' standard) has its own interface and defaults.
        Value::Object(_) => "{…}".to_string(),
        other => other.to_string(),
    }
}

fn comment(lines: &[String], indent: &str) -> String {
    let mut out = format!("{indent}/**\n");
    for line in lines {
        out.push_str(&format!("{indent} *{}{line}\n", if line.is_empty() { "" } else { " " }));
    }
    out + &format!("{indent} */\n")
}

/// The TypeScript interface of the Rust struct `name` in `file`, every field optional (missing
/// fields keep their defaults), each documented with its doc comment and its default.
fn interface(file: &str, name: &str, defaults: &Value) -> String {
    let (doc, fields) = fields(&read(file), name);
    let mut doc = doc;
    doc.push(format!("(`{name}` in `{file}`.)"));
    let mut out = comment(&doc, "") + &format!("export interface {name} {{\n");
    for f in fields {
        let key = camel(&f.name);
        let default = defaults.get(&key).unwrap_or_else(|| panic!("{name}.{key} is not in its JSON"));
        let mut doc = f.doc;
        doc.push(format!("Default: `{}`.", shown(default)));
        out.push_str(&comment(&doc, "  "));
        out.push_str(&format!("  {key}?: {};\n", typescript(&f.ty)));
    }
    out + "}\n"
}

fn generated_types() -> String {
    let ids: Vec<String> = CheckId::ALL.iter().map(|c| format!("'{}'", c.id())).collect();
    let mut out = String::from(
        "/** The id of a photo check (the `check` event's `id` when a check is to be fixed). */\n",
    );
    out.push_str(&format!("export type CheckId =\n  | {};\n\n", ids.join("\n  | ")));
    out.push_str(&interface(
        "src/checks/rules.rs",
        "Rules",
        &serde_json::to_value(Rules::default()).unwrap(),
    ));
    out.push('\n');
    out.push_str(&interface(
        "src/photo/standard.rs",
        "Standard",
        &serde_json::to_value(gradcap::photo::standard::Standard::default()).unwrap(),
    ));
    out.push('\n');
    out.push_str(&interface(
        "src/upload.rs",
        "Endpoint",
        &serde_json::to_value(Endpoint::default()).unwrap(),
    ));
    out.push('\n');
    out.push_str(&interface("src/upload.rs", "Backoff", &serde_json::to_value(Backoff::default()).unwrap()));
    out.push('\n');
    out.push_str("/** The component's events (bubbling, composed `CustomEvent`s), by name. (`DomEvent` in `src/events.rs`.) */\n");
    out.push_str("export interface GradCaptureEventMap {\n");
    for e in DomEvent::ALL {
        let mut when = e.when().to_string();
        when[..1].make_ascii_uppercase();
        out.push_str(&format!("  /** {when}. */\n  '{}': CustomEvent<{}>;\n", e.name(), e.detail()));
    }
    out + "}\n"
}

#[test]
fn the_typescript_types_are_the_rust_types() {
    holds(
        "src/web/element.d.ts",
        "// BEGIN GENERATED by tests/contract.rs",
        "// END GENERATED",
        &generated_types(),
    );
}

#[test]
fn the_documented_events_are_the_dispatched_ones() {
    let mut table = String::from("| event | when | `detail` |\n|---|---|---|\n");
    for e in DomEvent::ALL {
        // A `|` in a table cell, even in code, must be escaped.
        table.push_str(&format!(
            "| `{}` | {} | `{}` |\n",
            e.name(),
            e.when(),
            e.detail().replace('|', "\\|")
        ));
    }
    holds("docs/embedding.md", "<!-- BEGIN GENERATED events", "<!-- END GENERATED -->", &table);
}

/// The `ATTRIBUTES` list of `src/web/options.rs`: (options key, attribute).
fn attributes() -> Vec<(String, String)> {
    let source = read("src/web/options.rs");
    let start = source.find("const ATTRIBUTES").expect("ATTRIBUTES in options.rs");
    let block = &source[start..start + source[start..].find("];").expect("its end")];
    block
        .lines()
        .filter_map(|l| {
            let l = l.trim().strip_prefix("(\"")?.strip_suffix("\"),")?;
            let (key, attr) = l.split_once("\", \"")?;
            Some((key.to_string(), attr.to_string()))
        })
        .collect()
}

#[test]
fn every_attribute_the_component_reads_is_observed_typed_and_documented() {
    let attrs = attributes();
    assert!(attrs.len() >= 12, "{attrs:?}");
    let names: Vec<&str> = attrs.iter().map(|(_, a)| a.as_str()).collect();

    let loader = read("src/web/element.js");
    let start = loader.find("const OPTIONS = [").expect("OPTIONS in element.js") + "const OPTIONS = [".len();
    let observed: Vec<&str> = loader[start..start + loader[start..].find("];").expect("its end")]
        .split(',')
        .map(|s| s.trim().trim_matches('\''))
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(observed, names, "element.js observes other attributes than options.rs reads");

    let types = read("src/web/element.d.ts");
    let start = types.find("export interface GradCaptureOptions {").expect("GradCaptureOptions");
    let keys: Vec<&str> = types[start..start + types[start..].find("\n}").expect("its end")]
        .lines()
        .filter_map(|l| l.strip_prefix("  ")?.split_once("?:").map(|(k, _)| k))
        .collect();
    let mut wanted: Vec<&str> = attrs.iter().map(|(k, _)| k.as_str()).collect();
    wanted.push("getHeaders");
    assert_eq!(keys, wanted, "GradCaptureOptions has other keys than options.rs reads");

    let docs = read("docs/embedding.md");
    let start = docs.find("| attribute | option |").expect("the attributes table in docs/embedding.md");
    let rows: Vec<(String, String)> = docs[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[2].trim_matches('`').to_string(), cells[1].trim_matches('`').to_string())
        })
        .collect();
    assert_eq!(rows, attrs, "docs/embedding.md lists other attributes than options.rs reads");
}

/// The check ids named in the first cell of each row of the Markdown table under `header`.
fn ids_in_table(path: &str, header: &str) -> Vec<String> {
    let text = read(path);
    let start = text.find(header).unwrap_or_else(|| panic!("the checks table in {path}"));
    text[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .flat_map(|l| {
            let first = l.split('|').nth(1).unwrap_or("");
            first.split('`').skip(1).step_by(2).map(str::to_string).collect::<Vec<_>>()
        })
        .filter(|id| id.contains('.') && !id.contains(' '))
        .collect()
}

#[test]
fn the_checks_page_lists_every_photo_check_once_in_the_order_the_student_fixes_them() {
    let listed = ids_in_table("docs/checks.md", "| id | measured as | passes when (default) |");
    let ids: Vec<String> = CheckId::ALL.iter().map(|c| c.id().to_string()).collect();
    assert_eq!(listed, ids, "docs/checks.md's checks table and CheckId::ALL");
}

#[test]
fn the_standard_names_every_photo_check_once() {
    let mut listed =
        ids_in_table("docs/standard.md", "| id | the rule (as the school words it) | the limit |");
    listed.sort();
    let mut ids: Vec<String> = CheckId::ALL.iter().map(|c| c.id().to_string()).collect();
    ids.sort();
    assert_eq!(listed, ids, "docs/standard.md's rules table and CheckId::ALL");
}

#[test]
fn the_documented_rules_are_the_rules_and_their_defaults() {
    let defaults = serde_json::to_value(Rules::default()).unwrap();
    let (_, fields) = fields(&read("src/checks/rules.rs"), "Rules");
    let mut table = String::from("| field | default | what it is |\n|---|---|---|\n");
    for f in fields {
        let key = camel(&f.name);
        let default = defaults.get(&key).unwrap_or_else(|| panic!("Rules.{key} is not in its JSON"));
        let what = f.doc.join(" ").replace('|', "\\|");
        table.push_str(&format!("| `{key}` | `{}` | {what} |\n", shown(default)));
    }
    holds("docs/checks.md", "<!-- BEGIN GENERATED rules", "<!-- END GENERATED -->", &table);
}

#[test]
fn the_documented_error_codes_are_the_ones_the_component_sends() {
    use gradcap::camera::CameraFailure;
    use gradcap::events::ErrorCode;
    let docs = read("docs/embedding.md");
    let start = docs.find("| code | when |").expect("the errors table in docs/embedding.md");
    let listed: Vec<String> = docs[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.split('|').nth(1).unwrap_or("").trim().trim_matches('`').to_string())
        .collect();
    let mut codes: Vec<String> = CameraFailure::ALL.iter().map(|f| f.code().to_string()).collect();
    codes.extend(ErrorCode::ALL.iter().map(|e| e.code().to_string()));
    let mut sorted = (listed.clone(), codes.clone());
    sorted.0.sort();
    sorted.1.sort();
    assert_eq!(sorted.0, sorted.1, "docs/embedding.md's errors table and the codes in the code");
    // The loader reports the one the module cannot.
    let loader = read("src/web/element.js");
    for code in [ErrorCode::WasmUnsupported, ErrorCode::WasmLoad] {
        assert!(loader.contains(&format!("'{}'", code.code())), "element.js sends {}", code.code());
    }
}

#[test]
fn the_state_type_names_every_state_the_flow_reports() {
    let flow = read("src/flow.rs");
    let start = flow.find("pub fn name(&self) -> &'static str {").expect("State::name in src/flow.rs");
    let body = &flow[start..start + flow[start..].find("\n    }\n").expect("its end")];
    let mut reported: Vec<&str> = body.split("=> \"").skip(1).filter_map(|s| s.split('"').next()).collect();
    let types = read("src/web/element.d.ts");
    let start = types.find("export type GradCaptureState =").expect("GradCaptureState in element.d.ts");
    let union = &types[start..start + types[start..].find(';').expect("its end")];
    let mut typed: Vec<&str> = union.split('\'').skip(1).step_by(2).collect();
    reported.sort_unstable();
    typed.sort_unstable();
    assert_eq!(typed, reported, "GradCaptureState and the names State::name reports");
}
