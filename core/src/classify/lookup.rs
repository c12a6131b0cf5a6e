//! Queries that read other indices than the one searched.
//!
//! A `terms` lookup fetches a document from another index, as do `more_like_this` items,
//! indexed shapes and `percolate`; with a suitable query in an index they can read, a caller
//! learns what the other document holds. Each adds read on the index it names.

use serde_json::{Map, Value};

use super::{Accesses, invalid};
use crate::error::{Error, Reason, Result};
use crate::scope::Action::Read;

/// Adds read accesses for every query in `value` that reads another index. See the module
/// docs of `classify` for the list.
pub(super) fn lookups(value: &Value, acc: &mut Accesses) -> Result<()> {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if let Value::Object(inner) = child {
                    lookup(key, inner, acc)?;
                }
                lookups(child, acc)?;
            }
        }
        Value::Array(items) => {
            for item in items {
                lookups(item, acc)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn lookup(key: &str, inner: &Map<String, Value>, acc: &mut Accesses) -> Result<()> {
    match key {
        // {"terms": {"<field>": {"index": .., "id": .., "path": ..}}}
        "terms" => {
            for spec in inner.values() {
                if let Value::Object(spec) = spec
                    && (spec.contains_key("id") || spec.contains_key("path"))
                {
                    lookup_index(spec.get("index"), acc)?;
                }
            }
        }
        // {"more_like_this": {"like": [{"_index": .., "_id": ..}, "text"]}}
        "more_like_this" | "mlt" => {
            for side in ["like", "unlike"] {
                let items = match inner.get(side) {
                    Some(Value::Array(items)) => items.as_slice(),
                    Some(item) => std::slice::from_ref(item),
                    None => &[],
                };
                for item in items {
                    if let Value::Object(item) = item {
                        lookup_index(item.get("_index"), acc)?;
                    }
                }
            }
        }
        // {"geo_shape": {"<field>": {"indexed_shape": {"index": .., "id": ..}}}}
        "geo_shape" | "shape" | "xy_shape" => {
            for spec in inner.values() {
                if let Some(Value::Object(shape)) = spec.get("indexed_shape") {
                    match shape.get("index") {
                        None | Some(Value::Null) => acc.patterns(Read, ["shapes".to_owned()]),
                        index => lookup_index(index, acc)?,
                    }
                }
            }
        }
        "percolate" => lookup_index(inner.get("index"), acc)?,
        // A base64-encoded query, and a suggester's template query: opaque, so every index.
        "wrapper" | "collate" if inner.contains_key("query") => acc.all(Read),
        _ => {}
    }
    Ok(())
}

fn lookup_index(index: Option<&Value>, acc: &mut Accesses) -> Result<()> {
    match index {
        Some(Value::String(index)) => acc.expr(Read, index),
        Some(Value::Number(_) | Value::Bool(_)) => Err(bad_body(
            "a query names an index with a number or a boolean".to_owned(),
        )),
        // OpenSearch rejects any other shape.
        _ => Ok(()),
    }
}

pub(super) fn bad_body(message: String) -> Error {
    invalid(Reason::BadBody, message)
}
