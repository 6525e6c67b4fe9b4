//! Logs: one line per request on standard error, pretty or JSON, filtered by `--log-level`
//! or `RUST_LOG`.
//!
//! Lines are written by a background thread in batches. A request appends its line to a
//! shared buffer and wakes the writer only when the buffer was empty; the writer lets a few
//! milliseconds of lines gather before one `write`. A writer woken for every line (a channel
//! per line, as `tracing-appender` does) costs a thread wake-up and a system call per
//! request, which under load was a tenth of the server's CPU time. No line is dropped: when
//! the terminal does not keep up, requests wait for room, as they would on a blocking write.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use std::time::SystemTime;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

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
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = REQUEST_LINES.set(RequestLines {
        writer: sink.clone(),
        format: config.log_format,
        ansi,
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(sink)
        .with_ansi(ansi)
        .with_target(false);
    let _ = match config.log_format {
        LogFormat::Pretty => builder.event_format(Line { ansi }).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    Ok(guard)
}

/// The pretty format: `<time> <LEVEL> <message> name=value ...`, one line per event.
///
/// Written here rather than taken from `tracing-subscriber`'s compact format, which spent
/// ten thousand instructions on each request's line (styling, a visitor that formats every
/// value through `Debug`, the time through a general formatter); this one spends a tenth
/// of that. Text values are written bare unless they hold spaces, quotes or control
/// characters, then quoted as Rust quotes them.
struct Line {
    ansi: bool,
}

impl<S, N> FormatEvent<S, N> for Line
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        write!(
            writer,
            "{}{}",
            humantime::format_rfc3339_micros(SystemTime::now()),
            level_prefix(*event.metadata().level(), self.ansi)
        )?;
        let mut fields = Fields {
            writer: &mut writer,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_char('\n')
    }
}

/// Writes an event's message, then its other fields as `name=value`.
struct Fields<'a, 'w> {
    writer: &'a mut Writer<'w>,
    result: std::fmt::Result,
}

impl Fields<'_, '_> {
    fn name(&mut self, field: &Field) -> Result<(), std::fmt::Error> {
        self.writer.write_char(' ')?;
        if field.name() != "message" {
            self.writer.write_str(field.name())?;
            self.writer.write_char('=')?;
        }
        Ok(())
    }

    fn write(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> std::fmt::Result) {
        if self.result.is_ok() {
            self.result = self.name(field).and_then(|()| value(self.writer));
        }
    }
}

impl Visit for Fields<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        let message = field.name() == "message";
        self.write(field, |w| {
            let plain = value
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
                || value
                    .chars()
                    .all(|c| !c.is_whitespace() && !c.is_control() && c != '"' && c != '\\');
            if message || (plain && !value.is_empty()) {
                w.write_str(value)
            } else {
                write!(w, "{value:?}")
            }
        });
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.write(field, |w| write!(w, "{value}"));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.write(field, |w| write!(w, "{value}"));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.write(field, |w| write!(w, "{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.write(field, |w| write!(w, "{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.write(field, |w| write!(w, "{value:?}"));
    }
}

/// ` LEVEL` as the pretty format writes it after the time: padded to five, coloured on a
/// terminal.
fn level_prefix(level: Level, ansi: bool) -> &'static str {
    match (level, ansi) {
        (Level::ERROR, false) => " ERROR",
        (Level::WARN, false) => "  WARN",
        (Level::INFO, false) => "  INFO",
        (Level::DEBUG, false) => " DEBUG",
        (Level::TRACE, false) => " TRACE",
        (Level::ERROR, true) => " \x1b[31mERROR\x1b[0m",
        (Level::WARN, true) => " \x1b[33m WARN\x1b[0m",
        (Level::INFO, true) => " \x1b[32m INFO\x1b[0m",
        (Level::DEBUG, true) => " \x1b[34mDEBUG\x1b[0m",
        (Level::TRACE, true) => " \x1b[35mTRACE\x1b[0m",
    }
}

/// Where request lines go when this module set up the logs (the binary). Everything else
/// goes through `tracing`; so do request lines of an emulator embedded in a program with
/// its own subscriber.
static REQUEST_LINES: OnceLock<RequestLines> = OnceLock::new();

struct RequestLines {
    writer: BatchWriter,
    format: LogFormat,
    ansi: bool,
}

/// One request's line, as the subscriber would write the `request` event with these
/// fields, but written here directly: a request's line is the one event of every request,
/// and going through the subscriber's field visitors cost three times as much. The caller
/// has checked that the level lets the line through. Returns false when the logs were not
/// set up by [`init`], for the caller to send the event instead.
pub fn request_line(
    method: &str,
    path: &str,
    status: u16,
    duration_ms: f64,
    tracking_id: &str,
) -> bool {
    let Some(lines) = REQUEST_LINES.get() else {
        return false;
    };
    let mut line = String::with_capacity(192);
    let time = humantime::format_rfc3339_micros(SystemTime::now());
    match lines.format {
        LogFormat::Pretty => {
            let _ = write!(
                line,
                "{time}{} request method=",
                level_prefix(Level::INFO, lines.ansi)
            );
            push_value(&mut line, method);
            line.push_str(" path=");
            push_value(&mut line, path);
            let _ = write!(
                line,
                " status={status} duration_ms={duration_ms} tracking_id="
            );
            push_value(&mut line, tracking_id);
        }
        LogFormat::Json => {
            let text = |s: &str| serde_json::to_string(s).unwrap_or_default();
            let _ = write!(
                line,
                r#"{{"timestamp":"{time}","level":"INFO","message":"request","method":{},"path":{},"status":{status},"duration_ms":{duration_ms},"tracking_id":{}}}"#,
                text(method),
                text(path),
                text(tracking_id)
            );
        }
    }
    line.push('\n');
    lines.writer.append(line.as_bytes());
    true
}

/// A text value of the pretty format: bare unless it holds spaces, quotes or control
/// characters, then quoted as Rust quotes them.
fn push_value(out: &mut String, value: &str) {
    let plain = !value.is_empty()
        && (value
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
            || value
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && c != '"' && c != '\\'));
    if plain {
        out.push_str(value);
    } else {
        let _ = write!(out, "{value:?}");
    }
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
