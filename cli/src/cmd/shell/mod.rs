//! `aimx shell`: an interactive session for learning and poking at a device.
//! The hello is done; typed lines are sent raw or expanded from short forms
//! (`expand`); everything the server sends is printed as it arrives, above
//! the line being edited (`show`).

mod expand;
mod show;
mod terminal;

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::time::Duration;

use aimx_client::{Client, Error};
use rustyline::error::ReadlineError;
use rustyline::{DefaultEditor, ExternalPrinter};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::fail::Fail;
use expand::{expand, Typed, HELP};
use show::{kind_of, Kind, Screen};

/// Lines the server may send ahead of the printing before some are dropped.
const TAP: usize = 4096;

/// Runs the shell on `client` until `quit`, Ctrl-D, the end of input, or the
/// end of the connection. `place` names the device; `timeout` bounds the
/// wait for outstanding replies when input ends.
pub async fn run(client: &Client, place: &str, timeout: Duration) -> Result<(), Fail> {
    let terminal = std::io::stdin().is_terminal();
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut editor = DefaultEditor::new().map_err(|e| Fail::Usage(format!("cannot start the line editor: {e}")))?;
    let printer = match terminal {
        true => editor.create_external_printer().ok().map(|p| Box::new(p) as Box<dyn ExternalPrinter + Send>),
        false => None,
    };
    let mut screen = Screen::new(printer, color);
    // Puts the terminal back as it was, however the shell ends.
    let _restore = terminal.then(terminal::Restore::save);
    let mut tap = client.tap(TAP);
    screen.print(Kind::Note, &format!("connected to {place}: type `help` for the short forms, Ctrl-D to leave"));
    screen.print(Kind::Reply, &serde_json::to_string(client.welcome()).unwrap_or_default());

    let (typed_tx, mut typed) = mpsc::channel(1);
    std::thread::spawn(move || read_lines(editor, typed_tx));
    // Lines sent and not answered yet: when input ends, the answers are awaited.
    let mut waiting = Waiting::default();
    let ended = loop {
        tokio::select! {
            line = tap.recv() => match line {
                Some(line) => show_incoming(&mut screen, &mut waiting, &line),
                None => break Some(client.ended().unwrap_or_else(|| Error::Closed("the server closed the connection".into()))),
            },
            input = typed.recv() => {
                let Some(input) = input else { break None };
                match expand(&input, &mut || client.next_id()) {
                    Ok(Typed::Nothing) => {}
                    Ok(Typed::Help) => HELP.lines().for_each(|l| screen.print(Kind::Note, l)),
                    Ok(Typed::Quit) => break None,
                    Ok(Typed::Send { line, id }) => {
                        screen.print(Kind::Sent, &line);
                        waiting.sent(id);
                        if let Err(e) = client.send_line(&line).await {
                            break Some(e);
                        }
                    }
                    Err(mistake) => screen.print(Kind::Note, &mistake),
                }
            }
        }
    };
    if let Some(error) = ended {
        return Err(Fail::Connection(error));
    }
    // Piped input: show the answers to what was sent before leaving.
    let drain = async {
        while !waiting.is_empty() {
            match tap.recv().await {
                Some(line) => show_incoming(&mut screen, &mut waiting, &line),
                None => return,
            }
        }
    };
    let _ = tokio::time::timeout(timeout, drain).await;
    Ok(())
}

fn show_incoming(screen: &mut Screen, waiting: &mut Waiting, line: &str) {
    let kind = kind_of(line);
    let id = serde_json::from_str::<Value>(line).ok().and_then(|v| v.get("id").and_then(Value::as_u64));
    waiting.answered(id, kind);
    screen.print(kind, line);
}

/// What is still owed an answer: requests by id, and lines sent without one
/// (a hello, broken JSON), which the server answers in order.
#[derive(Default)]
struct Waiting {
    ids: BTreeSet<u64>,
    anonymous: usize,
}

impl Waiting {
    fn sent(&mut self, id: Option<u64>) {
        match id {
            Some(id) => {
                self.ids.insert(id);
            }
            None => self.anonymous += 1,
        }
    }

    fn answered(&mut self, id: Option<u64>, kind: Kind) {
        match id {
            Some(id) if id != 0 => {
                self.ids.remove(&id);
            }
            // A welcome, or an error the server could not match to an id.
            _ if matches!(kind, Kind::Error | Kind::Reply) => {
                if self.anonymous > 0 {
                    self.anonymous -= 1;
                } else {
                    self.ids.pop_first();
                }
            }
            _ => {}
        }
    }

    fn is_empty(&self) -> bool {
        self.ids.is_empty() && self.anonymous == 0
    }
}

/// The editor's thread: rustyline blocks while a line is edited. Each line
/// goes to the session; Ctrl-C clears the line, Ctrl-D or the end of input
/// ends the shell.
fn read_lines(mut editor: DefaultEditor, typed: mpsc::Sender<String>) {
    loop {
        match editor.readline("aimx> ") {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                if typed.blocking_send(line).is_err() {
                    return;
                }
            }
            Err(ReadlineError::Interrupted) => {}
            Err(_) => return,
        }
    }
}
