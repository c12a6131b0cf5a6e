//! The surface manifest's types: what `core/facade/surface.json` says about every entry.
//!
//! Entries are `const`s written next to the code they describe; [`super::surface()`] lists them.
//! Names are canonical snake_case; each SDK derives its names by one mechanical rule (see
//! [`NAMING`]).

use std::fmt;

use serde::{Serialize, Serializer};

use crate::claims::Claims;
use crate::client::{ClientStats, TokenResponse};
use crate::error::{Error, ErrorCode};

/// The version of the manifest's own format.
pub const FORMAT: u32 = 1;

/// How each language derives its names from the canonical ones (also in the manifest).
pub const NAMING: &[(&str, &str)] = &[
    (
        "python",
        "functions, methods and parameters snake_case as written; a namespace is a submodule \
         (`oauth4os.scopes.normalize`) and, in the native module, a prefix (`scopes_normalize`); \
         a constant is an UPPER_SNAKE attribute, except `version`, which is `__version__`; an \
         async entry is a blocking method (the GIL released) plus, in the native module, \
         `<name>_async` returning an awaitable, and in an `Async<Class>` twin a coroutine of the \
         same name; a constructor `new` is the class itself, others are classmethods",
    ),
    (
        "node",
        "functions, methods and parameters camelCase; a namespace is an object \
         (`scopes.normalize`) and, in the native addon, a prefix (`scopesNormalize`); a constant \
         is a value (`version`, `errorCodes`) and, in the native addon, a function; an async entry \
         returns a Promise; a constructor `new` is `new Class(...)`, others are static methods",
    ),
    (
        "java",
        "classes PascalCase, methods and parameters camelCase; root functions and constants are \
         static methods of `OAuth4os`, a namespace a final class of static methods \
         (`Scopes.normalize`); an async entry is a blocking method plus `<name>Async` returning \
         a `CompletableFuture`; an optional parameter is nullable (`Long` for an int) and \
         overloads may leave trailing optional ones out; a constructor `new` is the Java \
         constructor, others static factories; records are immutable classes with one accessor \
         per field; errors are `OAuth4osException` and one subclass per code, the PascalCase code \
         plus `Exception` (`InvalidTokenException`)",
    ),
    (
        "uniffi",
        "Swift and Kotlin through uniffi's own mapping: functions, methods and parameters \
         camelCase, classes PascalCase; a namespace is a prefix (`scopesNormalize`); an async \
         entry is `async` (Swift) or `suspend` (Kotlin); a constructor `new` is the primary \
         constructor, others named constructors",
    ),
    (
        "go",
        "package `oauth4os` (sdks/go, over the C ABI): names PascalCase, parameters camelCase, \
         with Go's initialisms (`RevokeJTI`, `configJSON`); root functions and constants are \
         package functions (`Version()`), a namespace a subpackage (`scopes.Normalize`), a class \
         a struct with `Close`, constructor `new` `New<Class>` and others `New<Class><Name>` \
         (`NewVerifierFromJWKS`); a constructor's `config_json` is the struct `<Class>Config`, \
         sent as that JSON; an async entry takes a `context.Context` first and returns its error \
         when it is done first; an optional parameter is a plain one whose zero value (`\"\"`, \
         `nil`) means absent, except an entry's only parameter, which is left out and given by a \
         twin named after it (`Revoke` and `RevokeToken`, `Refresh` and `RefreshStale`), and \
         `now`, left out and given by `<Name>At` with a `time.Time` (`VerifyAt`); an entry with \
         errors returns `error` last, others none; records are structs (`*Claims`), an optional \
         record `(*Claims, bool)`, JSON `json.RawMessage`, a list `[]T`; errors are `*Error` \
         with `errors.Is` sentinels per code and per reason (`ErrInvalidToken`, `ErrRevoked`)",
    ),
    (
        "c",
        "`oauth4os_<namespace or class>_<name>` in snake_case (bindings/c/include/oauth4os.h); \
         handles are opaque thread-safe pointers freed by `oauth4os_<class>_free`; strings and \
         bytes in are `oauth4os_str`/`oauth4os_bytes` views lent for the call (NULL: absent), \
         an optional `now` an `int64_t *`; a function returns `OAUTH4OS_OK`, `OAUTH4OS_ERROR` \
         with an `oauth4os_error` (code, reason, message, help, retry_after, scope) in its \
         `err` out-parameter, or `OAUTH4OS_CANCELLED` (an async entry takes an optional \
         `oauth4os_cancel *`); results go to out-parameters, records and lists as JSON strings; \
         whatever the library returns is freed by one `oauth4os_free_*`",
    ),
];

/// Whether an entry can wait on I/O.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Returns without waiting on I/O.
    Sync,
    /// May wait on the network: a Promise, an awaitable, a future or a blocking call.
    Async,
    /// A value that never changes while the process runs (a function at the FFI level).
    Constant,
}

/// A type as it crosses the boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// Nothing.
    Unit,
    /// A UTF-8 string.
    Str,
    /// A boolean.
    Bool,
    /// A signed 64-bit integer (seconds since the epoch, counters).
    Int,
    /// Bytes.
    Bytes,
    /// Any JSON value (a search query or answer).
    Json,
    /// A record of the manifest's `records`, as a JSON object or the language's data class.
    Record(&'static str),
    /// An opaque handle of a class.
    Handle(&'static str),
    /// A list.
    List(&'static Type),
    /// A value or nothing.
    Optional(&'static Type),
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unit => f.write_str("unit"),
            Self::Str => f.write_str("string"),
            Self::Bool => f.write_str("bool"),
            Self::Int => f.write_str("int"),
            Self::Bytes => f.write_str("bytes"),
            Self::Json => f.write_str("json"),
            Self::Record(name) | Self::Handle(name) => f.write_str(name),
            Self::List(t) => write!(f, "list<{t}>"),
            Self::Optional(t) => write!(f, "{t}?"),
        }
    }
}

impl Serialize for Type {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Param {
    /// Canonical snake_case name.
    pub name: &'static str,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: Type,
    /// Whether it may be left out (`None`, `null`, `undefined`).
    pub optional: bool,
}

impl Param {
    /// A parameter the caller must give.
    pub const fn required(name: &'static str, ty: Type) -> Self {
        Self {
            name,
            ty,
            optional: false,
        }
    }

    /// A parameter the caller may leave out.
    pub const fn optional(name: &'static str, ty: Type) -> Self {
        Self {
            name,
            ty,
            optional: true,
        }
    }
}

/// A function, method or constructor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Function {
    /// Canonical snake_case name.
    pub name: &'static str,
    /// What it does, one line.
    pub doc: &'static str,
    /// Sync, async or constant.
    pub mode: Mode,
    /// Its parameters, in order (the handle itself not included).
    pub params: &'static [Param],
    /// What it returns.
    pub returns: Type,
    /// The error codes it raises (besides `internal`, which any entry may raise).
    pub errors: &'static [ErrorCode],
}

impl Function {
    /// A function that never waits on I/O.
    pub const fn sync(
        name: &'static str,
        doc: &'static str,
        params: &'static [Param],
        returns: Type,
        errors: &'static [ErrorCode],
    ) -> Self {
        Self {
            name,
            doc,
            mode: Mode::Sync,
            params,
            returns,
            errors,
        }
    }

    /// A function that may wait on the network.
    pub const fn asynchronous(
        name: &'static str,
        doc: &'static str,
        params: &'static [Param],
        returns: Type,
        errors: &'static [ErrorCode],
    ) -> Self {
        Self {
            name,
            doc,
            mode: Mode::Async,
            params,
            returns,
            errors,
        }
    }

    /// A value fixed for the life of the process, without parameters or errors.
    pub const fn constant(name: &'static str, doc: &'static str, returns: Type) -> Self {
        Self {
            name,
            doc,
            mode: Mode::Constant,
            params: &[],
            returns,
            errors: &[],
        }
    }
}

/// A group of free functions (`scopes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Namespace {
    /// Canonical snake_case name.
    pub name: &'static str,
    /// What it groups.
    pub doc: &'static str,
    /// Its functions.
    pub functions: &'static [Function],
}

/// A class: an opaque handle with constructors and methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Class {
    /// PascalCase name, the same in every language.
    pub name: &'static str,
    /// What it is.
    pub doc: &'static str,
    /// Constructors; `new` is the language's plain constructor.
    pub constructors: &'static [Function],
    /// Methods.
    pub methods: &'static [Function],
}

/// A data record that results cross as (a JSON object, or the language's data class).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// PascalCase name.
    pub name: &'static str,
    /// Its fields in their JSON (snake_case) form; `?` marks one that may be absent.
    pub fields: Vec<String>,
}

/// The error contract of every entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorContract {
    /// What an error carries, in every language (Node spells `retry_after` `retryAfter`).
    pub record: Record,
    /// Every code, in the core's order; each language has one exception class per code,
    /// named by the PascalCase code plus `Error` (`InvalidTokenError`), without doubling it
    /// (`server_error` is `ServerError`), under `OAuth4osError`.
    pub codes: Vec<&'static str>,
}

/// The whole surface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Surface {
    /// The manifest format.
    pub format: u32,
    /// The command that writes the manifest.
    pub generated_by: &'static str,
    /// Each language's naming rule.
    pub naming: Vec<Naming>,
    /// Errors as data.
    pub errors: ErrorContract,
    /// Free functions at the root.
    pub functions: Vec<Function>,
    /// Namespaces of free functions.
    pub namespaces: Vec<Namespace>,
    /// Classes (opaque handles).
    pub classes: Vec<Class>,
    /// The records results cross as.
    pub records: Vec<Record>,
}

/// One language's naming rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Naming {
    /// The language.
    pub language: &'static str,
    /// The rule.
    pub rule: &'static str,
}

impl Surface {
    /// The surface of these entries, with the error contract and the records.
    pub fn new(functions: Vec<Function>, namespaces: Vec<Namespace>, classes: Vec<Class>) -> Self {
        Self {
            format: FORMAT,
            generated_by: "cargo run -q -p oauth4os-core --example surface > core/facade/surface.json",
            naming: NAMING
                .iter()
                .map(|&(language, rule)| Naming { language, rule })
                .collect(),
            errors: ErrorContract {
                record: record_with("Error", &full_error(), Some(&Error::internal("m"))),
                codes: super::error_codes(),
            },
            functions,
            namespaces,
            classes,
            records: records(),
        }
    }

    /// The manifest as it is checked in: pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// The fields of a record, read from a value with every optional field set, so that the list
/// follows the Rust type. Fields that a minimal value omits are marked `?`.
fn record_of<T: Serialize>(name: &'static str, full: &T) -> Record {
    record_with(name, full, None::<&T>)
}

fn record_with<T: Serialize>(name: &'static str, full: &T, minimal: Option<&T>) -> Record {
    let keys = |v: Option<&T>| -> Vec<String> {
        match v.map(serde_json::to_value) {
            Some(Ok(serde_json::Value::Object(m))) => m.keys().cloned().collect(),
            _ => Vec::new(),
        }
    };
    let required = keys(minimal);
    let fields = keys(Some(full))
        .into_iter()
        .map(|k| {
            if minimal.is_none() || required.contains(&k) {
                k
            } else {
                format!("{k}?")
            }
        })
        .collect();
    Record { name, fields }
}

fn full_error() -> Error {
    let mut e = Error::internal("m").with_help("h");
    e.retry_after = Some(1);
    e.scope = Some("s".to_owned());
    e
}

fn records() -> Vec<Record> {
    let some = || Some(String::new());
    let token = TokenResponse {
        access_token: String::new(),
        token_type: String::new(),
        expires_in: Some(1),
        scope: some(),
        refresh_token: some(),
        issued_token_type: some(),
    };
    let bare_token = TokenResponse {
        expires_in: None,
        scope: None,
        refresh_token: None,
        issued_token_type: None,
        ..token.clone()
    };
    let mut extra = serde_json::Map::new();
    extra.insert("x".into(), serde_json::Value::Null);
    let claims = Claims {
        iss: String::new(),
        sub: some(),
        aud: Vec::new(),
        exp: 0,
        nbf: Some(0),
        iat: Some(0),
        jti: some(),
        client_id: some(),
        scope: some(),
        tenant: some(),
        extra,
    };
    let bare_claims = Claims {
        sub: None,
        nbf: None,
        iat: None,
        jti: None,
        client_id: None,
        scope: None,
        tenant: None,
        extra: serde_json::Map::new(),
        ..claims.clone()
    };
    let classified = super::classify("GET", "/", None, None).ok();
    let claims_json = r#"{"iss":"i","aud":["a"],"exp":1,"scope":"read:x"}"#;
    let allowed = super::decide(claims_json, "GET", "/x/_search", None, None, None).ok();
    let denied = super::decide(claims_json, "GET", "/y/_search", None, None, None).ok();
    vec![
        record_with("TokenResponse", &token, Some(&bare_token)),
        record_with("Claims", &claims, Some(&bare_claims)),
        record_of("ClientStats", &ClientStats::default()),
        Record {
            name: "Response",
            fields: vec!["status".into(), "headers".into(), "body".into()],
        },
        record_of("Classified", &classified),
        record_with("Decision", &denied, allowed.as_ref().map(|_| &allowed)),
    ]
}
