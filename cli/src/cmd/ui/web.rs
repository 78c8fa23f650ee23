//! The HTTP side of `aimx ui`: the page's files and the WebSocket each open
//! page talks over.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc};

use super::assets;
use super::hub::Hub;

pub fn router(hub: Arc<Hub>) -> Router {
    Router::new()
        .route("/", get(|| async { file("text/html; charset=utf-8", assets::INDEX_HTML) }))
        .route("/app.js", get(|| async { file("text/javascript; charset=utf-8", assets::APP_JS) }))
        .route("/plot.js", get(|| async { file("text/javascript; charset=utf-8", assets::PLOT_JS) }))
        .route("/style.css", get(|| async { file("text/css; charset=utf-8", assets::STYLE_CSS) }))
        .route("/ws", get(upgrade))
        .with_state(hub)
}

fn file(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

/// The page may write to the device, so only pages served by this process
/// may open the socket: a browser always sends `Origin`, and another site's
/// page would carry its own.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true; // not a browser (a script or a test): nothing to forge
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = origin.to_str().ok().and_then(|o| o.strip_prefix("http://"));
    matches!((origin, host), (Some(o), Some(h)) if o == h)
}

async fn upgrade(ws: WebSocketUpgrade, headers: HeaderMap, State(hub): State<Arc<Hub>>) -> Response {
    if !same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "cross-origin WebSocket refused").into_response();
    }
    ws.on_upgrade(move |socket| page(socket, hub))
}

/// One open page: the snapshot, then live messages; its `set` requests run
/// concurrently and each reply goes back to this page only.
async fn page(mut socket: WebSocket, hub: Arc<Hub>) {
    let (first, mut live) = hub.join();
    for message in first {
        if socket.send(Message::Text(message.into())).await.is_err() {
            return;
        }
    }
    let (reply_tx, mut replies) = mpsc::channel::<Value>(16);
    loop {
        let outgoing = tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    request(&hub, text.as_str(), &reply_tx);
                    continue;
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => continue,
            },
            message = live.recv() => match message {
                Ok(message) => message.to_string(),
                // This page fell behind: tell it, so it draws a gap. The
                // counters it shows are totals and stay right.
                Err(broadcast::error::RecvError::Lagged(missed)) => json!({"t": "lagged", "missed": missed}).to_string(),
                Err(broadcast::error::RecvError::Closed) => return,
            },
            Some(reply) = replies.recv() => reply.to_string(),
        };
        if socket.send(Message::Text(outgoing.into())).await.is_err() {
            return;
        }
    }
}

/// `{"op":"set","id":N,"name":…,"value":…}` from a page.
fn request(hub: &Arc<Hub>, text: &str, replies: &mpsc::Sender<Value>) {
    let request: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let fail =
        |code: &str, message: &str| json!({"t": "reply", "id": id, "ok": false, "code": code, "message": message});
    let (Some("set"), Some(name), Some(value)) =
        (request.get("op").and_then(Value::as_str), request.get("name").and_then(Value::as_str), request.get("value"))
    else {
        let _ = replies.try_send(fail("bad_request", "expected {\"op\":\"set\",\"id\":…,\"name\":…,\"value\":…}"));
        return;
    };
    let Some(client) = hub.client() else {
        let _ = replies.try_send(fail("not_connected", "the device is not connected"));
        return;
    };
    let (name, value, replies) = (name.to_owned(), value.clone(), replies.clone());
    tokio::spawn(async move {
        let reply = match client.set(&name, value).await {
            Ok(stored) => json!({"t": "reply", "id": id, "ok": true, "name": name, "value": stored}),
            Err(e) => {
                let code = e.code().map_or("connection", |c| c.as_str()).to_owned();
                let message = match &e {
                    aimx_client::Error::Server(s) => s.message.clone(),
                    other => other.to_string(),
                };
                json!({"t": "reply", "id": id, "ok": false, "name": name, "code": code, "message": message})
            }
        };
        let _ = replies.send(reply).await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static(host));
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_static(o));
        }
        h
    }

    #[test]
    fn only_the_dashboards_own_pages_may_connect() {
        assert!(same_origin(&headers(Some("http://127.0.0.1:8080"), "127.0.0.1:8080")));
        assert!(same_origin(&headers(None, "127.0.0.1:8080")));
        assert!(!same_origin(&headers(Some("http://evil.example"), "127.0.0.1:8080")));
        assert!(!same_origin(&headers(Some("https://127.0.0.1:8080"), "127.0.0.1:8080")));
        assert!(!same_origin(&headers(Some("null"), "127.0.0.1:8080")));
    }
}
