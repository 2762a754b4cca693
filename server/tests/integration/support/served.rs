//! The real `vigil` binary serving a database on a free port, for the tests that stop,
//! kill or read the whole process. Killed when dropped, so a failing test leaves no
//! server behind.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Served {
    pub child: Child,
    pub base: String,
}

impl Served {
    /// Starts `vigil serve` on `url` with `args` added, without waiting for it; with
    /// `debug_log` it logs at debug level to a pipe in `child.stderr`.
    pub fn spawn(url: &str, args: &[&str], debug_log: bool) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_vigil"));
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--database-url", url])
            .args(args)
            .stdout(Stdio::null());
        if debug_log {
            command.env("VIGIL_LOG", "debug").stderr(Stdio::piped());
        } else {
            command.stderr(Stdio::null());
        }
        Self {
            child: command.spawn().unwrap(),
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Starts it and waits until it is ready.
    pub async fn start(url: &str, args: &[&str]) -> Self {
        let served = Self::spawn(url, args, false);
        served.ready().await;
        served
    }

    /// Waits until `/readyz` answers 200: 30 s at most.
    pub async fn ready(&self) {
        let client = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            let ready = client.get(self.url("/readyz")).send().await;
            if ready.is_ok_and(|r| r.status() == 200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("vigil at {} was not ready within 30 s", self.base);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGKILL: the process gets no chance to finish, flush or close anything.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
