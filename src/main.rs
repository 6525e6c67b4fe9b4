//! The binary: parse the configuration and run.

use std::alloc::{GlobalAlloc, Layout};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Parser;
use mimalloc::MiMalloc;
use webex_emulator::config::Command;
use webex_emulator::Config;

/// A request makes many small allocations; mimalloc serves them several times faster than
/// the system allocator (a third of the instructions per request went to malloc and free).
#[global_allocator]
static ALLOCATOR: Allocator = Allocator;

/// mimalloc, with transparent huge pages turned off before its first allocation.
///
/// Many Linux systems back large anonymous mappings with 2 MiB pages as soon as one byte
/// of them is touched ("always" mode); the allocator's arenas then made the idle server
/// take 17 MiB instead of 7. A small server gains nothing from huge pages. The switch is a
/// flag of the process that the kernel checks at each page fault, so it has to be set
/// before the allocator touches its first page: here, rather than in `main`, which runs
/// after the runtime's own first allocations.
struct Allocator;

static HUGE_PAGES_OFF: AtomicBool = AtomicBool::new(false);

fn huge_pages_off() {
    if !HUGE_PAGES_OFF.load(Ordering::Relaxed) {
        HUGE_PAGES_OFF.store(true, Ordering::Relaxed);
        #[cfg(target_os = "linux")]
        // SAFETY: PR_SET_THP_DISABLE only sets a flag of this process; it touches no memory
        // and allocates nothing. Setting it twice (two first allocations at once) is harmless.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}

// SAFETY: every call is passed on to mimalloc unchanged.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        huge_pages_off();
        MiMalloc.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        huge_pages_off();
        MiMalloc.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        MiMalloc.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        MiMalloc.realloc(ptr, layout, new_size)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    if let Some(Command::Healthcheck) = config.command {
        return match webex_emulator::healthcheck(&config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("webex-emulator: unhealthy: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match webex_emulator::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("webex-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}
