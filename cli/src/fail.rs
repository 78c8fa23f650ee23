//! Failures and their exit codes.

use aimx_client::Error;

/// Why the command failed; each kind has its own exit code.
#[derive(Debug)]
pub enum Fail {
    /// The server answered with an error: exit 1.
    Server(Error),
    /// The command line made no sense: exit 2.
    Usage(String),
    /// Could not connect, authenticate or keep talking: exit 3.
    Connection(Error),
}

impl Fail {
    pub fn exit_code(&self) -> i32 {
        match self {
            Fail::Server(_) => 1,
            Fail::Usage(_) => 2,
            Fail::Connection(_) => 3,
        }
    }

    /// The server's error code, or `usage_error` / `connection_error`.
    pub fn code(&self) -> String {
        match self {
            Fail::Server(e) | Fail::Connection(e) => match e.code() {
                Some(code) => code.as_str().to_owned(),
                None => "connection_error".to_owned(),
            },
            Fail::Usage(_) => "usage_error".to_owned(),
        }
    }

    pub fn message(&self) -> String {
        match self {
            Fail::Server(e) | Fail::Connection(e) => e.to_string(),
            Fail::Usage(m) => m.clone(),
        }
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        match e {
            Error::Server(_) => Fail::Server(e),
            _ => Fail::Connection(e),
        }
    }
}
