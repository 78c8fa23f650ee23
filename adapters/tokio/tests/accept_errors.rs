//! Running out of file descriptors does not end the accept loop: it reports
//! `EMFILE`, waits and accepts again once descriptors are free. (Its own test
//! binary: it lowers `RLIMIT_NOFILE` for the whole process.)

mod common;

use std::io::{BufRead, BufReader, Write};
use std::time::Duration;

use aimx::Config;
use common::{hear, notes, server, Heard};
use tokio::net::TcpListener;

fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").unwrap().count() as u64
}

fn set_nofile(soft: u64, hard: u64) {
    let limit = libc::rlimit { rlim_cur: soft, rlim_max: hard };
    // SAFETY: setrlimit reads the struct we pass and nothing else.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
}

fn nofile() -> (u64, u64) {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct we own.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) }, 0);
    (limit.rlim_cur, limit.rlim_max)
}

#[tokio::test(flavor = "current_thread")]
async fn accepting_survives_running_out_of_file_descriptors() {
    let server = server(Config::new());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (notes, mut heard) = notes();
    let accept = tokio::spawn(aimx_tokio::serve_tcp(server, listener, notes));

    // Eight peers connect (the kernel completes them in the backlog) while
    // the accept loop has not run yet; then only three descriptors are left.
    let clients: Vec<_> = (0..8).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
    let (soft, hard) = nofile();
    set_nofile(open_fds() + 2, hard);
    let error = hear(&mut heard, |h| match h {
        Heard::AcceptFailed(e) => Some(e.clone()),
        _ => None,
    })
    .await;
    set_nofile(soft, hard);
    assert!(error.contains("Too many open files"), "{error}");
    assert!(!accept.is_finished(), "the accept loop ended on EMFILE");

    // Every peer is served once descriptors are back, and so is a new one.
    let answers = tokio::task::spawn_blocking(move || {
        let mut all = clients;
        all.push(std::net::TcpStream::connect(addr).unwrap());
        all.into_iter()
            .map(|mut c| {
                c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                c.write_all(b"{\"version\":\"1.0\"}\n").unwrap();
                let mut line = String::new();
                BufReader::new(c).read_line(&mut line).unwrap();
                line
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for line in answers {
        assert!(line.contains("\"version\":\"1.0\""), "{line}");
    }
}
