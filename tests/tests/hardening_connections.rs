//! Connections that never finish a request (issue 15, finding 4): 200 connections with an
//! unfinished request header plus 50 silent ones stayed open for over a minute, each an open
//! file of the agent. Now a connection has `header_read_timeout` to send its headers and at
//! most `max_connections` are open at once. This runs the real `rosette-agent serve` with a
//! small configuration and counts its open files in /proc.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::*;

/// Files the agent holds open now.
fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(Iterator::count)
        .unwrap_or(0)
}

/// Whether the server closed `stream` (EOF or reset) within `limit`.
fn closed_by_server(stream: &mut TcpStream, limit: Duration) -> bool {
    stream
        .set_read_timeout(Some(limit))
        .expect("set_read_timeout");
    let mut buf = [0_u8; 512];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            // A 408 or 400 before closing is fine; keep reading until the close.
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn slow_header_connections_are_closed() {
    let tmp = tempfile::TempDir::new().expect("tempdir");
    let config = tmp.path().join("agent.toml");
    std::fs::write(&config, "max_connections = 64\nheader_read_timeout = 2\n").expect("config");
    let agent = rosette_tests::agent::Agent::start_with(
        &binaries().agent,
        &tmp.path().join("data"),
        false,
        "127.0.0.1:0",
        None,
        &["--config".as_ref(), config.as_os_str()],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let addr = agent.url().trim_start_matches("http://").to_owned();
    let pid = agent.pid();
    let baseline = open_files(pid);

    // 400 connections that send half a request header and stop, and 100 that send nothing.
    let mut connections = Vec::new();
    for i in 0..500 {
        let mut stream = TcpStream::connect(&addr).expect("connect");
        if i < 400 {
            stream
                .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .expect("write");
        }
        connections.push(stream);
    }
    std::thread::sleep(Duration::from_millis(500));
    let during = open_files(pid);
    // The cap holds: the rest wait in the listen backlog, not in the agent's file table.
    assert!(
        during <= baseline + 64 + 8,
        "{during} open files with 500 slow connections (baseline {baseline}, cap 64)"
    );

    // Every one of them is closed by the agent: the first 64 after the header timeout, the
    // next ones as slots free up (each waits at most its own timeout once accepted).
    let started = Instant::now();
    let mut still_open = 0;
    for stream in &mut connections {
        let left = Duration::from_secs(60).saturating_sub(started.elapsed());
        if !closed_by_server(stream, left.max(Duration::from_millis(10))) {
            still_open += 1;
        }
    }
    assert_eq!(still_open, 0, "connections the agent never closed");
    drop(connections);
    std::thread::sleep(Duration::from_millis(300));
    let after = open_files(pid);
    assert!(
        after <= baseline + 4,
        "{after} open files after the slow clients left (baseline {baseline})"
    );

    // And the agent still answers.
    let mut stream = TcpStream::connect(&addr).expect("connect");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
