//! Fuzz targets for the core, and the harness every oauth4os fuzz target runs in.
//!
//! Each target is a plain function `run(&[u8])` that must not panic on any input: a panic is a
//! crash, either a real panic in the code under test or a broken invariant the target asserts.
//! The binaries in `src/bin/` wrap one target each in [`main`]:
//!
//! - built by `.ci/fuzz.sh` (`--cfg fuzzing`, coverage instrumentation, Debian's AFL++
//!   runtime linked in), a binary is an AFL++ persistent-mode target;
//! - built normally, it replays the files or directories named on its command line, which is
//!   how a crash is reproduced: `cargo run -p oauth4os-core-fuzz --bin token -- path/to/crash`.
//!
//! `tests/corpus.rs` replays the committed corpus (`corpus/<target>/`) in `cargo test`, so every
//! seed and every crash once found and fixed stays a regression test. See `README.md`.

#![forbid(unsafe_code)]
// A fuzz target reports a broken invariant by panicking: that is how AFL++ sees a crash.
#![allow(
    clippy::panic,
    clippy::expect_used,
    reason = "a fuzz target's assertions are its findings; AFL++ records a panic as a crash"
)]

pub mod classify;
pub mod token;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Runs `target` as the build asks: under AFL++ when built with `--cfg fuzzing`, else on the
/// files (or every file of the directories) named on the command line.
pub fn main(target: fn(&[u8])) -> ExitCode {
    #[cfg(fuzzing)]
    {
        afl::fuzz!(|data: &[u8]| target(data));
        ExitCode::SUCCESS
    }
    #[cfg(not(fuzzing))]
    {
        let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
        if paths.is_empty() {
            eprintln!("usage: <target> FILE_OR_DIR... (replays inputs; .ci/fuzz.sh fuzzes)");
            return ExitCode::from(2);
        }
        match replay(&paths, target) {
            Ok(n) => {
                eprintln!("{n} inputs replayed, no crash");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    }
}

/// Runs `target` on every file in `paths` (directories are read one level deep, in name
/// order, skipping dot files) and returns how many inputs ran. Each input's path is printed
/// to stderr before it runs, so a panic names the input that caused it.
pub fn replay(paths: &[PathBuf], target: fn(&[u8])) -> std::io::Result<usize> {
    let mut n = 0;
    for path in paths {
        for file in inputs(path)? {
            let data = std::fs::read(&file)?;
            eprintln!("input {}", file.display());
            target(&data);
            n += 1;
        }
    }
    Ok(n)
}

/// The input files at `path`: the file itself, or a directory's files in name order.
pub fn inputs(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if entry.file_type()?.is_file() && !hidden {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Splits `data` at the first `\n`: the first line and the rest (empty when there is none).
pub fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == b'\n') {
        Some(i) => {
            let (line, rest) = data.split_at(i);
            (line, rest.get(1..).unwrap_or_default())
        }
        None => (data, &[]),
    }
}
