//! The README's table of codes and reasons is the enum's, row for row.
//! `OAUTH4OS_BLESS=1 cargo test -p oauth4os-core --test reasons` rewrites it.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use oauth4os_core::error::markdown_table;

const BEGIN: &str = "<!-- reasons:begin -->\n";
const END: &str = "<!-- reasons:end -->";

#[test]
fn the_readme_error_table_is_generated_from_the_enum() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme.find(BEGIN).unwrap() + BEGIN.len();
    let end = readme.find(END).unwrap();
    let table = markdown_table();
    if readme.get(start..end) == Some(table.as_str()) {
        return;
    }
    if std::env::var_os("OAUTH4OS_BLESS").is_some() {
        let updated = format!("{}{table}{}", &readme[..start], &readme[end..]);
        std::fs::write(path, updated).unwrap();
        return;
    }
    panic!(
        "README.md's error table is stale: run `OAUTH4OS_BLESS=1 cargo test -p oauth4os-core --test reasons`"
    );
}
