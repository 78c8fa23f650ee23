//! Printing what goes by: `>` lines sent, `<` lines received, colored by
//! kind, above the line being typed (never through it).

use std::io::Write;

use rustyline::ExternalPrinter;
use serde_json::Value;

/// Where lines go: through the editor's printer while a line is being edited
/// on a terminal (it redraws the prompt and the typed text below them), or
/// straight to stdout when input is not a terminal.
pub struct Screen {
    printer: Option<Box<dyn ExternalPrinter + Send>>,
    color: bool,
}

/// What a line is, for its color.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Sent,
    Reply,
    Error,
    Event,
    Other,
    Note,
}

impl Screen {
    pub fn new(printer: Option<Box<dyn ExternalPrinter + Send>>, color: bool) -> Self {
        Screen { printer, color }
    }

    pub fn print(&mut self, kind: Kind, text: &str) {
        let line = paint(kind, text, self.color);
        if let Some(printer) = &mut self.printer {
            // With its newline: between two edited lines the printer writes
            // the text as it is; while a line is edited it adds none to a
            // text that has one. Fails only once the editor is gone; then
            // stdout is free.
            if printer.print(format!("{line}\n")).is_ok() {
                return;
            }
        }
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

/// `text` with its marker (`>`, `<`, `!`) and, when `color`, its color.
pub fn paint(kind: Kind, text: &str, color: bool) -> String {
    let (marker, code) = match kind {
        Kind::Sent => ("> ", "2"),   // dim
        Kind::Reply => ("< ", "32"), // green
        Kind::Error => ("< ", "31"), // red
        Kind::Event => ("< ", "36"), // cyan
        Kind::Other => ("< ", "0"),
        Kind::Note => ("! ", "33"), // yellow
    };
    if color {
        format!("\x1b[{code}m{marker}{text}\x1b[0m")
    } else {
        format!("{marker}{text}")
    }
}

/// The kind of a line the server sent.
pub fn kind_of(line: &str) -> Kind {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(o)) if o.contains_key("event") => Kind::Event,
        Ok(Value::Object(o)) if o.contains_key("error") => Kind::Error,
        Ok(Value::Object(o)) if o.contains_key("result") || o.contains_key("server") => Kind::Reply,
        _ => Kind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_marked_and_colored_by_kind() {
        assert_eq!(kind_of(r#"{"id":1,"result":{"pong":true}}"#), Kind::Reply);
        assert_eq!(kind_of(r#"{"id":0,"error":{"code":"parse_error","message":"x"}}"#), Kind::Error);
        assert_eq!(kind_of(r#"{"event":{"subscription_id":"sub-1","sequence":1,"data":1}}"#), Kind::Event);
        assert_eq!(kind_of("HTTP/1.0 400"), Kind::Other);
        assert_eq!(paint(Kind::Error, "x", true), "\x1b[31m< x\x1b[0m");
        assert_eq!(paint(Kind::Sent, "x", false), "> x");
    }
}
