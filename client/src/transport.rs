//! Opening a connection: Unix socket, TCP, serial port.

use std::time::Duration;

use tokio_serial::{ClearBuffer, SerialPort, SerialPortBuilderExt};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::options::Options;
use crate::tls::TlsOptions;

async fn connect_within<T>(
    limit: Duration,
    what: &str,
    connect: impl std::future::Future<Output = std::io::Result<T>>,
) -> Result<T> {
    match tokio::time::timeout(limit, connect).await {
        Ok(result) => result.map_err(|e| Error::Io(std::io::Error::new(e.kind(), format!("{what}: {e}")))),
        Err(_) => Err(Error::Timeout { what: what.to_owned(), after: limit }),
    }
}

impl Client {
    /// Connects to a server on a Unix socket.
    #[cfg(unix)]
    pub async fn connect_unix(path: impl AsRef<std::path::Path>, options: Options) -> Result<Client> {
        let path = path.as_ref();
        let what = format!("connect to {}", path.display());
        let stream = connect_within(options.timeout, &what, tokio::net::UnixStream::connect(path)).await?;
        let (rx, tx) = stream.into_split();
        Client::handshake_with(rx, tx, options, &path.display().to_string(), false).await
    }

    /// Connects to a server at `HOST:PORT`.
    pub async fn connect_tcp(addr: &str, options: Options) -> Result<Client> {
        let what = format!("connect to {addr}");
        let stream = connect_within(options.timeout, &what, tokio::net::TcpStream::connect(addr)).await?;
        stream.set_nodelay(true)?;
        let (rx, tx) = stream.into_split();
        Client::handshake_with(rx, tx, options, addr, true).await
    }

    /// Connects to a server at `HOST:PORT` over TLS.
    pub async fn connect_tls(addr: &str, tls: &TlsOptions, options: Options) -> Result<Client> {
        let config = crate::tls::client_config(tls)?;
        let name = crate::tls::server_name(tls, addr)?;
        let what = format!("connect to {addr}");
        let stream = connect_within(options.timeout, &what, tokio::net::TcpStream::connect(addr)).await?;
        stream.set_nodelay(true)?;
        let what = format!("TLS handshake with {addr}");
        let connector = tokio_rustls::TlsConnector::from(config);
        let stream = connect_within(options.timeout, &what, connector.connect(name, stream)).await?;
        let (rx, tx) = tokio::io::split(stream);
        Client::handshake_with(rx, tx, options, addr, true).await
    }

    /// Opens a serial port (8N1, no flow control) at `baud`. Whatever the
    /// device sent before is discarded and a fresh hello restarts its session,
    /// so this works on a device that is still talking to an earlier tool.
    pub async fn open_serial(path: &str, baud: u32, mut options: Options) -> Result<Client> {
        let port = tokio_serial::new(path, baud)
            .open_native_async()
            .map_err(|e| Error::Io(std::io::Error::other(format!("open {path}: {e}"))))?;
        port.clear(ClearBuffer::Input).map_err(|e| Error::Io(std::io::Error::other(format!("flush {path}: {e}"))))?;
        options.resync = true;
        let (rx, tx) = tokio::io::split(port);
        Client::handshake_with(rx, tx, options, path, false).await
    }
}
