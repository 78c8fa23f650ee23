//! Which AimX generation a connection speaks and how its frames are cut:
//! everything else in the client is the same for both.

use std::fmt;
use std::str::FromStr;

use serde_json::{json, Value};

use crate::options::Options;
use crate::wire::{self, Incoming};

/// The protocol generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Wire {
    /// AimX v1: `{"id","method","params"}` requests, `{"event":…}` lines.
    #[default]
    V1,
    /// AimX 3.0: flat frames tagged by `"t"` (`req`, `sub`, `reply`,
    /// `event`, `snap`, `ping`/`pong`), as AimDB's current tools speak it.
    V3,
}

impl FromStr for Wire {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "v1" | "1" => Ok(Wire::V1),
            "v3" | "3" => Ok(Wire::V3),
            other => Err(format!("unknown wire `{other}` (v1 or v3)")),
        }
    }
}

impl fmt::Display for Wire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Wire::V1 => "v1",
            Wire::V3 => "v3",
        })
    }
}

/// How frames are delimited on the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// One JSON object per line (Unix sockets, serial ports, v1 everywhere).
    Lines,
    /// A 4-byte big-endian length, then that many bytes of JSON: how v3 is
    /// carried over TCP.
    LengthPrefixed,
}

impl Framing {
    /// The framing a transport uses unless told otherwise: v3 over TCP (and
    /// TLS) is length-prefixed, everything else is lines.
    pub fn default_for(wire: Wire, tcp: bool) -> Framing {
        if wire == Wire::V3 && tcp {
            Framing::LengthPrefixed
        } else {
            Framing::Lines
        }
    }
}

/// Builds this connection's outgoing frames and reads its incoming ones.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Codec {
    pub wire: Wire,
    pub framing: Framing,
}

impl Codec {
    /// `text` (one JSON object, no newline) framed for the stream.
    pub fn frame(&self, text: &str) -> Vec<u8> {
        let text = text.trim_end_matches(['\r', '\n']);
        match self.framing {
            Framing::Lines => {
                let mut bytes = Vec::with_capacity(text.len() + 1);
                bytes.extend_from_slice(text.as_bytes());
                bytes.push(b'\n');
                bytes
            }
            Framing::LengthPrefixed => {
                let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
                let mut bytes = Vec::with_capacity(text.len() + 4);
                bytes.extend_from_slice(&len.to_be_bytes());
                bytes.extend_from_slice(text.as_bytes());
                bytes
            }
        }
    }

    /// The hello as the id-`id` request of this generation.
    pub fn hello(&self, options: &Options, id: u64) -> String {
        let version = match self.wire {
            Wire::V1 => "1.0",
            Wire::V3 => "3.0",
        };
        let mut hello = json!({"version": version, "client": options.client_name});
        if let Some(token) = &options.token {
            hello["auth_token"] = token.as_str().into();
        }
        match self.wire {
            Wire::V1 => json!({ "hello": hello }).to_string(),
            Wire::V3 => self.request(id, "hello", hello),
        }
    }

    pub fn request(&self, id: u64, method: &str, params: Value) -> String {
        match self.wire {
            Wire::V1 => json!({"id": id, "method": method, "params": params}),
            // `t` first, as AimDB's tools write it (serde_json sorts keys).
            Wire::V3 => {
                return format!(r#"{{"t":"req","id":{id},"method":{},"params":{params}}}"#, Value::from(method))
            }
        }
        .to_string()
    }

    pub fn classify(&self, frame: &[u8]) -> Incoming {
        match self.wire {
            Wire::V1 => wire::classify(frame),
            Wire::V3 => crate::v3::classify(frame),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_lines_or_length_prefixed() {
        let lines = Codec { wire: Wire::V1, framing: Framing::Lines };
        assert_eq!(lines.frame("{\"a\":1}\n"), b"{\"a\":1}\n");
        let prefixed = Codec { wire: Wire::V3, framing: Framing::LengthPrefixed };
        assert_eq!(prefixed.frame("{\"a\":1}"), b"\x00\x00\x00\x07{\"a\":1}");
        assert_eq!(Framing::default_for(Wire::V3, true), Framing::LengthPrefixed);
        assert_eq!(Framing::default_for(Wire::V3, false), Framing::Lines);
        assert_eq!(Framing::default_for(Wire::V1, true), Framing::Lines);
    }

    fn v3_text_starts_with_t(text: &str) -> bool {
        text == r#"{"t":"req","id":2,"method":"x","params":null}"#
    }

    #[test]
    fn hellos_of_both_generations() {
        let options = Options::default().client_name("t").token("k");
        let v1 = Codec { wire: Wire::V1, framing: Framing::Lines }.hello(&options, 1);
        let v1: Value = serde_json::from_str(&v1).unwrap();
        assert_eq!(v1, json!({"hello": {"version": "1.0", "client": "t", "auth_token": "k"}}));
        let v3 = Codec { wire: Wire::V3, framing: Framing::Lines }.hello(&options, 1);
        assert!(v3.starts_with(r#"{"t":"req","id":1,"method":"hello","params":{"#), "{v3}");
        let v3: Value = serde_json::from_str(&v3).unwrap();
        assert_eq!(
            v3,
            json!({"t": "req", "id": 1, "method": "hello", "params": {"version": "3.0", "client": "t", "auth_token": "k"}})
        );
        assert!(v3_text_starts_with_t(&Codec { wire: Wire::V3, framing: Framing::Lines }.request(2, "x", json!(null))));
        assert_eq!("v3".parse::<Wire>(), Ok(Wire::V3));
        assert!("v2".parse::<Wire>().is_err());
    }
}
