//! A TCP relay between the bridge and the broker. Cutting it closes every
//! connection through it and refuses new ones, which is what the bridge sees
//! when its broker goes away, while a test client connected to the broker
//! directly keeps watching everything the broker receives.

use std::net::SocketAddr;

use tokio::runtime::Runtime;

pub struct Proxy {
    pub port: u16,
    target: SocketAddr,
    runtime: Option<Runtime>,
}

impl Proxy {
    /// Relays a free port of 127.0.0.1 to `target_port`.
    pub fn start(target_port: u16) -> Proxy {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut proxy = Proxy { port, target: ([127, 0, 0, 1], target_port).into(), runtime: None };
        proxy.resume();
        proxy
    }

    /// Closes every relayed connection and stops listening.
    pub fn cut(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }

    /// Listens (again) on the same port.
    pub fn resume(&mut self) {
        self.cut();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let listener = std::net::TcpListener::bind(("127.0.0.1", self.port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let target = self.target;
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((mut inbound, _)) = listener.accept().await {
                tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        self.runtime = Some(runtime);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}
