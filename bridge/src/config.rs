//! The TOML configuration: the broker, the devices, what flows which way.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The MQTT broker every device is mirrored to.
    pub broker: Broker,
    /// Reconnection, health and console settings shared by all devices.
    #[serde(default)]
    pub bridge: Settings,
    /// The devices.
    #[serde(default, rename = "device")]
    pub devices: Vec<Device>,
}

/// `[broker]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Broker {
    /// `mqtt://HOST:PORT` (1883 by default) or `mqtts://HOST:PORT` (8883).
    pub url: String,
    /// User name for the broker.
    pub username: Option<String>,
    /// Environment variable holding the broker password (never the password
    /// itself in the file).
    pub password_env: Option<String>,
    /// PEM file of the CA that signed the broker's certificate (`mqtts://`);
    /// without it the system's roots are used.
    pub ca_file: Option<PathBuf>,
    /// Topic prefix, `aimx` by default: `<prefix>/<device>/<record>`.
    #[serde(default = "default_prefix")]
    pub topic_prefix: String,
    /// MQTT client ids are `<client_id_prefix>-<device>`.
    #[serde(default = "default_client_id")]
    pub client_id_prefix: String,
    /// MQTT keep-alive in seconds, at least 5 (how fast a broker that went
    /// silent without closing the connection is noticed).
    #[serde(default = "default_keep_alive")]
    pub keep_alive_secs: u64,
}

/// `[bridge]`: timings. Every field has a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// First retry delay after a device or the broker is lost, in ms.
    pub backoff_initial_ms: u64,
    /// Cap of the doubling retry delay, in ms.
    pub backoff_max_ms: u64,
    /// `ping` each device this often, in ms (also notices silent links).
    pub ping_interval_ms: u64,
    /// Print one line per device and publish `$stats` this often, in ms.
    pub stats_interval_ms: u64,
    /// Limit for each device call (connect, handshake, ping, set), in ms.
    pub device_timeout_ms: u64,
    /// Ring events waiting for the broker beyond this many (per device) are
    /// dropped and counted.
    pub queue_limit: usize,
    /// Print the per-device health line on the console.
    pub console: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            backoff_initial_ms: 200,
            backoff_max_ms: 10_000,
            ping_interval_ms: 5_000,
            stats_interval_ms: 5_000,
            device_timeout_ms: 3_000,
            queue_limit: 4096,
            console: true,
        }
    }
}

/// One `[[device]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// Its name in topics: `aimx/<name>/…`. No `/`, `+`, `#`.
    pub name: String,
    /// `unix:PATH`, `tcp:HOST:PORT` or `serial:PATH@BAUD`.
    pub connect: String,
    /// Environment variable holding the device's auth token.
    pub token_env: Option<String>,
    /// Records mirrored device → broker (`*` matches any run of characters).
    #[serde(default)]
    pub link_to: Vec<String>,
    /// Records the broker may write (`…/set`), same patterns.
    #[serde(default)]
    pub link_from: Vec<String>,
}

/// Where a device is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A Unix socket.
    Unix(PathBuf),
    /// `HOST:PORT`.
    Tcp(String),
    /// A serial port and its baud rate.
    Serial(String, u32),
}

fn default_prefix() -> String {
    "aimx".into()
}
fn default_client_id() -> String {
    "aimx-bridge".into()
}
fn default_keep_alive() -> u64 {
    5
}

impl Settings {
    /// The first retry delay.
    pub fn backoff_initial(&self) -> Duration {
        Duration::from_millis(self.backoff_initial_ms.max(1))
    }
    /// The retry delay cap.
    pub fn backoff_max(&self) -> Duration {
        Duration::from_millis(self.backoff_max_ms.max(self.backoff_initial_ms).max(1))
    }
}

impl Config {
    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Config::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses and checks a config text.
    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        config.broker_address()?;
        if config.broker.keep_alive_secs < 5 {
            return Err("broker keep_alive_secs: at least 5 (the MQTT client's minimum)".into());
        }
        let mut seen = std::collections::HashSet::new();
        for device in &config.devices {
            if device.name.is_empty() || device.name.contains(['/', '+', '#', '$']) {
                return Err(format!("device name {:?}: must be non-empty without / + # $", device.name));
            }
            if !seen.insert(&device.name) {
                return Err(format!("device name {:?} appears twice", device.name));
            }
            device.endpoint()?;
        }
        if config.devices.is_empty() {
            return Err("no [[device]] configured".into());
        }
        Ok(config)
    }

    /// `(tls, host, port)` of the broker URL.
    pub fn broker_address(&self) -> Result<(bool, String, u16), String> {
        let url = &self.broker.url;
        let (tls, rest) = if let Some(rest) = url.strip_prefix("mqtt://") {
            (false, rest)
        } else if let Some(rest) = url.strip_prefix("mqtts://") {
            (true, rest)
        } else {
            return Err(format!("broker url {url:?}: use mqtt://HOST[:PORT] or mqtts://HOST[:PORT]"));
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) => (host, port.parse().map_err(|_| format!("broker url {url:?}: bad port {port:?}"))?),
            None => (rest, if tls { 8883 } else { 1883 }),
        };
        if host.is_empty() {
            return Err(format!("broker url {url:?}: no host"));
        }
        Ok((tls, host.to_owned(), port))
    }
}

impl Device {
    /// Parses `connect`.
    pub fn endpoint(&self) -> Result<Endpoint, String> {
        let bad = || {
            format!(
                "device {}: connect {:?}: use unix:PATH, tcp:HOST:PORT or serial:PATH@BAUD",
                self.name, self.connect
            )
        };
        let (kind, rest) = self.connect.split_once(':').ok_or_else(bad)?;
        match kind {
            "unix" if !rest.is_empty() => Ok(Endpoint::Unix(rest.into())),
            "tcp" if rest.contains(':') => Ok(Endpoint::Tcp(rest.into())),
            "serial" => {
                let (path, baud) = rest.rsplit_once('@').unwrap_or((rest, "115200"));
                let baud = baud.parse().map_err(|_| bad())?;
                if path.is_empty() {
                    return Err(bad());
                }
                Ok(Endpoint::Serial(path.into(), baud))
            }
            _ => Err(bad()),
        }
    }

    /// Whether `record` is mirrored to the broker.
    pub fn links_to(&self, record: &str) -> bool {
        self.link_to.iter().any(|p| matches(p, record))
    }

    /// Whether the broker may write `record`.
    pub fn links_from(&self, record: &str) -> bool {
        self.link_from.iter().any(|p| matches(p, record))
    }
}

/// Glob match where `*` stands for any run of characters (dots included).
pub fn matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
        [broker]
        url = "mqtt://127.0.0.1:1883"
        [[device]]
        name = "bench-1"
        connect = "serial:/dev/ttyACM0@115200"
        token_env = "BENCH1_TOKEN"
        link_to = ["sensor.*", "config.log_level"]
        link_from = ["actuator.setpoint", "config.log_level"]
        [[device]]
        name = "lab"
        connect = "tcp:10.0.0.5:7000"
    "#;

    #[test]
    fn reads_the_issue_example() {
        let config = Config::parse(EXAMPLE).unwrap();
        assert_eq!(config.broker_address().unwrap(), (false, "127.0.0.1".into(), 1883));
        assert_eq!(config.broker.topic_prefix, "aimx");
        let dev = &config.devices[0];
        assert_eq!(dev.endpoint().unwrap(), Endpoint::Serial("/dev/ttyACM0".into(), 115_200));
        assert_eq!(config.devices[1].endpoint().unwrap(), Endpoint::Tcp("10.0.0.5:7000".into()));
        assert!(dev.links_to("sensor.temperature") && dev.links_to("config.log_level"));
        assert!(!dev.links_to("actuator.setpoint") && !dev.links_from("sensor.temperature"));
        assert_eq!(config.bridge.backoff_max(), Duration::from_secs(10));
    }

    #[test]
    fn rejects_bad_files_with_a_reason() {
        let cases = [
            (EXAMPLE.replace("mqtt://", "http://"), "mqtt://HOST"),
            (EXAMPLE.replace("tcp:10.0.0.5:7000", "udp:x"), "connect"),
            (EXAMPLE.replace("\"lab\"", "\"bench-1\""), "twice"),
            (EXAMPLE.replace("\"lab\"", "\"a/b\""), "without /"),
            (EXAMPLE.replace("token_env", "tokn_env"), "unknown field"),
            ("[broker]\nurl = \"mqtt://h\"\n".to_owned(), "no [[device]]"),
            (EXAMPLE.replacen("[[device]]", "keep_alive_secs = 1\n[[device]]", 1), "at least 5"),
        ];
        for (text, why) in cases {
            let err = Config::parse(&text).unwrap_err();
            assert!(err.contains(why), "{err:?} should mention {why:?}");
        }
    }

    #[test]
    fn globs() {
        assert!(matches("*", "anything.at.all"));
        assert!(matches("sensor.*", "sensor.temperature"));
        assert!(!matches("sensor.*", "config.sensor.x"));
        assert!(!matches("*.level", "config.log_level"));
        assert!(matches("*_level", "config.log_level"));
        assert!(matches("a*b*c", "a-b-b-c"));
        assert!(!matches("a*b*c", "a-c-b"));
        assert!(matches("exact", "exact") && !matches("exact", "exactly"));
    }
}
