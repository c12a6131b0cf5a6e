//! `--cfg fuzzing` is set by `.ci/fuzz-rustc.sh` (the AFL++ build); declare it so ordinary
//! builds do not warn about an unknown cfg.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(fuzzing)");
}
