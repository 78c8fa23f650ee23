//! The two AimX generations as the scenarios see them: requests are built in
//! the generation spoken, and what the server sends is read back in v1's
//! shape (`{"id","result"|"error"}`, `{"event":{…}}`), so every scenario
//! checks both the same way.

use serde_json::{json, Map, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};

pub type Res<T> = Result<T, String>;

/// How this run talks: the generation, and whether frames are length-prefixed
/// (v3 over TCP) or lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frames {
    pub v3: bool,
    pub prefixed: bool,
}

impl Frames {
    /// The id-`id` request.
    pub fn request(&self, id: u64, method: &str, params: &Value) -> String {
        if self.v3 {
            // `t` first, as AimDB's tools write it.
            format!(r#"{{"t":"req","id":{id},"method":{},"params":{params}}}"#, Value::from(method))
        } else {
            json!({"id": id, "method": method, "params": params}).to_string()
        }
    }

    /// One JSON text framed for the stream.
    pub fn frame(&self, text: &str) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(text.len() + 4);
        if self.prefixed {
            bytes.extend_from_slice(&(text.len() as u32).to_be_bytes());
            bytes.extend_from_slice(text.as_bytes());
        } else {
            bytes.extend_from_slice(text.as_bytes());
            bytes.push(b'\n');
        }
        bytes
    }

    /// Reads the next frame into `buf` (cleared first); an error at end of
    /// stream. Returns the bytes it took on the wire.
    pub async fn read<R: AsyncRead + Unpin>(&self, rx: &mut BufReader<R>, buf: &mut Vec<u8>) -> Res<usize> {
        buf.clear();
        if self.prefixed {
            let mut len = [0u8; 4];
            rx.read_exact(&mut len).await.map_err(|e| format!("server closed the session ({e})"))?;
            buf.resize(u32::from_be_bytes(len) as usize, 0);
            rx.read_exact(buf).await.map_err(|e| format!("stream ended inside a frame: {e}"))?;
            return Ok(buf.len() + 4);
        }
        match rx.read_until(b'\n', buf).await {
            Ok(0) => Err("server closed the session".into()),
            Ok(n) if buf.last() != Some(&b'\n') => {
                Err(format!("stream ended inside a line: {:?}", String::from_utf8_lossy(&buf[..n])))
            }
            Ok(n) => Ok(n),
            Err(e) => Err(format!("read: {e}")),
        }
    }

    /// A frame as JSON in v1's shape.
    pub fn parse(&self, frame: &[u8]) -> Res<Value> {
        let v: Value = serde_json::from_slice(frame)
            .map_err(|e| format!("invalid JSON from server ({e}): {}", String::from_utf8_lossy(frame)))?;
        Ok(if self.v3 { as_v1(v) } else { v })
    }
}

/// A v3 frame in v1's shape. A `pong` becomes a `result` without an id
/// (the caller knows which ping it answers).
fn as_v1(v: Value) -> Value {
    let Value::Object(mut f) = v else { return v };
    let mut take = |key: &str| f.remove(key).unwrap_or(Value::Null);
    match take("t").as_str() {
        Some("reply") => {
            let (id, ok, err) = (take("id"), take("ok"), take("err"));
            if err.is_null() {
                json!({"id": id, "result": ok})
            } else {
                let code = match take("code") {
                    Value::Null => err,
                    finer => finer,
                };
                json!({"id": id, "error": {"code": code, "message": take("message")}})
            }
        }
        Some("event" | "snap") => {
            let mut event = Map::new();
            event.insert("subscription_id".into(), take("sub"));
            event.insert("sequence".into(), take("seq"));
            event.insert("data".into(), take("data"));
            for key in ["dropped", "timestamp", "ts", "topic"] {
                if let Some(v) = f.remove(key) {
                    event.insert(key.into(), v);
                }
            }
            json!({ "event": event })
        }
        Some("pong") => json!({"result": {"pong": true}, "pong": true}),
        _ => json!({"unknown": Value::Object(f)}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_frames_read_as_v1() {
        let v3 = Frames { v3: true, prefixed: false };
        assert_eq!(v3.parse(br#"{"t":"reply","id":4,"ok":"info"}"#).unwrap(), json!({"id": 4, "result": "info"}));
        let err = v3.parse(br#"{"t":"reply","id":5,"err":"denied","code":"too_many_subscriptions"}"#).unwrap();
        assert_eq!(err["error"]["code"], "too_many_subscriptions");
        let ev = v3.parse(br#"{"t":"event","sub":"2","seq":9,"data":{"n":1},"dropped":3}"#).unwrap();
        assert_eq!(ev, json!({"event": {"subscription_id": "2", "sequence": 9, "data": {"n": 1}, "dropped": 3}}));
        assert_eq!(v3.parse(br#"{"t":"pong"}"#).unwrap()["pong"], true);
        let v1 = Frames { v3: false, prefixed: false };
        assert_eq!(v1.parse(br#"{"id":1,"result":2}"#).unwrap(), json!({"id": 1, "result": 2}));
        assert_eq!(Frames { v3: true, prefixed: true }.frame("{}"), b"\0\0\0\x02{}");
        assert!(v3.request(7, "record.get", &json!({"name": "x"})).starts_with(r#"{"t":"req","id":7"#));
    }
}
