//! Command-line flags, parsed by hand (no dependency for a dozen flags).

pub const USAGE: &str = "usage: aimx-loadgen (--unix PATH | --tcp ADDR) [options] [SCENARIO...]
scenarios: sequential pipelined sessions fanout memory churn stats (default: the first five)
  --wire v1|v3          protocol generation (default v1); v3 is AimX 3.0, in
                        length-prefixed frames over --tcp and lines over --unix
  --framing lines|prefixed  override v3's framing
  --token TOKEN         auth token for every hello
  --hello bare|wrapped  hello form: bare {\"version\":…} (every v1 server takes it;
                        the default) or wrapped {\"hello\":{…}}
  --get-param record|name  parameter naming the record in record.get (default
                        record: what AimDB's v1 CLI sends, so every v1 server takes
                        it; name with --wire v3, as AimDB's v3 CLI sends)
  --counter-field PATH  fan-out with --source writer: the writer sets
                        {PATH: 1, 2, 3…} and subscribers check that counter
                        instead of the event `sequence` (for servers whose
                        sequence counts deliveries, not values); PATH may be dotted
  --get-record NAME     record read by record.get (default config.log_level)
  --set-record NAME     record written by the fan-out writer (default config.log_level)
  --set-values JSON     JSON array of values the writer cycles through
                        (default [\"info\",\"debug\",\"warn\",\"error\"])
  --sub-record NAME     record the fan-out subscribes to (default: --set-record with
                        --source writer, sensor.temperature with --source producer)
  --source writer|producer  who produces fan-out values (default writer)
  --seconds N           length of the timed scenarios (default 5)
  --count N             requests in the pipelined burst (default 10000)
  --sessions N          sessions for sessions/memory (default 1000)
  --gets N              record.get per session in sessions (default 10)
  --subscribers LIST    fan-out subscriber counts (default 1,8,64)
  --server-pid PID      read the server's CPU time and RSS from /proc
  --floor-unix PATH, --floor-tcp ADDR, --floor-pid PID
                        an aimx-floor server: every scenario that has a floor
                        (sequential pipelined sessions fanout memory) runs on it
                        too, and the server's row gets its ratio to the floor:
                        sequential, pipelined and fanout alternate between the
                        two (see --slices, --bursts), the others run on the
                        floor first
  --slices N            with a floor, sequential and fanout alternate floor and
                        server in N slices of --seconds/N each (default 10)
  --bursts N            pipelined bursts of --count gets, one after another
                        (default 5; with a floor, alternating with its bursts)
  --label NAME          server label stored with the results (default aimx)
  --results FILE        JSON lines appended here (default: none, the table only)
  --seed N              seed for churn's random choices";

/// Where the server listens.
#[derive(Clone, Debug)]
pub enum Target {
    Unix(String),
    Tcp(String),
}

/// Every flag, with its default.
#[derive(Clone, Debug)]
pub struct Args {
    pub target: Target,
    /// The floor server and its pid, when one is given.
    pub floor: Option<(Target, Option<u32>)>,
    /// This run is against the floor, which answers without reading ids.
    pub is_floor: bool,
    pub bursts: usize,
    pub token: Option<String>,
    /// Send the hello wrapped in `{"hello":…}` rather than bare.
    pub wrapped_hello: bool,
    /// Speak AimX 3.0 instead of v1.
    pub v3: bool,
    /// v3's framing when given: `Some(true)` length-prefixed.
    pub prefixed: Option<bool>,
    pub get_param: String,
    pub counter_field: Option<String>,
    pub get_record: String,
    pub set_record: String,
    pub set_values: Vec<serde_json::Value>,
    pub sub_record: Option<String>,
    pub producer: bool,
    pub seconds: f64,
    /// Slices of sequential and of each fan-out size, alternating with the floor's.
    pub slices: usize,
    pub count: usize,
    pub sessions: usize,
    pub gets: usize,
    pub subscribers: Vec<usize>,
    pub server_pid: Option<u32>,
    pub label: String,
    /// Where each result's JSON line is appended (`None`: nowhere; a run
    /// by hand leaves no file behind in its working directory).
    pub results: Option<String>,
    pub seed: u64,
    pub scenarios: Vec<String>,
}

impl Args {
    /// The record the fan-out subscribes to.
    pub fn sub_record(&self) -> &str {
        match (&self.sub_record, self.producer) {
            (Some(name), _) => name,
            (None, true) => "sensor.temperature",
            (None, false) => &self.set_record,
        }
    }

    /// The params of a `record.get` of `--get-record`.
    /// How frames look on this run's connections.
    pub fn frames(&self) -> crate::frames::Frames {
        let tcp = matches!(self.target, Target::Tcp(_));
        crate::frames::Frames { v3: self.v3, prefixed: self.v3 && self.prefixed.unwrap_or(tcp) }
    }

    pub fn get_params(&self) -> serde_json::Value {
        serde_json::json!({ self.get_param.as_str(): self.get_record })
    }

    /// The same flags aimed at the floor server.
    pub fn for_floor(&self) -> Option<Args> {
        let (target, pid) = self.floor.clone()?;
        // The floor answers lines with canned v1 replies: it has no v3.
        let v1 = Args { v3: false, prefixed: None, ..self.clone() };
        Some(Args { target, server_pid: pid, label: "floor".into(), is_floor: true, floor: None, ..v1 })
    }

    pub fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut target = None;
        let (mut floor, mut floor_pid) = (None, None);
        let mut a = Args {
            target: Target::Unix(String::new()),
            floor: None,
            is_floor: false,
            bursts: 5,
            token: None,
            wrapped_hello: false,
            v3: false,
            prefixed: None,
            get_param: String::new(),
            counter_field: None,
            get_record: "config.log_level".into(),
            set_record: "config.log_level".into(),
            set_values: ["info", "debug", "warn", "error"].map(serde_json::Value::from).to_vec(),
            sub_record: None,
            producer: false,
            seconds: 5.0,
            slices: 10,
            count: 10_000,
            sessions: 1000,
            gets: 10,
            subscribers: vec![1, 8, 64],
            server_pid: None,
            label: "aimx".into(),
            results: None,
            seed: 1,
            scenarios: Vec::new(),
        };
        while let Some(flag) = it.next() {
            let mut val = || it.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--unix" => target = Some(Target::Unix(val()?)),
                "--tcp" => target = Some(Target::Tcp(val()?)),
                "--floor-unix" => floor = Some(Target::Unix(val()?)),
                "--floor-tcp" => floor = Some(Target::Tcp(val()?)),
                "--floor-pid" => floor_pid = Some(num(&val()?)?),
                "--bursts" => a.bursts = num(&val()?)?,
                "--token" => a.token = Some(val()?),
                "--hello" => {
                    a.wrapped_hello = match val()?.as_str() {
                        "bare" => false,
                        "wrapped" => true,
                        other => return Err(format!("--hello: bare or wrapped, not {other}")),
                    }
                }
                "--wire" => {
                    a.v3 = match val()?.as_str() {
                        "v1" => false,
                        "v3" => true,
                        other => return Err(format!("--wire: v1 or v3, not {other}")),
                    }
                }
                "--framing" => {
                    a.prefixed = match val()?.as_str() {
                        "lines" => Some(false),
                        "prefixed" => Some(true),
                        other => return Err(format!("--framing: lines or prefixed, not {other}")),
                    }
                }
                "--get-param" => {
                    a.get_param = match val()?.as_str() {
                        p @ ("record" | "name") => p.to_owned(),
                        other => return Err(format!("--get-param: record or name, not {other}")),
                    }
                }
                "--counter-field" => a.counter_field = Some(val()?),
                "--get-record" => a.get_record = val()?,
                "--set-record" => a.set_record = val()?,
                "--set-values" => {
                    let v = val()?;
                    a.set_values = serde_json::from_str(&v).map_err(|e| format!("--set-values: {e}"))?;
                    if a.set_values.is_empty() {
                        return Err("--set-values: give at least one value".into());
                    }
                }
                "--sub-record" => a.sub_record = Some(val()?),
                "--source" => {
                    a.producer = match val()?.as_str() {
                        "writer" => false,
                        "producer" => true,
                        other => return Err(format!("--source: writer or producer, not {other}")),
                    }
                }
                "--seconds" => a.seconds = num(&val()?)?,
                "--slices" => a.slices = num(&val()?)?,
                "--count" => a.count = num(&val()?)?,
                "--sessions" => a.sessions = num(&val()?)?,
                "--gets" => a.gets = num(&val()?)?,
                "--subscribers" => a.subscribers = val()?.split(',').map(num).collect::<Result<_, _>>()?,
                "--server-pid" => a.server_pid = Some(num(&val()?)?),
                "--label" => a.label = val()?,
                "--results" => a.results = Some(val()?),
                "--seed" => a.seed = num(&val()?)?,
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                s if !s.starts_with('-') => a.scenarios.push(s.to_owned()),
                other => return Err(format!("unknown flag {other}")),
            }
        }
        a.target = target.ok_or("give --unix PATH or --tcp ADDR")?;
        if a.get_param.is_empty() {
            a.get_param = if a.v3 { "name" } else { "record" }.into();
        }
        if a.prefixed.is_some() && !a.v3 {
            return Err("--framing is for --wire v3 (v1 is always lines)".into());
        }
        if a.counter_field.is_some() && a.producer {
            return Err("--counter-field needs --source writer: the loadgen numbers the values it writes".into());
        }
        a.floor = floor.map(|f| (f, floor_pid));
        if a.scenarios.is_empty() {
            a.scenarios = ["sequential", "pipelined", "sessions", "fanout", "memory"].map(String::from).to_vec();
        }
        Ok(a)
    }
}

fn num<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("not a number: {s}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(flags: &[&str]) -> Result<Args, String> {
        Args::parse(flags.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_suit_any_v1_server() {
        let a = parse(&["--unix", "/s"]).unwrap();
        assert!(!a.wrapped_hello);
        assert_eq!(a.get_params(), serde_json::json!({"record": "config.log_level"}));
    }

    #[test]
    fn hello_and_get_param_flags() {
        let a = parse(&["--tcp", "h:1", "--hello", "wrapped", "--get-param", "name"]).unwrap();
        assert!(a.wrapped_hello);
        assert_eq!(a.get_params(), serde_json::json!({"name": "config.log_level"}));
        assert!(parse(&["--unix", "/s", "--get-param", "id"]).unwrap_err().contains("record or name"));
        assert!(parse(&["--unix", "/s", "--hello", "x"]).unwrap_err().contains("bare or wrapped"));
        let v3 = parse(&["--tcp", "h:1", "--wire", "v3"]).unwrap();
        assert_eq!((v3.frames().v3, v3.frames().prefixed), (true, true));
        assert_eq!(v3.get_params(), serde_json::json!({"name": "config.log_level"}));
        let lines = parse(&["--tcp", "h:1", "--wire", "v3", "--framing", "lines"]).unwrap();
        assert!(!lines.frames().prefixed);
        assert!(!parse(&["--unix", "/s", "--wire", "v3"]).unwrap().frames().prefixed);
        assert!(parse(&["--unix", "/s", "--framing", "lines"]).unwrap_err().contains("--wire v3"));
        let e = parse(&["--unix", "/s", "--counter-field", "n", "--source", "producer"]).unwrap_err();
        assert!(e.contains("--source writer"), "{e}");
    }
}
