//! Logs: one line per request on standard error, pretty or JSON, filtered by `--log-level`
//! or `RUST_LOG`.
//!
//! Lines are written by a background thread in batches. A request appends its line to a
//! shared buffer and wakes the writer only when the buffer was empty; the writer lets a few
//! milliseconds of lines gather before one `write`. A writer woken for every line (a channel
//! per line, as `tracing-appender` does) costs a thread wake-up and a system call per
//! request, which under load was a tenth of the server's CPU time. No line is dropped: when
//! the terminal does not keep up, requests wait for room, as they would on a blocking write.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

use crate::config::{Config, LogFormat};
use crate::run::StartError;

/// How long the writer lets lines gather once woken: short enough for a person watching,
/// long enough that a busy server writes a batch, not a line, per system call.
const GATHER: Duration = Duration::from_millis(2);
/// Past this many bytes waiting, requests wait for the writer (lossless, bounded memory).
const MAX_PENDING: usize = 1 << 20;

/// Installs the global subscriber. Lines are flushed when the returned guard is dropped.
pub fn init(config: &Config) -> Result<LogGuard, StartError> {
    // A level that reads as nothing (a typo) would silence the logs: refuse it.
    let level = tracing_subscriber::EnvFilter::builder()
        .parse(&config.log_level)
        .ok()
        .filter(|_| is_level_or_filter(&config.log_level))
        .ok_or_else(|| StartError::LogLevel {
            level: config.log_level.clone(),
            reason: "use error, warn, info, debug, trace, or a filter such as webex_emulator=debug"
                .to_owned(),
        })?;
    let (sink, guard) = BatchWriter::start(std::io::stderr());
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or(level);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(sink)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    let _ = match config.log_format {
        LogFormat::Pretty => builder.compact().try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    Ok(guard)
}

/// A bare word must be a level; anything else (`target=level`, several directives) is a
/// filter for whoever wrote it.
fn is_level_or_filter(text: &str) -> bool {
    const LEVELS: &[&str] = &["off", "error", "warn", "info", "debug", "trace"];
    text.split(',').all(|directive| {
        let directive = directive.trim();
        directive.contains('=')
            || directive.contains("::")
            || LEVELS.contains(&directive.to_ascii_lowercase().as_str())
    })
}

/// Where log lines go: a buffer shared with the writer thread.
#[derive(Clone)]
pub struct BatchWriter {
    shared: Arc<Shared>,
}

struct Shared {
    pending: Mutex<Pending>,
    /// The writer waits here for lines.
    lines: Condvar,
    /// Requests wait here for room when the buffer is full.
    room: Condvar,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    closed: bool,
}

/// Stops the writer thread when dropped, after it has written every line.
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl BatchWriter {
    /// Starts the writer thread over `out`.
    pub fn start(out: impl Write + Send + 'static) -> (BatchWriter, LogGuard) {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            lines: Condvar::new(),
            room: Condvar::new(),
        });
        let for_thread = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || for_thread.write_all_to(out))
            .ok();
        // Without a writer (no thread could be made) lines are dropped rather than kept.
        shared.lock().closed = thread.is_none();
        let writer = BatchWriter {
            shared: Arc::clone(&shared),
        };
        (writer, LogGuard { shared, thread })
    }

    fn append(&self, line: &[u8]) {
        let mut pending = self.shared.lock();
        // After shutdown (or without a writer) nobody would write the line.
        if pending.closed {
            return;
        }
        while pending.bytes.len() >= MAX_PENDING && !pending.closed {
            pending = self
                .shared
                .room
                .wait(pending)
                .unwrap_or_else(|e| e.into_inner());
        }
        let was_empty = pending.bytes.is_empty();
        pending.bytes.extend_from_slice(line);
        drop(pending);
        if was_empty {
            self.shared.lines.notify_one();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The writer thread: waits for lines, lets more gather, writes them in one go.
    fn write_all_to(&self, mut out: impl Write) {
        let mut batch = Vec::new();
        loop {
            let mut pending = self.lock();
            while pending.bytes.is_empty() && !pending.closed {
                pending = self.lines.wait(pending).unwrap_or_else(|e| e.into_inner());
            }
            if !pending.closed {
                drop(pending);
                std::thread::sleep(GATHER);
                pending = self.lock();
            }
            let closed = pending.closed;
            std::mem::swap(&mut batch, &mut pending.bytes);
            drop(pending);
            self.room.notify_all();
            // A terminal that went away must not stop the server; its lines are lost.
            let _ = out.write_all(&batch).and_then(|()| out.flush());
            batch.clear();
            if closed && self.lock().bytes.is_empty() {
                return;
            }
        }
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.lines.notify_one();
        self.shared.room.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What the formatter writes one event through; it writes the whole line in one call.
pub struct LineWriter<'a>(&'a BatchWriter);

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.append(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchWriter {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output the test can read after the writer has finished.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_is_written_in_order_by_the_time_the_guard_is_dropped() {
        let out = Captured::default();
        let (writer, guard) = BatchWriter::start(out.clone());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..50_000 {
                        writer
                            .make_writer()
                            .write_all(format!("{t} {i}\n").as_bytes())
                            .unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        drop(guard);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let mut next = [0u32; 4];
        for line in text.lines() {
            let (t, i) = line.split_once(' ').unwrap();
            let t: usize = t.parse().unwrap();
            assert_eq!(
                i.parse::<u32>().unwrap(),
                next[t],
                "thread {t} out of order"
            );
            next[t] += 1;
        }
        assert_eq!(next, [50_000; 4]);
    }

    #[test]
    fn a_line_appears_soon_without_a_flush() {
        let out = Captured::default();
        let (writer, _guard) = BatchWriter::start(out.clone());
        writer.make_writer().write_all(b"hello\n").unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while out.0.lock().unwrap().is_empty() {
            assert!(std::time::Instant::now() < deadline, "the line never came");
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(&*out.0.lock().unwrap(), b"hello\n");
    }

    #[test]
    fn levels_and_filters() {
        assert!(is_level_or_filter("info"));
        assert!(is_level_or_filter("WARN"));
        assert!(is_level_or_filter("webex_emulator=debug,hyper=warn"));
        assert!(!is_level_or_filter("infoo"));
    }
}
