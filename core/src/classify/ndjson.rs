//! The newline-delimited bodies: `_bulk` and `_msearch`.

use std::borrow::Cow;
use std::collections::HashSet;

use serde::Deserialize;

use super::body::{bad_body, indices, is_blank, json, missing_body, object};
use super::lookup::lookups;
use super::{Accesses, invalid};
use crate::error::Reason;
use crate::error::{Error, Result};
use crate::scope::Action::{Read, Write};

/// `_bulk`: write on every action line's `_index`, else on the path's index.
///
/// Only action lines are parsed; a source line is skipped by finding its newline. As in
/// OpenSearch, a blank line where an action is expected is skipped, and the line after an
/// `index`, `create` or `update` action is its source, whatever it holds.
pub(super) fn bulk(body: &[u8], default: Option<&[String]>, acc: &mut Accesses) -> Result<()> {
    if is_blank(body) {
        return Err(missing_body("_bulk"));
    }
    let mut seen: HashSet<Cow<'_, str>> = HashSet::new();
    let mut uses_default = false;
    let mut lines = Lines::new(body);
    while let Some((n, line)) = lines.next() {
        if is_blank(line) {
            continue;
        }
        let action: BulkAction<'_> =
            serde_json::from_slice(line).map_err(|e| bad_line("_bulk", n, &e))?;
        let (meta, has_source) = match action {
            BulkAction::Index(m) | BulkAction::Create(m) | BulkAction::Update(m) => (m, true),
            BulkAction::Delete(m) => (m, false),
        };
        if let Some(p) = &meta.pipeline {
            acc.pipeline(p);
        }
        match meta.index {
            Some(index) => {
                if !seen.contains(index.as_ref()) {
                    acc.expr(Write, &index)?;
                    seen.insert(index);
                }
            }
            None if default.is_some() => uses_default = true,
            None => {
                return Err(invalid(
                    Reason::MissingIndex,
                    format!(
                        "the `_bulk` action on line {n} names no `_index` and the path has none"
                    ),
                ));
            }
        }
        if has_source && lines.next().is_none() {
            return Err(bad_body(format!(
                "the `_bulk` action on line {n} has no source line"
            )));
        }
    }
    if let (true, Some(default)) = (uses_default, default) {
        acc.patterns(Write, default.iter().cloned());
    }
    Ok(())
}

/// One `_bulk` action line: exactly one of the four actions, holding its metadata.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum BulkAction<'a> {
    Index(#[serde(borrow)] BulkMeta<'a>),
    Create(#[serde(borrow)] BulkMeta<'a>),
    Update(#[serde(borrow)] BulkMeta<'a>),
    Delete(#[serde(borrow)] BulkMeta<'a>),
}

/// The metadata of a `_bulk` action; only `_index` matters, the rest is skipped. A duplicate
/// `_index` is an error; `null` means the default, as in OpenSearch.
#[derive(Deserialize)]
struct BulkMeta<'a> {
    #[serde(rename = "_index", borrow, default)]
    index: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pipeline: Option<Cow<'a, str>>,
}

/// `_msearch`: header and body lines in strict pairs. A header's `index` or `indices` (a
/// string or an array of strings; empty means every index) replaces the path's indices.
pub(super) fn msearch(body: &[u8], default: Option<&[String]>, acc: &mut Accesses) -> Result<()> {
    if is_blank(body) {
        return Err(missing_body("_msearch"));
    }
    if body.first() == Some(&b'\n') {
        // OpenSearch versions disagree on whether a leading empty line is a header.
        return Err(bad_body(
            "the `_msearch` body starts with an empty line".to_owned(),
        ));
    }
    let mut lines = Lines::new(body);
    while let Some((n, header)) = lines.next() {
        let Some((m, search)) = lines.next() else {
            if is_blank(header) {
                break;
            }
            return Err(bad_body(format!(
                "the `_msearch` header on line {n} has no search line"
            )));
        };
        let mut named = false;
        if !is_blank(header) {
            let value = json(header, &format!("`_msearch` line {n}"))?;
            let header = object(&value, &format!("the `_msearch` header on line {n}"))?;
            for key in ["index", "indices"] {
                if let Some(index) = header.get(key) {
                    acc.patterns(Read, indices(index, &format!("`{key}` on line {n}"))?);
                    named = true;
                }
            }
        }
        if !named {
            match default {
                Some(default) => acc.patterns(Read, default.iter().cloned()),
                None => acc.all(Read),
            }
        }
        if !is_blank(search) {
            lookups(&json(search, &format!("`_msearch` line {m}"))?, acc)?;
        }
    }
    Ok(())
}

/// Lines split on `\n`, numbered from 1. A final newline does not start another line.
struct Lines<'a> {
    rest: &'a [u8],
    number: usize,
}

impl<'a> Lines<'a> {
    fn new(body: &'a [u8]) -> Self {
        Self {
            rest: body,
            number: 0,
        }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        self.number += 1;
        let line = match self.rest.iter().position(|b| *b == b'\n') {
            Some(end) => {
                let (line, tail) = self.rest.split_at_checked(end)?;
                self.rest = tail.get(1..).unwrap_or_default();
                line
            }
            None => std::mem::take(&mut self.rest),
        };
        Some((self.number, line))
    }
}

fn bad_line(endpoint: &str, n: usize, e: &serde_json::Error) -> Error {
    let what = match e.classify() {
        serde_json::error::Category::Data => {
            "is not an `index`, `create`, `update` or `delete` action with an object of metadata"
        }
        _ => "is not valid json",
    };
    bad_body(format!("line {n} of the `{endpoint}` body {what}"))
}
