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
  --tls-cert FILE  serve TLS on --tcp with this PEM certificate chain
  --tls-key FILE   the certificate's PEM private key
  --tls-client-ca FILE  also require client certificates signed by these CAs
  --idle-timeout SECS  close a TCP session with no subscription that sends
                 nothing for SECS seconds (default 300; 0: never)
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
    /// The TCP sessions' idle timeout when given: `Some(None)` turns it off;
    /// `None` leaves the accept loop's default (5 minutes).
    pub idle_timeout: Option<Option<std::time::Duration>>,
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
                "--idle-timeout" => {
                    let v = value("--idle-timeout")?;
                    let secs: u64 =
                        v.parse().map_err(|_| format!("--idle-timeout: not a whole number of seconds: {v}"))?;
                    out.idle_timeout = Some((secs > 0).then(|| std::time::Duration::from_secs(secs)));
                }
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::DemoArgs;

    fn parse(flags: &[&str]) -> Result<DemoArgs, String> {
        DemoArgs::parse(flags.iter().map(|s| s.to_string()))
    }

    #[test]
    fn idle_timeout_flag_sets_turns_off_or_leaves_the_default() {
        assert_eq!(parse(&["--tcp", "x:1"]).unwrap().idle_timeout, None);
        assert_eq!(parse(&["--tcp", "x:1", "--idle-timeout", "0"]).unwrap().idle_timeout, Some(None));
        let set = parse(&["--tcp", "x:1", "--idle-timeout", "90"]).unwrap().idle_timeout;
        assert_eq!(set, Some(Some(Duration::from_secs(90))));
        assert!(parse(&["--tcp", "x:1", "--idle-timeout", "1.5"]).unwrap_err().contains("--idle-timeout"));
    }
}
