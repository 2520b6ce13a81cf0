//! Running the real `rosterctl serve` in tests: start it, read the one line it prints, stop it as a
//! service manager would.

#![allow(dead_code)] // each test file uses what it needs

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn ctl(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rosterctl"));
    c.arg("--data-dir")
        .arg(dir)
        .env_remove("ROSTER_DATA_DIR")
        .env_remove("ROSTER_SECRET_STORE");
    c
}

/// Stops the server when the test ends, however it ends.
pub struct Serving(pub Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `rosterctl serve` with `args` and returns it with the line it printed.
pub fn serve(mut command: Command, args: &[&str]) -> (Serving, String) {
    let mut child = command
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
    let mut serving = Serving(child);
    if line.is_empty() {
        let mut err = String::new();
        let _ = serving.0.kill();
        if let Some(mut e) = serving.0.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        panic!("rosterctl serve printed nothing: {err}");
    }
    (serving, line)
}

/// The `host:port` after "listening on " in the line `serve` prints.
pub fn listening_on(line: &str) -> String {
    let rest = line
        .split("listening on ")
        .nth(1)
        .unwrap_or_else(|| panic!("no address in: {line}"));
    rest.chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
        .collect()
}

/// Stops it as a service manager would (SIGTERM on Unix) and waits for it to exit.
pub fn stop(mut serving: Serving) -> std::process::ExitStatus {
    #[cfg(unix)]
    {
        let sent = Command::new("kill")
            .args(["-TERM", &serving.0.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }
    #[cfg(not(unix))]
    {
        let _ = serving.0.kill();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = serving.0.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "rosterctl serve did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}
