//! A TCP front for a Unix-socket server that a test can pull the plug on:
//! `down()` cuts every connection and refuses new ones until `up()`.

use std::path::PathBuf;

use tokio::net::{TcpListener, UnixStream};
use tokio::sync::watch;

pub struct Proxy {
    pub addr: String,
    up: watch::Sender<bool>,
}

impl Proxy {
    pub async fn start(target: PathBuf) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (up, _) = watch::channel(true);
        let state = up.subscribe();
        tokio::spawn(async move {
            loop {
                let Ok((mut tcp, _)) = listener.accept().await else { return };
                if !*state.borrow() {
                    continue; // dropped: the connection closes at once
                }
                let mut state = state.clone();
                let target = target.clone();
                tokio::spawn(async move {
                    let Ok(mut unix) = UnixStream::connect(&target).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut tcp, &mut unix) => {}
                        _ = state.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Proxy { addr, up }
    }

    pub fn down(&self) {
        self.up.send_replace(false);
    }

    pub fn up(&self) {
        self.up.send_replace(true);
    }
}
