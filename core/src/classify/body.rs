//! Request bodies in JSON that name indices: multi-get, aliases, `_reindex`, index creation,
//! and search-shaped bodies (whose lookups are in [`lookup`](super::lookup)).
//!
//! Bodies are read as strict JSON: duplicate keys are rejected (OpenSearch rejects them too),
//! and an index given as a number or boolean is rejected because OpenSearch would quietly
//! read it as text. Where OpenSearch's parser is lenient about shape, these parsers are
//! stricter, never looser.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

pub(super) use super::lookup::bad_body;
use super::lookup::lookups;
use super::path::index_expr;
use super::{Accesses, invalid};
use crate::error::Reason;
use crate::error::{Error, Result, quote};
use crate::scope::Action::{Manage, Read, Write};

/// A search-shaped body (`_search`, `_count`, `_explain`, by-query, ...): lookups only.
pub(super) fn query(body: &[u8], acc: &mut Accesses) -> Result<()> {
    if is_blank(body) {
        return Ok(());
    }
    lookups(&json(body, "request")?, acc)
}

/// `_rank_eval`: its requests are searches; its templates cannot be analysed.
pub(super) fn rank_eval(body: &[u8], acc: &mut Accesses) -> Result<()> {
    if is_blank(body) {
        return Ok(());
    }
    let value = json(body, "`_rank_eval`")?;
    if value.get("templates").is_some() {
        acc.all(Read);
    }
    lookups(&value, acc)
}

/// `_termvectors`: OpenSearch lets the body's `_index` replace the path's.
pub(super) fn termvectors(body: &[u8], acc: &mut Accesses) -> Result<()> {
    if is_blank(body) {
        return Ok(());
    }
    let value = json(body, "`_termvectors`")?;
    let doc = object(&value, "the `_termvectors` body")?;
    if let Some(index) = scalar_index(doc.get("_index"), "`_index`")? {
        acc.expr(Read, index)?;
    }
    Ok(())
}

/// `_mget` and `_mtermvectors`: each `docs[]._index`, else the default index, which is the
/// path's (and for `_mtermvectors` also `parameters._index`).
pub(super) fn multi_get(
    body: &[u8],
    endpoint: &str,
    default: Option<&[String]>,
    acc: &mut Accesses,
) -> Result<()> {
    if is_blank(body) {
        return match default {
            Some(default) => {
                acc.patterns(Read, default.iter().cloned());
                Ok(())
            }
            None => Err(missing_body(endpoint)),
        };
    }
    let value = json(body, &format!("`{endpoint}`"))?;
    let top = object(&value, &format!("the `{endpoint}` body"))?;
    let mut defaults: Vec<String> = default.map(<[String]>::to_vec).unwrap_or_default();
    if let Some(params) = top.get("parameters")
        && endpoint == "_mtermvectors"
    {
        let params = object(params, "`parameters`")?;
        if let Some(index) = scalar_index(params.get("_index"), "`parameters._index`")? {
            defaults.extend(index_expr(index)?);
        }
    }
    let mut uses_default = top.contains_key("ids") || !top.contains_key("docs");
    if let Some(docs) = top.get("docs") {
        let Value::Array(docs) = docs else {
            return Err(bad_body(format!(
                "`docs` in the `{endpoint}` body is not an array"
            )));
        };
        for doc in docs {
            let doc = object(doc, "an entry of `docs`")?;
            if endpoint == "_mget" {
                // OpenSearch's `_mget` parser walks into unexpected objects and arrays and
                // may pick up an `_index` from inside them; refuse such shapes.
                let nested = doc.iter().any(|(k, v)| {
                    matches!(v, Value::Object(_) | Value::Array(_))
                        && k != "_source"
                        && k != "stored_fields"
                });
                if nested {
                    return Err(bad_body(
                        "an entry of `docs` has an unexpected object or array".to_owned(),
                    ));
                }
            }
            match scalar_index(doc.get("_index"), "`_index`")? {
                Some(index) => acc.expr(Read, index)?,
                None => uses_default = true,
            }
        }
    }
    if uses_default {
        if defaults.is_empty() {
            return Err(invalid(
                Reason::MissingIndex,
                format!(
                    "a document in the `{endpoint}` body names no `_index` and the path has none"
                ),
            ));
        }
        acc.patterns(Read, defaults);
    }
    Ok(())
}

/// `_reindex`: read on `source.index`, write on `dest.index`, and write on `*` if a script
/// (which may set `ctx._index`) is present.
pub(super) fn reindex(body: &[u8], acc: &mut Accesses) -> Result<()> {
    if is_blank(body) {
        return Err(missing_body("_reindex"));
    }
    let value = json(body, "`_reindex`")?;
    let top = object(&value, "the `_reindex` body")?;
    let source = object(required(top, "source", "`source`")?, "`source`")?;
    if source.contains_key("remote") {
        return Err(invalid(
            Reason::CrossCluster,
            "reindexing from a remote cluster is not supported".to_owned(),
        ));
    }
    let from = required(source, "index", "`source.index`")?;
    acc.patterns(Read, indices(from, "`source.index`")?);
    let dest = object(required(top, "dest", "`dest`")?, "`dest`")?;
    let to = required(dest, "index", "`dest.index`")?;
    acc.patterns(Write, indices(to, "`dest.index`")?);
    match dest.get("pipeline") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::String(p)) => acc.pipeline(p),
        Some(_) => return Err(bad_body("`dest.pipeline` must be a string".to_owned())),
    }
    if top.get("script").is_some_and(|s| !s.is_null()) {
        acc.all(Write);
    }
    lookups(&value, acc)
}

/// `PUT /{index}`: the aliases the new index gets.
pub(super) fn index_create(body: &[u8], acc: &mut Accesses) -> Result<()> {
    if is_blank(body) {
        return Ok(());
    }
    let value = json(body, "index creation")?;
    let top = object(&value, "the index creation body")?;
    if let Some(aliases) = top.get("aliases") {
        for (alias, definition) in object(aliases, "`aliases`")? {
            acc.expr(Manage, alias)?;
            lookups(definition, acc)?;
        }
    }
    Ok(())
}

/// `POST /_aliases`: manage on every index and alias of every action.
pub(super) fn aliases(body: &[u8], acc: &mut Accesses) -> Result<()> {
    if is_blank(body) {
        return Err(missing_body("_aliases"));
    }
    let value = json(body, "`_aliases`")?;
    let top = object(&value, "the `_aliases` body")?;
    let Value::Array(actions) = required(top, "actions", "`actions`")? else {
        return Err(bad_body("`actions` is not an array".to_owned()));
    };
    for action in actions {
        let action = object(action, "an alias action")?;
        let mut entries = action.iter();
        let (Some((kind, spec)), None) = (entries.next(), entries.next()) else {
            return Err(bad_body(
                "an alias action must have exactly one key".to_owned(),
            ));
        };
        if !matches!(kind.as_str(), "add" | "remove" | "remove_index") {
            return Err(bad_body(format!("unknown alias action {}", quote(kind))));
        }
        let spec = object(spec, "an alias action")?;
        let mut has_index = false;
        for (key, is_index) in [
            ("index", true),
            ("indices", true),
            ("alias", false),
            ("aliases", false),
        ] {
            if let Some(names) = spec.get(key) {
                acc.patterns(Manage, indices(names, &format!("`{key}`"))?);
                has_index |= is_index;
            }
        }
        if !has_index {
            return Err(invalid(
                Reason::MissingIndex,
                "an alias action names no `index` or `indices`".to_owned(),
            ));
        }
        if let Some(filter) = spec.get("filter") {
            lookups(filter, acc)?;
        }
    }
    Ok(())
}

/// What the body of a single put-alias request names.
#[derive(Debug, Default)]
pub(super) struct AliasBody {
    pub index: Option<String>,
    pub alias: Option<String>,
}

/// The body of `PUT /{index}/_alias/{name}` and friends. OpenSearch reads `index` and `alias`
/// wherever they appear, at any depth, except inside `filter`; so apart from a `filter`
/// object the body must be flat.
pub(super) fn alias_put(body: &[u8], acc: &mut Accesses) -> Result<AliasBody> {
    let mut out = AliasBody::default();
    if is_blank(body) {
        return Ok(out);
    }
    let value = json(body, "alias")?;
    for (key, v) in object(&value, "the alias body")? {
        match (key.as_str(), v) {
            ("filter", Value::Object(_)) => lookups(v, acc)?,
            (_, Value::Object(_) | Value::Array(_)) => {
                return Err(bad_body(format!(
                    "{} in the alias body must be a single value",
                    quote(key)
                )));
            }
            ("index", _) => out.index = scalar_index(Some(v), "`index`")?.map(str::to_owned),
            ("alias", _) => out.alias = scalar_index(Some(v), "`alias`")?.map(str::to_owned),
            _ => {}
        }
    }
    Ok(out)
}

/// An index expression given as a string or an array of strings; `[]` means every index.
pub(super) fn indices(value: &Value, what: &str) -> Result<Vec<String>> {
    let not_names = || bad_body(format!("{what} must be a string or an array of strings"));
    match value {
        Value::String(expr) => index_expr(expr),
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                let Value::String(expr) = item else {
                    return Err(not_names());
                };
                out.extend(index_expr(expr)?);
            }
            if out.is_empty() {
                out.extend(index_expr("")?);
            }
            Ok(out)
        }
        _ => Err(not_names()),
    }
}

/// A single index given as a value: a string, or absent (`None` or `null`).
pub(super) fn scalar_index<'v>(value: Option<&'v Value>, what: &str) -> Result<Option<&'v str>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad_body(format!("{what} must be a string"))),
    }
}

/// A member that must be present and not `null`; `what` names it in the error.
pub(super) fn required<'v>(
    map: &'v Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<&'v Value> {
    map.get(key)
        .filter(|v| !v.is_null())
        .ok_or_else(|| bad_body(format!("the body has no {what}")))
}

pub(super) fn object<'v>(value: &'v Value, what: &str) -> Result<&'v Map<String, Value>> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(bad_body(format!("{what} is not a json object"))),
    }
}

/// Parses strict JSON (no duplicate keys) into a [`Value`].
pub(super) fn json(bytes: &[u8], what: &str) -> Result<Value> {
    serde_json::from_slice::<Strict>(bytes)
        .map(|s| s.0)
        .map_err(|e| {
            bad_body(format!(
                "the {what} body is not valid json (line {}, column {}{})",
                e.line(),
                e.column(),
                if e.to_string().starts_with("duplicate key") {
                    ", duplicate key"
                } else {
                    ""
                }
            ))
        })
}

/// A JSON value that rejects duplicate object keys.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a json value")
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Strict(v) = map.next_value()?;
            if out.insert(key, v).is_some() {
                return Err(de::Error::custom("duplicate key"));
            }
        }
        Ok(Value::Object(out))
    }
}

pub(super) fn is_blank(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

pub(super) fn missing_body(endpoint: &str) -> Error {
    invalid(
        Reason::MissingBody,
        format!("the `{endpoint}` request needs a body"),
    )
}
