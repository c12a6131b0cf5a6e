//! What an index name *reaches*: OpenSearch acts on what names resolve to, not on the names as
//! written. An alias `logs-x` may point at the index `secret`; a data stream `logs-app` stores
//! its documents in hidden backing indices `.ds-logs-app-000001`; a wildcard may match aliases
//! and data streams as well as indices. A token scoped to `read:logs-*` must not read `secret`
//! through an alias named `logs-x`.
//!
//! A [`Catalog`] is a snapshot of the cluster's indices, aliases and data streams, read from
//! OpenSearch's `_resolve/index` answer. [`Catalog::targets`] turns one classified index pattern
//! into the names the decision judges, the **judged names**:
//! - a concrete index is judged under its own name, or under its data stream's name when it
//!   is a backing index (the data belongs to the data stream);
//! - an alias is judged under the judged names of every index it points at: filtered aliases
//!   and write aliases alike, since a filter narrows what is read but not which index is read,
//!   and the write index of an alias may change between the snapshot and the write;
//! - a data stream is judged under its own name;
//! - a wildcard reaches every index, alias and data stream whose name it matches — hidden and
//!   closed ones too, whatever the request's `expand_wildcards` says, so a request is judged on
//!   everything it could reach (a false denial, never a bypass).
//!
//! A concrete name the catalog does not know is reported as unknown: the caller asks the
//! cluster about it (it may have been created since the snapshot), and a name the cluster does
//! not know either reaches nothing yet and is judged as written.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::authorize::Resolved;
use crate::error::{Error, Reason, Result};
use crate::scope::IndexPattern;

/// The OpenSearch path whose answer [`Catalog::from_resolve_answer`] reads: every index, alias
/// and data stream matching `expression`, hidden and closed ones included.
pub fn resolve_path(expression: &str) -> String {
    format!("/_resolve/index/{expression}?expand_wildcards=all")
}

/// The OpenSearch path listing every ingest pipeline (404 when there is none).
pub const PIPELINES_PATH: &str = "/_ingest/pipeline";
/// The OpenSearch path listing every index's default and final pipeline.
pub const INDEX_PIPELINES_PATH: &str = "/_settings/index.default_pipeline,index.final_pipeline?flat_settings=true&expand_wildcards=all";
/// The OpenSearch path listing the composable index templates (their pipelines apply to the
/// indices a write creates).
pub const TEMPLATES_PATH: &str = "/_index_template";

/// The cluster's indices, aliases, data streams and ingest pipelines at one moment.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Concrete index → its data stream, when it is a backing index.
    indices: BTreeMap<String, Option<String>>,
    /// Alias → the indices (or data streams) it points at.
    aliases: BTreeMap<String, Vec<String>>,
    /// Data stream → its backing indices.
    data_streams: BTreeMap<String, Vec<String>>,
    /// Ingest pipeline → whether it may send a document to another index than the one written.
    pipelines: BTreeMap<String, bool>,
    /// Concrete index → its default and final pipelines.
    index_pipelines: BTreeMap<String, Vec<String>>,
    /// Index templates' patterns and the default and final pipelines they give new indices.
    template_pipelines: Vec<(Vec<String>, Vec<String>)>,
}

/// What one pattern reaches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    /// The judged names, sorted and deduplicated.
    pub names: Vec<String>,
    /// Whether the pattern is a concrete name the catalog does not know.
    pub unknown: bool,
}

#[derive(Deserialize)]
struct Answer {
    indices: Vec<IndexEntry>,
    #[serde(default)]
    aliases: Vec<AliasEntry>,
    #[serde(default)]
    data_streams: Vec<DataStreamEntry>,
}

#[derive(Deserialize)]
struct IndexEntry {
    name: String,
    #[serde(default)]
    data_stream: Option<String>,
}

#[derive(Deserialize)]
struct AliasEntry {
    name: String,
    #[serde(default)]
    indices: Vec<String>,
}

#[derive(Deserialize)]
struct DataStreamEntry {
    name: String,
    #[serde(default)]
    backing_indices: Vec<String>,
}

impl Catalog {
    /// Reads OpenSearch's answer to [`resolve_path`]. Anything but a well-formed 200 answer is
    /// an error (`resolve_failed`), so a failed resolution denies instead of reaching nothing.
    pub fn from_resolve_answer(status: u16, body: &[u8]) -> Result<Self> {
        let failed = || {
            Error::new(
                Reason::ResolveFailed,
                "OpenSearch could not resolve an index pattern",
            )
        };
        if status != 200 {
            return Err(failed());
        }
        let answer: Answer = serde_json::from_slice(body).map_err(|_| failed())?;
        let mut catalog = Self::default();
        for i in answer.indices {
            catalog.indices.insert(i.name, i.data_stream);
        }
        for a in answer.aliases {
            catalog.aliases.insert(a.name, a.indices);
        }
        for d in answer.data_streams {
            for backing in &d.backing_indices {
                catalog
                    .indices
                    .entry(backing.clone())
                    .or_insert_with(|| Some(d.name.clone()));
            }
            catalog.data_streams.insert(d.name, d.backing_indices);
        }
        Ok(catalog)
    }

    /// Adds the ingest pipelines from OpenSearch's answer to [`PIPELINES_PATH`] (a 404 is a
    /// cluster without pipelines).
    pub fn with_pipelines(mut self, status: u16, body: &[u8]) -> Result<Self> {
        if status == 404 {
            return Ok(self);
        }
        let all: BTreeMap<String, serde_json::Value> = answer(status, body)?;
        self.pipelines = all
            .into_iter()
            .map(|(name, definition)| {
                let reroutes = may_reroute(&definition);
                (name, reroutes)
            })
            .collect();
        Ok(self)
    }

    /// Adds every index's default and final pipeline from OpenSearch's answer to
    /// [`INDEX_PIPELINES_PATH`].
    pub fn with_index_pipelines(mut self, status: u16, body: &[u8]) -> Result<Self> {
        #[derive(Deserialize)]
        struct Settings {
            #[serde(default)]
            settings: BTreeMap<String, serde_json::Value>,
        }
        let all: BTreeMap<String, Settings> = answer(status, body)?;
        for (index, s) in all {
            let names: Vec<String> = ["index.default_pipeline", "index.final_pipeline"]
                .iter()
                .filter_map(|k| s.settings.get(*k).and_then(|v| v.as_str()))
                .filter(|p| *p != "_none")
                .map(str::to_owned)
                .collect();
            if !names.is_empty() {
                self.index_pipelines.insert(index, names);
            }
        }
        Ok(self)
    }

    /// Adds the index templates' pipelines from OpenSearch's answer to [`TEMPLATES_PATH`].
    pub fn with_templates(mut self, status: u16, body: &[u8]) -> Result<Self> {
        let all: serde_json::Value = answer(status, body)?;
        for t in all
            .get("index_templates")
            .and_then(|t| t.as_array())
            .into_iter()
            .flatten()
        {
            let Some(t) = t.get("index_template") else {
                continue;
            };
            let patterns: Vec<String> = t
                .get("index_patterns")
                .and_then(|p| p.as_array())
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect();
            let settings = t.pointer("/template/settings");
            let mut names = Vec::new();
            for key in ["default_pipeline", "final_pipeline"] {
                let nested = settings.and_then(|s| s.pointer(&format!("/index/{key}")));
                let flat = settings.and_then(|s| s.get(format!("index.{key}")));
                if let Some(p) = nested.or(flat).and_then(|v| v.as_str())
                    && p != "_none"
                {
                    names.push(p.to_owned());
                }
            }
            if !names.is_empty() {
                self.template_pipelines.push((patterns, names));
            }
        }
        Ok(self)
    }

    /// The first pipeline that may send a document written by this request elsewhere: one of
    /// `explicit` (named by the request), or a default or final pipeline of an index one of
    /// `written` reaches, or of an index template matching a name that would be created. A
    /// pipeline the catalog does not know counts as rerouting.
    pub fn rerouting(&self, explicit: &[String], written: &[&str]) -> Option<String> {
        let reroutes = |p: &str| self.pipelines.get(p).copied().unwrap_or(true);
        if let Some(p) = explicit.iter().find(|p| *p != "_none" && reroutes(p)) {
            return Some(p.clone());
        }
        for pattern in written {
            let mut concrete = BTreeSet::new();
            self.concrete(pattern, &mut concrete);
            for index in &concrete {
                for p in self.index_pipelines.get(index).into_iter().flatten() {
                    if reroutes(p) {
                        return Some(p.clone());
                    }
                }
            }
            // A write may create the index (or, with date math or a wildcard, one of them).
            if pattern.contains('*') || concrete.is_empty() {
                for (patterns, pipelines) in &self.template_pipelines {
                    if patterns.iter().any(|t| globs_overlap(t, pattern))
                        && let Some(p) = pipelines.iter().find(|p| reroutes(p))
                    {
                        return Some(p.clone());
                    }
                }
            }
        }
        None
    }

    /// The concrete indices `pattern` reaches (through aliases and data streams).
    fn concrete(&self, pattern: &str, out: &mut BTreeSet<String>) {
        let matches = |n: &str| {
            if pattern.contains('*') {
                IndexPattern::parse(pattern).is_ok_and(|p| p.matches(n))
            } else {
                n == pattern
            }
        };
        for name in self.indices.keys().filter(|n| matches(n)) {
            out.insert(name.clone());
        }
        for (_, targets) in self.aliases.iter().filter(|(n, _)| matches(n)) {
            for t in targets {
                match self.data_streams.get(t) {
                    Some(backing) => out.extend(backing.iter().cloned()),
                    None => {
                        out.insert(t.clone());
                    }
                }
            }
        }
        for (_, backing) in self.data_streams.iter().filter(|(n, _)| matches(n)) {
            out.extend(backing.iter().cloned());
        }
    }

    /// Adds what `other` knows (a newer answer about some names) to this snapshot.
    pub fn merge(&mut self, other: Self) {
        self.indices.extend(other.indices);
        self.aliases.extend(other.aliases);
        self.data_streams.extend(other.data_streams);
    }

    /// Whether the catalog knows `name` as an index, alias or data stream.
    pub fn knows(&self, name: &str) -> bool {
        self.indices.contains_key(name)
            || self.aliases.contains_key(name)
            || self.data_streams.contains_key(name)
    }

    /// How many names the catalog holds.
    pub fn len(&self) -> usize {
        self.indices.len() + self.aliases.len() + self.data_streams.len()
    }

    /// Whether the catalog holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The judged names `pattern` (one classified index pattern, `*` wildcards allowed) reaches.
    /// A pattern that does not parse reaches nothing and is reported unknown, so that the caller
    /// judges it as written (the classifier only hands out valid patterns).
    pub fn targets(&self, pattern: &str) -> Targets {
        let mut names = BTreeSet::new();
        if pattern.contains('*') {
            let Ok(p) = IndexPattern::parse(pattern) else {
                return Targets {
                    names: Vec::new(),
                    unknown: true,
                };
            };
            for name in self.indices.keys().filter(|n| p.matches(n)) {
                self.judge_index(name, &mut names);
            }
            for (_, indices) in self.aliases.iter().filter(|(n, _)| p.matches(n)) {
                for index in indices {
                    self.judge_index(index, &mut names);
                }
            }
            for name in self.data_streams.keys().filter(|n| p.matches(n)) {
                names.insert(name.clone());
            }
            return Targets {
                names: names.into_iter().collect(),
                unknown: false,
            };
        }
        if self.indices.contains_key(pattern) {
            self.judge_index(pattern, &mut names);
        } else if let Some(indices) = self.aliases.get(pattern) {
            for index in indices {
                self.judge_index(index, &mut names);
            }
        } else if self.data_streams.contains_key(pattern) {
            names.insert(pattern.to_owned());
        } else {
            return Targets {
                names: Vec::new(),
                unknown: true,
            };
        }
        Targets {
            names: names.into_iter().collect(),
            unknown: false,
        }
    }

    /// What each of `patterns` reaches, a name the catalog does not know reaching itself (judged
    /// as written: it may be about to be created).
    pub fn resolve(&self, patterns: &[&str]) -> Resolved {
        patterns
            .iter()
            .map(|p| {
                let t = self.targets(p);
                let names = if t.unknown {
                    vec![(*p).to_owned()]
                } else {
                    t.names
                };
                ((*p).to_owned(), names)
            })
            .collect()
    }

    /// The concrete names among `patterns` that the catalog does not know: ask the cluster
    /// about them before judging them as written, since they may be new aliases.
    pub fn unknown<'p>(&self, patterns: &[&'p str]) -> Vec<&'p str> {
        patterns
            .iter()
            .copied()
            .filter(|p| !p.contains('*') && !self.knows(p))
            .collect()
    }

    /// An index (or a data stream an alias points at) under the name it is judged by.
    fn judge_index(&self, name: &str, out: &mut BTreeSet<String>) {
        match self.indices.get(name) {
            Some(Some(stream)) => out.insert(stream.clone()),
            _ => out.insert(name.to_owned()),
        };
    }
}

/// A well-formed 200 answer, else `resolve_failed`.
fn answer<T: serde::de::DeserializeOwned>(status: u16, body: &[u8]) -> Result<T> {
    let failed = || {
        Error::new(
            Reason::ResolveFailed,
            "OpenSearch could not list its ingest pipelines or index settings",
        )
    };
    if status != 200 {
        return Err(failed());
    }
    serde_json::from_slice(body).map_err(|_| failed())
}

/// Whether a pipeline may send a document to another index than the one written: it names
/// `_index` anywhere (a `set`, `rename`, `copy`... into `_index`, or a template reading it),
/// runs a script, or calls another pipeline or a `reroute`. Reading the text errs on the side
/// of refusing.
fn may_reroute(definition: &serde_json::Value) -> bool {
    let mut d = definition.clone();
    if let Some(o) = d.as_object_mut() {
        o.remove("description");
    }
    let text = d.to_string();
    ["_index", "\"script\"", "\"pipeline\"", "\"reroute\""]
        .iter()
        .any(|needle| text.contains(needle))
}

/// Whether two `*` patterns match some name in common.
fn globs_overlap(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    // can[i][j]: a[i..] and b[j..] match a common string.
    let mut can = vec![vec![false; b.len() + 1]; a.len() + 1];
    for i in (0..=a.len()).rev() {
        for j in (0..=b.len()).rev() {
            let at = |v: &Vec<Vec<bool>>, i: usize, j: usize| {
                v.get(i).and_then(|r| r.get(j)).copied().unwrap_or(false)
            };
            let value = match (a.get(i), b.get(j)) {
                (None, None) => true,
                (Some(b'*'), _) => at(&can, i + 1, j) || (j < b.len() && at(&can, i, j + 1)),
                (_, Some(b'*')) => at(&can, i, j + 1) || (i < a.len() && at(&can, i + 1, j)),
                (Some(x), Some(y)) => x == y && at(&can, i + 1, j + 1),
                _ => false,
            };
            if let Some(cell) = can.get_mut(i).and_then(|r| r.get_mut(j)) {
                *cell = value;
            }
        }
    }
    can.first()
        .and_then(|r| r.first())
        .copied()
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The answer OpenSearch 2.19 gave to `_resolve/index/*?expand_wildcards=all` for a
    /// cluster with an alias onto another index, a closed write alias, a data stream and a
    /// hidden index (recorded from a real node).
    const CLUSTER: &str = r#"{"indices":[
        {"name":".ds-logs-ds1-000001","attributes":["hidden","open"],"data_stream":"logs-ds1"},
        {"name":"hid","attributes":["hidden","open"]},
        {"name":"logs-1","aliases":["logs-w"],"attributes":["closed"]},
        {"name":"secret","aliases":["logs-x"],"attributes":["open"]}],
      "aliases":[{"name":"logs-w","indices":["logs-1"]},{"name":"logs-x","indices":["secret"]}],
      "data_streams":[{"name":"logs-ds1","backing_indices":[".ds-logs-ds1-000001"],"timestamp_field":"@timestamp"}]}"#;

    fn cluster() -> Catalog {
        Catalog::from_resolve_answer(200, CLUSTER.as_bytes()).unwrap()
    }

    fn names(t: &Targets) -> Vec<&str> {
        t.names.iter().map(String::as_str).collect()
    }

    #[test]
    fn an_alias_is_judged_by_the_index_it_points_at() {
        let c = cluster();
        assert_eq!(names(&c.targets("logs-x")), ["secret"]);
        assert_eq!(names(&c.targets("logs-w")), ["logs-1"]);
    }

    #[test]
    fn a_wildcard_reaches_through_aliases_and_data_streams_hidden_and_closed_included() {
        let c = cluster();
        // `logs-*` matches the closed `logs-1`, the aliases `logs-w` and `logs-x` (→ `secret`)
        // and the data stream `logs-ds1`.
        assert_eq!(
            names(&c.targets("logs-*")),
            ["logs-1", "logs-ds1", "secret"]
        );
        assert_eq!(names(&c.targets("hi*")), ["hid"]);
        assert!(c.targets("nothing-*").names.is_empty());
        assert!(!c.targets("nothing-*").unknown);
    }

    #[test]
    fn backing_indices_are_judged_as_their_data_stream() {
        let c = cluster();
        assert_eq!(names(&c.targets(".ds-logs-ds1-000001")), ["logs-ds1"]);
        assert_eq!(names(&c.targets(".ds-*")), ["logs-ds1"]);
        assert_eq!(names(&c.targets("logs-ds1")), ["logs-ds1"]);
    }

    #[test]
    fn an_unknown_concrete_name_is_reported_for_the_caller_to_ask_about() {
        let c = cluster();
        let t = c.targets("logs-new");
        assert!(t.unknown);
        assert!(t.names.is_empty());
        let mut c = c;
        c.merge(
            Catalog::from_resolve_answer(
                200,
                br#"{"indices":[],"aliases":[{"name":"logs-new","indices":["secret"]}],"data_streams":[]}"#,
            )
            .unwrap(),
        );
        assert_eq!(names(&c.targets("logs-new")), ["secret"]);
    }

    #[test]
    fn pipelines_that_may_send_documents_elsewhere_are_found_wherever_they_apply() {
        let c = cluster()
            .with_pipelines(
                200,
                br#"{"route":{"processors":[{"set":{"field":"_index","value":"secret"}}]},
                     "tag":{"description":"mentions _index only here","processors":[{"set":{"field":"tag","value":"x"}}]},
                     "scripted":{"processors":[{"script":{"source":"ctx.x = 1"}}]},
                     "nested":{"processors":[{"pipeline":{"name":"tag"}}]}}"#,
            )
            .unwrap()
            .with_index_pipelines(
                200,
                br#"{"logs-1":{"settings":{"index.default_pipeline":"tag"}},
                     "secret":{"settings":{"index.final_pipeline":"route"}},
                     "hid":{"settings":{}}}"#,
            )
            .unwrap()
            .with_templates(
                200,
                br#"{"index_templates":[{"name":"t","index_template":{"index_patterns":["new-*"],
                     "template":{"settings":{"index":{"default_pipeline":"scripted"}}}}}]}"#,
            )
            .unwrap();
        let none: Vec<String> = Vec::new();
        let named = |p: &str| vec![p.to_owned()];
        // Named by the request.
        assert_eq!(c.rerouting(&named("route"), &[]).as_deref(), Some("route"));
        assert_eq!(
            c.rerouting(&named("scripted"), &[]).as_deref(),
            Some("scripted")
        );
        assert_eq!(
            c.rerouting(&named("nested"), &[]).as_deref(),
            Some("nested")
        );
        assert_eq!(
            c.rerouting(&named("unknown"), &[]).as_deref(),
            Some("unknown")
        );
        assert_eq!(c.rerouting(&named("tag"), &["logs-1"]), None);
        // An index's default or final pipeline, also behind an alias.
        assert_eq!(c.rerouting(&none, &["secret"]).as_deref(), Some("route"));
        assert_eq!(c.rerouting(&none, &["logs-x"]).as_deref(), Some("route"));
        assert_eq!(c.rerouting(&none, &["logs-w"]), None);
        // A template's pipeline for an index the write creates, also by date math.
        assert_eq!(c.rerouting(&none, &["new-1"]).as_deref(), Some("scripted"));
        assert_eq!(c.rerouting(&none, &["ne*"]).as_deref(), Some("scripted"));
        assert_eq!(c.rerouting(&none, &["other-1"]), None);
    }

    #[test]
    fn glob_overlap_is_exact() {
        for (a, b, overlap) in [
            ("new-*", "new-*", true),
            ("*", "x", true),
            ("logs-2026*", "logs-*", true),
            ("a*z", "ab*", true),
            ("a*z", "b*", false),
            ("logs-*", "metrics-*", false),
            ("abc", "abc", true),
            ("abc", "abd", false),
            ("*a*b*", "*b*a*", true),
        ] {
            assert_eq!(globs_overlap(a, b), overlap, "{a} {b}");
            assert_eq!(globs_overlap(b, a), overlap, "{b} {a}");
        }
    }

    #[test]
    fn resolving_a_request_judges_unknown_names_as_written() {
        let c = cluster();
        assert_eq!(c.unknown(&["logs-x", "logs-new", "new-*"]), ["logs-new"]);
        let r = c.resolve(&["logs-x", "logs-new", "new-*"]);
        assert_eq!(r["logs-x"], ["secret"]);
        assert_eq!(r["logs-new"], ["logs-new"]);
        assert!(r["new-*"].is_empty());
    }

    #[test]
    fn a_failed_or_malformed_answer_is_an_error_not_an_empty_cluster() {
        for (status, body) in [
            (500, CLUSTER),
            (404, r#"{"error":"x"}"#),
            (200, "not json"),
            (200, r#"{"aliases":[]}"#),
            (200, r#"{"indices":[{"nom":"x"}]}"#),
        ] {
            let e = Catalog::from_resolve_answer(status, body.as_bytes()).unwrap_err();
            assert_eq!(e.reason, Reason::ResolveFailed, "{status} {body}");
        }
    }
}
