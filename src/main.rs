//! loadgate: turns load-test results into a verdict a pipeline can trust.
//! Exit codes: 0 pass (warnings allowed), 1 the gate failed, 2 usage or input error.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use loadgate::cli::{self, Cli, Plan};
use loadgate::model::Status;
use loadgate::{commands, generator, report};

const EXIT_GATE_FAILED: u8 = 1;
const EXIT_INPUT_ERROR: u8 = 2;

/// The system's allocator, with an allocation it refuses (a memory limit: `ulimit -v`, a container's
/// cap) made an input error, exit 2 with a message: Rust's default aborts (exit 134, a core dump).
struct Allocator;

#[global_allocator]
static ALLOCATOR: Allocator = Allocator;

// SAFETY: every call goes to the system allocator unchanged; only a refusal is handled, by exiting.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        refused(System.alloc(layout), layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        refused(System.alloc_zeroed(layout), layout.size())
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        refused(System.realloc(ptr, layout, new_size), new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

/// `ptr`, or, when the allocation of `size` bytes was refused, a message and exit 2. Nothing here
/// allocates: the message is written from the stack with write(2), and _exit skips the handlers.
fn refused(ptr: *mut u8, size: usize) -> *mut u8 {
    if !ptr.is_null() {
        return ptr;
    }
    let mut buf = [0u8; 256];
    let mut rest = &mut buf[..];
    let _ = writeln!(
        rest,
        "Error: out of memory: {size} more bytes were refused (a memory limit?); the input is larger than this process may hold"
    );
    let len = 256 - rest.len();
    // SAFETY: writes `len` initialised bytes of `buf` to standard error, then ends the process.
    unsafe {
        libc::write(2, buf.as_ptr().cast(), len);
        libc::_exit(i32::from(EXIT_INPUT_ERROR));
    }
}

fn main() -> ExitCode {
    tune_allocator();
    let plan = Cli::parse().plan();
    match run(&plan) {
        Ok(code) => code,
        Err(err) => {
            // The whole chain, causes included; a cause's own trailing newline is dropped. It may
            // quote a file: shown escaped, never a workflow command or a terminal control.
            let text = format!("{err:#}");
            eprintln!(
                "Error: {}",
                report::untrusted::terminal_text(text.trim_end(), false)
            );
            ExitCode::from(EXIT_INPUT_ERROR)
        }
    }
}

/// glibc raises its threshold for memory-mapped allocations each time one is freed, so once a long
/// history's parts are joined (megabytes per endpoint, freed), the analysis' per-endpoint vectors land
/// in the thread arenas and stay resident. A fixed threshold hands them back when freed: 2 MB less at
/// the peak of `check` on a day of full history (bench/RESULTS.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt only sets a tunable, here before any other thread exists; a refusal (0) just
    // leaves glibc's default.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

fn run(plan: &Plan) -> anyhow::Result<ExitCode> {
    let verdict = match plan {
        // The recorded command's own exit code, whatever it means to that command.
        Plan::Record(plan) => return commands::record::run(plan).map(ExitCode::from),
        Plan::Check(request) => commands::check::run_request(request)?,
        Plan::Config(request) => commands::config::run(request).map(|()| Status::Pass)?,
        Plan::Compare(plan) => commands::compare::run(plan)?,
        Plan::History(plan) => commands::history::run(plan)?,
        Plan::Baseline(plan) => commands::baseline::run(plan).map(|()| Status::Pass)?,
        Plan::Profiles(name) => commands::profiles::run(name.as_deref()).map(|()| Status::Pass)?,
        Plan::Suggest(plan) => commands::profiles::suggest(plan).map(|()| Status::Pass)?,
        Plan::Run(options) => generator::run(options).map(|()| Status::Pass)?,
        Plan::Demo(plan) => commands::demo::run(plan).map(|()| Status::Pass)?,
        Plan::Target(plan) => commands::demo::serve(plan).map(|()| Status::Pass)?,
        Plan::Ab(plan) => commands::ab::run(plan)?,
        Plan::Server(plan) => commands::server::run(plan)?,
        Plan::Completions(shell) => {
            report::print(&cli::completions(*shell)).map(|()| Status::Pass)?
        }
        Plan::Man(path) => {
            let page = cli::man_page(path).map_err(anyhow::Error::msg)?;
            report::print(&page).map(|()| Status::Pass)?
        }
    };
    Ok(gate_exit(verdict))
}

/// Warnings pass the gate; only a failed check fails it.
fn gate_exit(verdict: Status) -> ExitCode {
    match verdict {
        Status::Pass | Status::Warn => ExitCode::SUCCESS,
        Status::Fail => ExitCode::from(EXIT_GATE_FAILED),
    }
}
