//! `TcpAcceptor` over real embassy-net TCP: two stacks in this process,
//! 10.0.0.1 (server) and 10.0.0.2 (client), joined by an in-memory IP link
//! (no root, no TUN/TAP), on embassy's host executor. The server stack runs
//! `serve_many` with two slots on port 7000; the client opens plain
//! `TcpSocket`s. Nothing is asserted about time; timeouts only end a hang.
#![cfg(feature = "net")]

#[path = "tcp/link.rs"]
mod link;
#[path = "../../../examples/common/records.rs"]
#[allow(dead_code)]
mod records;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use aimx::record::AnyRecord;
use aimx::{Config, Registry, Server, SingleLatest};
use aimx_embassy::{EmbassyClock, TcpAcceptor};
use embassy_executor::Executor;
use embassy_futures::select::{select, select3, Either};
use embassy_net::tcp::{ConnectError, State, TcpSocket};
use embassy_net::{Ipv4Address, Ipv4Cidr, Runner, Stack, StackResources, StaticConfigV4};
use embassy_time::{with_timeout, Duration, Timer};
use embedded_io_async::Write;
use records::LogLevel;
use serde_json::{json, Value};

type TestServer = Server<'static, EmbassyClock>;

const SERVER_IP: Ipv4Address = Ipv4Address::new(10, 0, 0, 1);
const PORT: u16 = 7000;
/// Generous, for a loaded shared machine: only a hang reaches it.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A fresh server over fresh demo records, and its log level to publish to
/// (leaked: tests are short-lived).
fn demo() -> (&'static TestServer, &'static SingleLatest<LogLevel>) {
    let log_level: &'static SingleLatest<LogLevel> = Box::leak(Box::new(records::log_level()));
    let records: Vec<&'static dyn AnyRecord> =
        vec![Box::leak(Box::new(records::temperature())), log_level, Box::leak(Box::new(records::setpoint()))];
    let registry = Registry::new(Box::leak(records.into_boxed_slice()));
    (Box::leak(Box::new(Server::new(registry, Config::new(), EmbassyClock))), log_level)
}

fn buf() -> &'static mut [u8] {
    Box::leak(vec![0; 2048].into_boxed_slice())
}

fn stack(end: link::End, host: u8) -> (Stack<'static>, Runner<'static, link::End>) {
    let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(Ipv4Address::new(10, 0, 0, host), 24),
        gateway: None,
        dns_servers: Default::default(),
    });
    embassy_net::new(end, config, Box::leak(Box::new(StackResources::<8>::new())), host.into())
}

// Tasks cannot be generic: each test's future arrives boxed. One pool slot
// per test, as the tests run in parallel threads.
#[embassy_executor::task(pool_size = 8)]
async fn task(test: Pin<Box<dyn Future<Output = ()>>>, done: &'static AtomicBool) {
    test.await;
    done.store(true, Ordering::SeqCst);
}

/// Runs `test(server_stack, client_stack)` on a fresh host executor while
/// both stacks' runners run.
fn run<F: Future<Output = ()> + 'static>(test: impl FnOnce(Stack<'static>, Stack<'static>) -> F) {
    run_cuttable(|server, client, _| test(server, client));
}

/// [`run`], also handing the test the switch that cuts the link.
fn run_cuttable<F: Future<Output = ()> + 'static>(
    test: impl FnOnce(Stack<'static>, Stack<'static>, Arc<AtomicBool>) -> F,
) {
    let (server_end, client_end, cut) = link::pair();
    let (server_stack, mut server_runner) = stack(server_end, 1);
    let (client_stack, mut client_runner) = stack(client_end, 2);
    let body = test(server_stack, client_stack, cut);
    let all = async move {
        let _ = select3(server_runner.run(), client_runner.run(), body).await;
    };
    let done: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
    let executor: &'static mut Executor = Box::leak(Box::new(Executor::new()));
    executor.run_until(|spawner| spawner.spawn(task(Box::pin(all), done).unwrap()), || done.load(Ordering::SeqCst));
}

/// Runs `script` while the server serves two `TcpAcceptor` slots on port 7000.
async fn against(server: &'static TestServer, stack: Stack<'static>, script: impl Future<Output = ()>) {
    let slots = [0, 1].map(|_| TcpAcceptor::new(stack, PORT, buf(), buf()));
    if let Either::First(()) = select(server.serve_many(slots), script).await {
        panic!("serve_many ended");
    }
}

struct Client {
    socket: TcpSocket<'static>,
    received: Vec<u8>,
    events: VecDeque<Value>,
}

impl Client {
    async fn connect(stack: Stack<'static>) -> Result<Self, ConnectError> {
        let mut socket = TcpSocket::new(stack, buf(), buf());
        with_timeout(TIMEOUT, socket.connect((SERVER_IP, PORT))).await.expect("connect hung")?;
        Ok(Client { socket, received: Vec::new(), events: VecDeque::new() })
    }

    async fn connected(stack: Stack<'static>) -> Self {
        Self::connect(stack).await.unwrap_or_else(|e| panic!("connect: {e:?}"))
    }

    /// Retries while the server stack refuses (its slot may not be
    /// listening again yet).
    async fn connect_when_free(stack: Stack<'static>) -> Self {
        let retry = async {
            loop {
                match Self::connect(stack).await {
                    Ok(client) => return client,
                    Err(ConnectError::ConnectionReset) => Timer::after_millis(10).await,
                    Err(e) => panic!("connect: {e:?}"),
                }
            }
        };
        with_timeout(TIMEOUT, retry).await.expect("no slot was freed")
    }

    async fn send(&mut self, line: &str) {
        self.socket.write_all(format!("{line}\n").as_bytes()).await.unwrap();
        self.socket.flush().await.unwrap();
    }

    /// The next line, or `None` at a clean end of stream (a FIN). A reset
    /// is a read error and fails the test.
    async fn line(&mut self) -> Option<String> {
        let read = async {
            loop {
                if let Some(end) = self.received.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = self.received.drain(..=end).take(end).collect();
                    return Some(String::from_utf8(line).unwrap());
                }
                let mut chunk = [0; 512];
                match self.socket.read(&mut chunk).await.expect("read") {
                    0 => {
                        assert!(self.received.is_empty(), "a partial line before the FIN");
                        return None;
                    }
                    n => self.received.extend_from_slice(&chunk[..n]),
                }
            }
        };
        with_timeout(TIMEOUT, read).await.expect("no line")
    }

    async fn json(&mut self) -> Value {
        serde_json::from_str(&self.line().await.expect("closed")).unwrap()
    }

    async fn hello(&mut self) {
        self.send(r#"{"version":"1.0","client":"embassy-tcp-test"}"#).await;
        assert_eq!(self.json().await["version"], "1.0");
    }

    /// The reply to one request; events that arrive first are kept.
    async fn call(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(&json!({"id": id, "method": method, "params": params}).to_string()).await;
        loop {
            let mut v = self.json().await;
            match v.get_mut("event") {
                Some(event) => self.events.push_back(event.take()),
                None => return v,
            }
        }
    }

    async fn event(&mut self) -> Value {
        match self.events.pop_front() {
            Some(event) => event,
            None => self.json().await["event"].take(),
        }
    }

    /// A RST, as a peer that vanishes sends it: embassy-net sends it on
    /// `flush` after `abort` (merely dropping the socket sends nothing).
    async fn abort(mut self) {
        self.socket.abort();
        with_timeout(TIMEOUT, self.socket.flush()).await.unwrap().unwrap();
    }
}

#[test]
fn two_sessions_at_once() {
    let (server, log_level) = demo();
    run(move |server_stack, client_stack| {
        against(server, server_stack, async move {
            let mut a = Client::connected(client_stack).await;
            let mut b = Client::connected(client_stack).await;
            a.hello().await;
            b.hello().await;
            assert_eq!(server.stats().sessions_open, 2);
            let get = b.call(1, "record.get", json!({"name": "config.log_level"})).await;
            assert_eq!(get, json!({"id": 1, "result": "info"}));
            for c in [&mut a, &mut b] {
                let sub = c.call(2, "record.subscribe", json!({"name": "config.log_level"})).await;
                assert_eq!(sub["result"]["subscription_id"], "sub-1");
                assert_eq!(c.event().await["data"], "info");
            }
            log_level.publish(LogLevel::Warn);
            for c in [&mut a, &mut b] {
                assert_eq!(c.event().await["data"], "warn");
            }
        })
    });
}

#[test]
fn an_abrupt_disconnect_frees_its_slot() {
    let (server, _) = demo();
    run(move |server_stack, client_stack| {
        against(server, server_stack, async move {
            let mut a = Client::connected(client_stack).await;
            a.hello().await;
            let sub = a.call(1, "record.subscribe", json!({"name": "sensor.temperature"})).await;
            assert_eq!(sub["result"]["subscription_id"], "sub-1");
            let mut b = Client::connected(client_stack).await;
            b.hello().await;
            // Half a request, then the peer vanishes.
            a.socket.write_all(br#"{"id":2,"method":"rec"#).await.unwrap();
            a.abort().await;
            // B still holds the other slot: only A's can serve C.
            let mut c = Client::connect_when_free(client_stack).await;
            c.hello().await;
            let get = c.call(1, "record.get", json!({"name": "config.log_level"})).await;
            assert_eq!(get["result"], "info");
            let temperature = server.registry().find("sensor.temperature").unwrap().1;
            assert_eq!(temperature.info().consumers, 0, "A's subscription was released");
            assert_eq!(b.call(1, "record.list", json!({})).await["result"].as_array().unwrap().len(), 3);
        })
    });
}

#[test]
fn a_third_connection_is_reset_while_both_slots_are_busy() {
    let (server, _) = demo();
    run(move |server_stack, client_stack| {
        against(server, server_stack, async move {
            let mut a = Client::connected(client_stack).await;
            let mut b = Client::connected(client_stack).await;
            a.hello().await;
            b.hello().await;
            // No socket listens on the port while both slots serve, so the
            // server stack answers the SYN with a RST.
            for _ in 0..3 {
                assert!(matches!(Client::connect(client_stack).await, Err(ConnectError::ConnectionReset)));
            }
            assert_eq!(server.stats().sessions_total, 2);
            // A leaves cleanly; then the third client is served.
            a.socket.close();
            assert_eq!(a.line().await, None);
            let mut c = Client::connect_when_free(client_stack).await;
            c.hello().await;
            assert_eq!(server.stats().sessions_total, 3);
        })
    });
}

#[test]
fn the_last_reply_arrives_before_the_fin() {
    let (server, _) = demo();
    run(move |server_stack, client_stack| {
        against(server, server_stack, async move {
            // The client ends the session: two requests, its FIN right behind.
            let mut c = Client::connected(client_stack).await;
            c.hello().await;
            c.send(r#"{"id":1,"method":"record.get","params":{"name":"config.log_level"}}"#).await;
            c.send(r#"{"id":2,"method":"record.list"}"#).await;
            c.socket.close();
            assert_eq!(c.json().await, json!({"id": 1, "result": "info"}));
            assert_eq!(c.json().await["result"].as_array().unwrap().len(), 3);
            assert_eq!(c.line().await, None, "a FIN, not a reset, after the last reply");
            // The server ends the session: its refusal, then a FIN.
            let mut d = Client::connected(client_stack).await;
            d.send(r#"{"version":"2.0"}"#).await;
            assert_eq!(d.json().await["error"]["code"], "version_mismatch");
            assert_eq!(d.line().await, None, "a FIN, not a reset, after the refusal");
            // Then the slot lets go (it does not wait for our FIN) and tells us.
            let reset = async {
                while d.socket.state() != State::Closed {
                    Timer::after_millis(5).await;
                }
            };
            with_timeout(TIMEOUT, reset).await.expect("the server never reset the half-closed connection");
        })
    });
}

/// Clients that vanish without FIN or RST (the link is cut) free their
/// slots by keep-alive: without it their greeted sessions would wait for
/// input forever. Small keep-alive values here; the default is 30 s / 90 s.
#[test]
fn vanished_peers_free_their_slots_by_keep_alive() {
    let (server, _) = demo();
    run_cuttable(move |server_stack, client_stack, cut| async move {
        let quick = Some(Duration::from_millis(200));
        let slots = [0, 1].map(|_| {
            TcpAcceptor::new(server_stack, PORT, buf(), buf()).keep_alive(quick, Some(Duration::from_secs(1)))
        });
        let script = async move {
            let mut a = Client::connected(client_stack).await;
            let mut b = Client::connected(client_stack).await;
            a.hello().await;
            b.hello().await;
            assert_eq!(server.stats().sessions_open, 2);
            cut.store(true, Ordering::SeqCst);
            let freed = async {
                while server.stats().sessions_open > 0 {
                    Timer::after_millis(20).await;
                }
            };
            with_timeout(TIMEOUT, freed).await.expect("vanished peers still hold their slots");
            drop((a, b));
        };
        if let Either::First(()) = select(server.serve_many(slots), script).await {
            panic!("serve_many ended");
        }
    });
}
