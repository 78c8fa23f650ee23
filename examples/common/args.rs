//! The flags every demo server takes, parsed without dependencies.

pub const USAGE: &str =
    "usage: demo [--unix PATH] [--tcp ADDR] [--token TOKEN] [--read-only] [--rate-hz N] [--max-sessions N] [--buffers N]
  --unix PATH    listen on a Unix socket at PATH
  --tcp ADDR     listen on TCP, e.g. 127.0.0.1:7000
  --token TOKEN  require this token in every hello
  --read-only    refuse every record.set (default: read-write)
  --rate-hz N    sensor.temperature readings per second (default 10)
  --max-sessions N  sessions at once (default 64)
  --buffers N    bytes of each session's line and reply buffers: 512, 1024
                 (default) or 16384; the tokio demo only (aimx-demo)
  --tls-cert FILE  serve TLS on --tcp with this PEM certificate chain (tokio demo)
  --tls-key FILE   the certificate's PEM private key
  --tls-client-ca FILE  also require client certificates signed by these CAs
At least one of --unix and --tcp is needed.";

/// The parsed flags.
#[derive(Debug, Default)]
pub struct DemoArgs {
    pub unix: Option<String>,
    pub tcp: Option<String>,
    pub token: Option<String>,
    pub read_only: bool,
    pub rate_hz: f64,
    pub max_sessions: Option<usize>,
    /// Line and reply buffer bytes, when not the default.
    pub buffers: Option<usize>,
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    pub tls_client_ca: Option<String>,
}

impl DemoArgs {
    pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut out = DemoArgs { rate_hz: 10.0, ..DemoArgs::default() };
        while let Some(flag) = args.next() {
            let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
            match flag.as_str() {
                "--unix" => out.unix = Some(value("--unix")?),
                "--tcp" => out.tcp = Some(value("--tcp")?),
                "--token" => out.token = Some(value("--token")?),
                "--read-only" => out.read_only = true,
                "--rate-hz" => {
                    let v = value("--rate-hz")?;
                    out.rate_hz = v.parse().map_err(|_| format!("--rate-hz: not a number: {v}"))?;
                    if !(out.rate_hz > 0.0 && out.rate_hz <= 1_000_000.0) {
                        return Err("--rate-hz must be in (0, 1000000]".into());
                    }
                }
                "--buffers" => {
                    let v = value("--buffers")?;
                    match v.parse() {
                        Ok(n @ (512 | 1024 | 16384)) => out.buffers = Some(n),
                        _ => return Err(format!("--buffers: 512, 1024 or 16384, not {v}")),
                    }
                }
                "--max-sessions" => {
                    let v = value("--max-sessions")?;
                    out.max_sessions = Some(v.parse().map_err(|_| format!("--max-sessions: not a number: {v}"))?);
                }
                "--tls-cert" => out.tls_cert = Some(value("--tls-cert")?),
                "--tls-key" => out.tls_key = Some(value("--tls-key")?),
                "--tls-client-ca" => out.tls_client_ca = Some(value("--tls-client-ca")?),
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                other => return Err(format!("unknown flag {other}")),
            }
        }
        if out.unix.is_none() && out.tcp.is_none() {
            return Err("give --unix PATH and/or --tcp ADDR".into());
        }
        if out.tls_cert.is_some() != out.tls_key.is_some() {
            return Err("--tls-cert and --tls-key go together".into());
        }
        if out.tls_client_ca.is_some() && out.tls_cert.is_none() {
            return Err("--tls-client-ca needs --tls-cert and --tls-key".into());
        }
        if out.tls_cert.is_some() && out.tcp.is_none() {
            return Err("TLS is served on --tcp only".into());
        }
        Ok(out)
    }
}
