//! Opens the one connection the options name.

use std::time::Duration;

use aimx_client::{Client, Options, TlsOptions, Trust};

use crate::args::Conn;
use crate::fail::Fail;

pub async fn connect(conn: &Conn) -> Result<Client, Fail> {
    if !(conn.timeout.is_finite() && conn.timeout > 0.0) {
        return Err(Fail::Usage("--timeout must be a positive number of seconds".into()));
    }
    let mut options = Options::default()
        .client_name(concat!("aimx-cli/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_secs_f64(conn.timeout))
        .wire(conn.wire);
    options.token = conn.token.clone().filter(|t| !t.is_empty());
    let tls = tls_options(conn)?;
    if tls.is_some() && conn.tcp.is_none() {
        return Err(Fail::Usage("--tls works with --tcp only".into()));
    }
    let client = match (&conn.unix, &conn.tcp, &conn.serial) {
        (Some(path), None, None) => unix(path, options).await,
        (None, Some(addr), None) => match &tls {
            Some(tls) => Client::connect_tls(addr, tls, options).await,
            None => Client::connect_tcp(addr, options).await,
        },
        (None, None, Some(port)) => Client::open_serial(port, conn.baud, options).await,
        (None, None, None) => {
            return Err(Fail::Usage("say where the device is: --unix PATH, --tcp HOST:PORT or --serial PORT".into()))
        }
        _ => return Err(Fail::Usage("choose one of --unix, --tcp and --serial".into())),
    };
    client.map_err(Fail::Connection)
}

/// Where the options point, e.g. `unix /tmp/aimx.sock`, or the usage error
/// `connect` would give, without connecting.
pub fn describe(conn: &Conn) -> Result<String, Fail> {
    match (&conn.unix, &conn.tcp, &conn.serial) {
        (Some(path), None, None) => Ok(format!("unix {path}")),
        (None, Some(addr), None) => Ok(format!("{} {addr}", if conn.tls { "tls" } else { "tcp" })),
        (None, None, Some(port)) => Ok(format!("serial {port}")),
        (None, None, None) => {
            Err(Fail::Usage("say where the device is: --unix PATH, --tcp HOST:PORT or --serial PORT".into()))
        }
        _ => Err(Fail::Usage("choose one of --unix, --tcp and --serial".into())),
    }
}

/// The TLS settings the flags ask for, if any.
fn tls_options(conn: &Conn) -> Result<Option<TlsOptions>, Fail> {
    if !conn.tls {
        if conn.ca.is_some() || conn.tls_insecure || conn.tls_name.is_some() {
            return Err(Fail::Usage("--ca, --tls-insecure and --tls-name need --tls".into()));
        }
        return Ok(None);
    }
    let trust = match (&conn.ca, conn.tls_insecure) {
        (Some(_), true) => return Err(Fail::Usage("choose one of --ca and --tls-insecure".into())),
        (Some(ca), false) => Trust::CaFile(ca.into()),
        (None, true) => {
            eprintln!(
                "WARNING: --tls-insecure: the server's certificate is NOT checked. The traffic (and the \
                 token) is encrypted but anyone on the path can impersonate the server. Use --ca FILE."
            );
            Trust::Insecure
        }
        (None, false) => Trust::System,
    };
    Ok(Some(TlsOptions { trust, server_name: conn.tls_name.clone() }))
}

#[cfg(unix)]
async fn unix(path: &str, options: Options) -> aimx_client::Result<Client> {
    Client::connect_unix(path, options).await
}

#[cfg(not(unix))]
async fn unix(_: &str, _: Options) -> aimx_client::Result<Client> {
    Err(aimx_client::Error::Io(std::io::Error::other("Unix sockets are not available on this system")))
}
