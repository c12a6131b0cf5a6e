//! The OpenAPI 3.1 document of the admin API, built from [`ROUTES`] and the JSON Schemas that
//! `schemars` derives from the body types (JSON Schema 2020-12, the dialect of OpenAPI 3.1),
//! placed under `components/schemas`.

use schemars::generate::SchemaSettings;
use schemars::{Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

use super::routes::{Body, ROUTES, Route, error_description};
use super::{ADMIN_SCOPE, ErrorBody, PREFIX};

/// Request bodies and queries are described as the server reads them (a field with a default
/// is optional), response bodies as it writes them (a field always written is required, `null`
/// included): one generator for each.
struct Generators {
    request: SchemaGenerator,
    response: SchemaGenerator,
}

impl Generators {
    fn new() -> Self {
        let settings = || {
            let mut s = SchemaSettings::draft2020_12();
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
            s
        };
        Self {
            request: SchemaGenerator::new(settings().for_deserialize()),
            response: SchemaGenerator::new(settings().for_serialize()),
        }
    }

    /// Every schema either generator made. A type used both ways keeps its request form; the
    /// tests check that the two forms of such a type agree.
    fn definitions(mut self) -> Map<String, Value> {
        let mut all = self.request.take_definitions(true);
        for (name, schema) in self.response.take_definitions(true) {
            all.entry(name).or_insert(schema);
        }
        all
    }
}

/// The JSON Schema of every admin body, by name, as placed under `components/schemas`.
pub fn schemas() -> Map<String, Value> {
    let mut g = Generators::new();
    for r in ROUTES {
        operation(&mut g, r);
    }
    g.definitions()
}

/// The OpenAPI 3.1 document of the admin API served by the proxy whose issuer (base URL) is
/// `issuer`, as served at `/admin/openapi.json`.
pub fn openapi(issuer: &str) -> Value {
    let mut g = Generators::new();
    let mut paths = Map::new();
    for r in ROUTES {
        let op = operation(&mut g, r);
        let entry = paths
            .entry(format!("{PREFIX}{}", r.path))
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(methods) = entry.as_object_mut() {
            methods.insert(r.method.as_str().to_ascii_lowercase(), op);
        }
    }
    let schemas = g.definitions();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "oauth4os admin API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!("Obtain an admin token with `POST /oauth/token` (grant_type=client_credentials, the admin client's credentials, scope={ADMIN_SCOPE}). Request bodies refuse unknown fields; every error answers an `ErrorBody`."),
        },
        "servers": [{ "url": issuer }],
        "security": [{ "adminToken": [ADMIN_SCOPE] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "adminToken": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": format!("{issuer}/oauth/token"),
                            "scopes": { ADMIN_SCOPE: "administer oauth4os" },
                        },
                    },
                },
            },
            "schemas": schemas,
        },
    })
}

/// One operation object; adds the schemas it uses to the generator.
fn operation(g: &mut Generators, r: &Route) -> Value {
    let mut op = Map::new();
    op.insert("operationId".into(), json!(r.operation.id()));
    op.insert("summary".into(), json!(r.summary));
    op.insert("tags".into(), json!([r.tag()]));
    op.insert("security".into(), json!([{ "adminToken": [ADMIN_SCOPE] }]));
    let mut parameters = Vec::new();
    if let Some(what) = r.id {
        parameters.push(json!({
            "name": "id",
            "in": "path",
            "required": true,
            "description": what,
            "schema": { "type": "string" },
        }));
    }
    if let Some(query) = r.query {
        parameters.extend(query_parameters(&query(&mut g.request)));
    }
    if !parameters.is_empty() {
        op.insert("parameters".into(), Value::Array(parameters));
    }
    if let Some(body) = r.request {
        op.insert(
            "requestBody".into(),
            json!({ "required": true, "content": content(&mut g.request, body) }),
        );
    }
    let mut responses = Map::new();
    let mut ok = Map::new();
    ok.insert(
        "description".into(),
        json!(if r.response.is_some() {
            "success"
        } else {
            "success, no body"
        }),
    );
    if let Some(body) = r.response {
        ok.insert("content".into(), content(&mut g.response, body));
    }
    if r.status == 201 {
        ok.insert(
            "headers".into(),
            json!({ "Location": { "description": "the new item's path", "schema": { "type": "string" } } }),
        );
    }
    responses.insert(r.status.to_string(), Value::Object(ok));
    let error = g.response.subschema_for::<ErrorBody>().to_value();
    // A route that writes answers 503 while the store is locked or its disk is full.
    let unavailable = (r.method != super::routes::Method::Get).then_some(&503);
    for status in std::iter::once(&401).chain(r.errors).chain(unavailable) {
        let mut e = Map::new();
        e.insert("description".into(), json!(error_description(*status)));
        if *status != 413 {
            e.insert(
                "content".into(),
                json!({ "application/json": { "schema": error } }),
            );
        }
        responses.insert(status.to_string(), Value::Object(e));
    }
    op.insert("responses".into(), Value::Object(responses));
    Value::Object(op)
}

fn content(g: &mut SchemaGenerator, body: Body) -> Value {
    match body {
        Body::Json(schema) => json!({ "application/json": { "schema": schema(g).to_value() } }),
        // OpenAPI 3.1 describes raw bytes by their media type alone.
        Body::Binary(media_type) => json!({ media_type: {} }),
    }
}

/// Query parameters from the inline schema of a struct: one per property, required when the
/// struct requires it; `null` is dropped from their types (a query has no null).
fn query_parameters(schema: &Schema) -> Vec<Value> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, property)| {
            let mut property = property.clone();
            let description = property
                .as_object_mut()
                .and_then(|p| p.remove("description"));
            if let Some(t) = property.get_mut("type")
                && let Value::Array(types) = t
            {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    let only = only.clone();
                    *t = only;
                }
            }
            let mut p = json!({
                "name": name,
                "in": "query",
                "required": required.contains(&name.as_str()),
                "schema": property,
            });
            if let (Some(d), Some(obj)) = (description, p.as_object_mut()) {
                obj.insert("description".into(), d);
            }
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_type_used_both_ways_has_one_schema() {
        let mut g = Generators::new();
        for r in ROUTES {
            operation(&mut g, r);
        }
        let request = g.request.take_definitions(true);
        let response = g.response.take_definitions(true);
        assert!(request.contains_key("ClientSpec") && response.contains_key("Client"));
        for (name, schema) in &request {
            if let Some(other) = response.get(name) {
                assert_eq!(schema, other, "{name} differs by direction");
            }
        }
    }

    #[test]
    fn optional_response_fields_are_required_and_nullable() {
        let all = schemas();
        let client = &all["Client"];
        let required = client["required"].as_array().unwrap();
        assert!(required.contains(&json!("access_token_ttl")));
        assert!(required.contains(&json!("rate_limit")));
        assert_eq!(
            client["properties"]["rate_limit"]["type"],
            json!(["string", "null"])
        );
        let spec = &all["ClientSpec"];
        assert_eq!(spec["required"], json!(["scopes"]));
        assert_eq!(spec["additionalProperties"], json!(false));
    }
}
