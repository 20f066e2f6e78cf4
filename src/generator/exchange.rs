//! One request, from the scenario's task to the recorded sample: the bytes written once per run
//! where they never change, the send on a user's connection, the status judged, the sample pushed
//! into the user's own buffer; and a user's turn, which (A/B) sends the same request to both targets.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::client::{self, Connection, Outcome};
use super::outcome::{Measured, Pair, PairRecorder};
use super::scenario::{Scenario, Task};
use super::stats::{Entry, Recorder, Sample};

/// The shared, read-only part of every user.
pub(super) struct Shared {
    pub(super) scenario: Scenario,
    pub(super) entry_of_task: Vec<usize>,
    /// Per task, its request's bytes if they never change (see `render_fixed_requests`).
    pub(super) fixed_requests: Vec<Option<Vec<u8>>>,
    pub(super) authority: String,
    pub(super) base_path: String,
    pub(super) addr: SocketAddr,
    pub(super) tls: Option<Arc<crate::tls::Tls>>,
    pub(super) timeout: Duration,
    /// Unix time (seconds) at `origin`.
    pub(super) unix_origin: f64,
    pub(super) origin: Instant,
}

impl Shared {
    pub(super) fn unix_second(&self, at: Instant) -> i64 {
        (self.unix_origin + at.duration_since(self.origin).as_secs_f64()).floor() as i64
    }

    /// The bytes of each task's request that is the same every time (no placeholder in its
    /// path), written once for the run rather than once per request.
    pub(super) fn render_fixed_requests(&self) -> Vec<Option<Vec<u8>>> {
        let mut unused = fastrand::Rng::with_seed(0);
        self.scenario
            .tasks
            .iter()
            .map(|task| {
                task.is_fixed().then(|| {
                    let mut out = Vec::new();
                    self.write_request(task, &mut unused, &mut out);
                    out
                })
            })
            .collect()
    }

    /// Writes `task`'s request as it goes on the wire: no request object between the scenario
    /// and the socket.
    fn write_request(&self, task: &Task, rng: &mut fastrand::Rng, out: &mut Vec<u8>) {
        let head = client::RequestHead {
            method: &task.method,
            authority: &self.authority,
            user_agent: concat!("loadgate/", env!("CARGO_PKG_VERSION")),
            headers: &task.headers,
            body: &task.body,
        };
        head.write(out, |out| {
            out.extend_from_slice(self.base_path.as_bytes());
            task.write_path(rng, out);
        });
    }

    /// Sends one request of `task` and records it, timed from `intended` (the open model's
    /// schedule) or from the send itself; returns what it recorded, for the A/B pairs.
    async fn exchange(
        &self,
        conn: &mut Connection,
        task_index: usize,
        rng: &mut fastrand::Rng,
        recorder: &Recorder,
        intended: Option<Instant>,
        refused: &mut RefusedStatus,
    ) -> Measured {
        let task = &self.scenario.tasks[task_index];
        let sent = Instant::now();
        let started = intended.unwrap_or(sent);
        let write = |out: &mut Vec<u8>| match &self.fixed_requests[task_index] {
            Some(fixed) => out.extend_from_slice(fixed),
            None => self.write_request(task, rng, out),
        };
        let outcome = conn.send(write, sent, self.timeout).await;
        let done = Instant::now();
        let (bytes, failure) = match outcome {
            Outcome::Response { status, bytes } => {
                let failure = (!task.expect.accepts(status.as_u16()))
                    .then(|| refused.message(task_index, status, &task.name));
                (bytes, failure)
            }
            Outcome::Error(message) => (0, Some(message)),
        };
        let measured = Measured {
            micros: done.duration_since(started).as_micros() as u64,
            failed: failure.is_some(),
        };
        let sample = Sample {
            entry: self.entry_of_task[task_index],
            second: self.unix_second(done),
            micros: measured.micros,
            bytes,
            failure,
        };
        recorder
            .lock()
            .expect("the collector never panics while holding a buffer")
            .push(sample);
        measured
    }
}

/// The failure message of the status a lane's task last refused: a failing endpoint fails the same
/// way request after request, and the message is then copied rather than formatted again.
#[derive(Default)]
pub(super) struct RefusedStatus(Option<(usize, hyper::StatusCode, String)>);

impl RefusedStatus {
    fn message(&mut self, task: usize, status: hyper::StatusCode, name: &str) -> String {
        match &self.0 {
            Some((t, s, message)) if *t == task && *s == status => message.clone(),
            _ => {
                let message = client::status_failure(status, name);
                self.0 = Some((task, status, message.clone()));
                message
            }
        }
    }
}

/// A user's way to one target: the target, the user's connection to it, and its sample buffer.
pub(super) struct Lane {
    pub(super) shared: Arc<Shared>,
    pub(super) conn: Connection,
    pub(super) recorder: Recorder,
    pub(super) refused: RefusedStatus,
}

impl Lane {
    async fn exchange(
        &mut self,
        task: usize,
        rng: &mut fastrand::Rng,
        intended: Option<Instant>,
    ) -> Measured {
        self.shared
            .exchange(
                &mut self.conn,
                task,
                rng,
                &self.recorder,
                intended,
                &mut self.refused,
            )
            .await
    }
}

/// One turn of a user at `task`: a single request, or (A/B) the same request to both targets in a
/// seeded random order, so neither side is systematically first, warmer or later. Placeholders
/// render the same on both sides. Under the open model the pair shares the schedule's lateness:
/// each request is timed from its own send plus how late the pair started.
pub(super) async fn turn(
    lanes: &mut [Lane],
    task: usize,
    rng: &mut fastrand::Rng,
    intended: Option<Instant>,
    pairs: Option<&PairRecorder>,
) {
    let (a, b) = match lanes {
        [only] => {
            only.exchange(task, rng, intended).await;
            return;
        }
        [a, b] => (a, b),
        _ => unreachable!("a run has one target, an A/B run two"),
    };
    let paths = rng.fork();
    let b_first = rng.bool();
    let sent = Instant::now();
    let lateness = intended.map_or(Duration::ZERO, |i| sent.saturating_duration_since(i));
    let since = |at: Instant| at.checked_sub(lateness).unwrap_or(at);
    let (first, second) = if b_first { (b, a) } else { (a, b) };
    let one = first
        .exchange(task, &mut paths.clone(), Some(since(sent)))
        .await;
    let two = second
        .exchange(task, &mut paths.clone(), Some(since(Instant::now())))
        .await;
    let (a, b) = if b_first { (two, one) } else { (one, two) };
    if let Some(pairs) = pairs {
        pairs.lock().expect("not poisoned").push(Pair {
            entry: first.shared.entry_of_task[task],
            a,
            b,
            b_first,
        });
    }
}

/// The scenario's distinct (method, name) entries, and the entry of each task.
pub(super) fn entries_of(scenario: &Scenario) -> (Vec<Entry>, Vec<usize>) {
    let mut entries: Vec<Entry> = Vec::new();
    let mut of_task = Vec::new();
    for task in &scenario.tasks {
        let method = task.method.as_str();
        let index = match entries
            .iter()
            .position(|e| e.method == method && e.name == task.name)
        {
            Some(i) => i,
            None => {
                entries.push(Entry::new(method, &task.name));
                entries.len() - 1
            }
        };
        of_task.push(index);
    }
    (entries, of_task)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_status_is_worded_as_formatted_for_its_task_and_status() {
        let mut refused = RefusedStatus::default();
        let cases = [
            (0, hyper::StatusCode::NOT_FOUND, "/a"),
            (0, hyper::StatusCode::NOT_FOUND, "/a"),
            (1, hyper::StatusCode::NOT_FOUND, "/b"),
            (1, hyper::StatusCode::SERVICE_UNAVAILABLE, "/b"),
            (0, hyper::StatusCode::NOT_FOUND, "/a"),
        ];
        for (task, status, name) in cases {
            assert_eq!(
                refused.message(task, status, name),
                client::status_failure(status, name)
            );
        }
    }

    /// A request written once for the run is byte for byte the one written per request; a path
    /// with a placeholder is still written per request.
    #[test]
    fn fixed_requests_are_the_requests_and_placeholders_stay_per_request() {
        let scenario = Scenario::parse(
            "[[task]]\npath = \"/a\"\n[[task]]\npath = \"/items/{rand:1..1000}\"\n\
             [[task]]\nmethod = \"post\"\npath = \"/login\"\njson = { u = 1 }\n",
            "t.toml",
        )
        .unwrap();
        let mut shared = Shared {
            scenario,
            entry_of_task: vec![0, 1, 2],
            fixed_requests: Vec::new(),
            authority: "127.0.0.1:80".into(),
            base_path: "/base".into(),
            addr: "127.0.0.1:80".parse().unwrap(),
            tls: None,
            timeout: Duration::from_secs(1),
            unix_origin: 0.0,
            origin: Instant::now(),
        };
        shared.fixed_requests = shared.render_fixed_requests();
        let mut rng = fastrand::Rng::with_seed(7);
        for (i, task) in shared.scenario.tasks.iter().enumerate() {
            let mut fresh = Vec::new();
            shared.write_request(task, &mut rng, &mut fresh);
            match (&shared.fixed_requests[i], i) {
                (Some(fixed), 0 | 2) => assert_eq!(fixed, &fresh),
                (None, 1) => assert!(fresh.starts_with(b"GET /base/items/")),
                (other, _) => panic!("task {i}: {other:?}"),
            }
        }
        assert!(
            String::from_utf8_lossy(shared.fixed_requests[2].as_ref().unwrap())
                .ends_with("content-length: 7\r\n\r\n{\"u\":1}")
        );
    }
}
