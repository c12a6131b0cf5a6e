//! Loading policy files: parse, name, check ids, validate against the schema, and say exactly
//! where a problem is.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use cedar_policy::ffi::{DetailedError, SourceLabel, SourceLocation};
use cedar_policy::{Policy, PolicyId, Schema, ValidationMode, Validator};

use super::{SCHEMA, SCOPES_POLICY, SCOPES_POLICY_ID};
use crate::error::Reason;
use crate::error::{Error, Result, quote};

const ID_ANNOTATION: &str = "id";

/// Where a policy or a problem is: a file and a 1-based line and column (in characters).
#[derive(Debug, Clone)]
struct Place {
    file: String,
    line: usize,
    column: usize,
}

impl Place {
    fn new(file: &str, text: &str, offset: usize) -> Self {
        let (line, column) = line_column(text, offset);
        Self {
            file: file.to_owned(),
            line,
            column,
        }
    }

    fn error(&self, reason: Reason, what: &str) -> Error {
        Error::new(
            reason,
            format!(
                "policy file {} line {}, column {}: {what}",
                quote(&self.file),
                self.line,
                self.column
            ),
        )
    }
}

/// Parses and validates every file, returning the built-in policy followed by each file's
/// policies, renamed to their ids. Any problem fails the whole load.
pub(super) fn load(files: &[(&str, &str)]) -> Result<cedar_policy::PolicySet> {
    let (schema, _warnings) = Schema::from_cedarschema_str(SCHEMA)
        .map_err(|e| Error::internal(format!("the built-in schema is invalid: {e}")))?;
    let validator = Validator::new(schema);
    let builtin = Policy::parse(Some(PolicyId::new(SCOPES_POLICY_ID)), SCOPES_POLICY)
        .map_err(|e| Error::internal(format!("the built-in policy is invalid: {e}")))?;
    let mut all = cedar_policy::PolicySet::new();
    all.add(builtin)
        .map_err(|e| Error::internal(format!("adding the built-in policy: {e}")))?;
    if !validator
        .validate(&all, ValidationMode::Strict)
        .validation_passed()
    {
        return Err(Error::internal("the built-in policy does not validate"));
    }
    // Where each id was first used, to name both places when one is repeated.
    let mut seen: HashMap<String, String> = HashMap::from([(
        SCOPES_POLICY_ID.to_owned(),
        "the built-in scope policy".to_owned(),
    )]);
    for (file, text) in files {
        let policies = load_file(file, text, &validator, &mut seen)?;
        for policy in policies {
            all.add(policy)
                .map_err(|e| Error::internal(format!("adding a validated policy: {e}")))?;
        }
    }
    Ok(all)
}

/// One file's policies, renamed and validated.
fn load_file(
    file: &str,
    text: &str,
    validator: &Validator,
    seen: &mut HashMap<String, String>,
) -> Result<Vec<Policy>> {
    let parsed = cedar_policy::PolicySet::from_str(text).map_err(|errors| {
        let details: Vec<DetailedError> = errors.iter().map(DetailedError::from).collect();
        match details.first() {
            Some(first) => located(file, text, first, &details, Reason::PolicySyntax),
            None => Place::new(file, text, 0).error(Reason::PolicySyntax, &errors.to_string()),
        }
    })?;
    // Cedar names the statements of a file `policy0`, `policy1`, ... in order.
    let starts = statement_starts(text);
    let start_of = |i: usize| starts.get(i).copied().unwrap_or(0);
    if let Some(t) = parsed.templates().next() {
        let i = statement_number(t.id()).unwrap_or(0);
        return Err(Place::new(file, text, start_of(i)).error(
            Reason::PolicyTemplate,
            "policy templates (with `?principal` or `?resource`) are not supported",
        ));
    }
    let mut renamed = cedar_policy::PolicySet::new();
    let mut places: HashMap<String, usize> = HashMap::new();
    for i in 0..parsed.num_of_policies() {
        let Some(policy) = parsed.policy(&PolicyId::new(format!("policy{i}"))) else {
            return Err(Error::internal(format!(
                "policy {i} of a parsed file is missing"
            )));
        };
        let place = Place::new(file, text, start_of(i));
        let id = match policy.annotation(ID_ANNOTATION) {
            Some("") => return Err(place.error(Reason::InvalidPolicyId, "the policy id is empty")),
            Some(id) => id.to_owned(),
            None => format!("{file}:{}", i + 1),
        };
        let here = format!("{} line {}", quote(file), place.line);
        if let Some(first) = seen.get(&id) {
            return Err(place
                .error(
                    Reason::DuplicatePolicyId,
                    &format!("policy id {} is already used by {first}", quote(&id)),
                )
                .with_help("policy ids come from `@id(\"...\")` annotations and must be unique"));
        }
        seen.insert(id.clone(), here);
        places.insert(id.clone(), start_of(i));
        renamed
            .add(policy.new_id(PolicyId::new(id)))
            .map_err(|e| Error::internal(format!("renaming a policy: {e}")))?;
    }
    let result = validator.validate(&renamed, ValidationMode::Strict);
    let details: Vec<DetailedError> = result
        .validation_errors()
        .map(|e| {
            let mut detail = DetailedError::from(e);
            if detail.source_locations.is_empty() {
                // Point at the policy itself rather than at the top of the file.
                let start = places.get(&e.policy_id().to_string()).copied().unwrap_or(0);
                detail.source_locations.push(SourceLabel {
                    label: None,
                    loc: SourceLocation { start, end: start },
                });
            }
            if detail.help.is_none() && detail.message.contains("`OAuth4os::Cluster` not found") {
                detail.help = Some(CLUSTER_HELP.to_owned());
            }
            detail
        })
        .collect();
    if let Some(first) = details.first() {
        return Err(located(
            file,
            text,
            first,
            &details,
            Reason::PolicyValidation,
        ));
    }
    Ok(renamed.policies().cloned().collect())
}

/// Advice for the commonest mistake: reading an index attribute of a resource that may be the
/// cluster.
const CLUSTER_HELP: &str = "the resource may be the cluster, which has no attributes: narrow it \
    first, with `resource is OAuth4os::Index` in the scope or `resource is OAuth4os::Index && ...`";

/// The error for `first` of `all` the problems in a file, at the place Cedar points to, with a
/// count of the other places that have problems.
fn located(
    file: &str,
    text: &str,
    first: &DetailedError,
    all: &[DetailedError],
    reason: Reason,
) -> Error {
    let start = |d: &DetailedError| d.source_locations.first().map_or(0, |l| l.loc.start);
    let offset = start(first);
    let mut error = Place::new(file, text, offset).error(reason, &first.message);
    let mut others: Vec<usize> = all.iter().map(start).filter(|o| *o != offset).collect();
    others.sort_unstable();
    others.dedup();
    if !others.is_empty() {
        let n = others.len();
        let s = if n == 1 { "" } else { "s" };
        error.message.push_str(&format!(
            " (and problems at {n} other place{s} in this file)"
        ));
    }
    match &first.help {
        Some(help) => error.with_help(help.clone()),
        None => error,
    }
}

/// `n` from Cedar's default id `policy<n>`.
fn statement_number(id: &PolicyId) -> Option<usize> {
    id.to_string().strip_prefix("policy")?.parse().ok()
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = text.get(..end).unwrap_or("");
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// Byte offsets at which each statement of a file that parsed starts (its first annotation or
/// its effect). Statements end with `;`, which Cedar allows nowhere else outside strings and
/// comments.
fn statement_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = Vec::new();
    let mut inside = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while bytes.get(i).is_some_and(|c| *c != b'\n') {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                if !inside {
                    starts.push(i);
                    inside = true;
                }
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    i += if c == b'\\' { 2 } else { 1 };
                    if c == b'"' {
                        break;
                    }
                }
                continue;
            }
            b';' => inside = false,
            c if c.is_ascii_whitespace() => {}
            _ => {
                if !inside {
                    starts.push(i);
                    inside = true;
                }
            }
        }
        i += 1;
    }
    starts
}

/// The `*.cedar` files of `dir`, sorted by name, as `(file name, text)`.
pub(super) fn read_dir(dir: &Path) -> Result<Vec<(String, String)>> {
    let shown = || quote(&dir.display().to_string());
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Error::new(
            Reason::PolicyDir,
            format!("cannot read policy directory {}: {}", shown(), e.kind()),
        )
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| {
            Error::new(
                Reason::PolicyDir,
                format!("cannot list policy directory {}: {}", shown(), e.kind()),
            )
        })?;
        let path = entry.path();
        if path.extension().is_none_or(|ext| ext != "cedar") || !path.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Error::new(
                Reason::PolicyFile,
                format!("cannot read policy file {}: {}", quote(&name), e.kind()),
            )
        })?;
        files.push((name, text));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters_from_one() {
        let text = "ab\ncdé\nf";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 4), (2, 2));
        assert_eq!(line_column(text, 7), (2, 4)); // after the two-byte `é`
        assert_eq!(line_column(text, 6), (2, 3)); // inside `é`: its start
        assert_eq!(line_column(text, 8), (3, 1));
        assert_eq!(line_column(text, 99), (3, 2));
    }

    #[test]
    fn statements_skip_comments_and_strings() {
        let text = "// a; b\n@id(\"x;\\\"y\")\npermit(principal, action, resource);\n  forbid(principal, action, resource) when { context.method == \";\" };\n";
        let starts = statement_starts(text);
        assert_eq!(starts.len(), 2);
        assert_eq!(text.get(starts[0]..starts[0] + 3), Some("@id"));
        assert_eq!(text.get(starts[1]..starts[1] + 6), Some("forbid"));
    }
}
