//! Classification throughput on a typical `_bulk` body.
//!
//! Run with `cargo bench -p oauth4os-core --bench classify`.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oauth4os_core::classify::{Request, classify};

/// 500 `index` actions over five indices, each followed by a ~200-byte document: 1,000 lines.
fn bulk_body() -> Vec<u8> {
    let mut body = String::new();
    for i in 0..500 {
        let _ = writeln!(
            body,
            r#"{{"index":{{"_index":"logs-2026.05.{:02}","_id":"{i}"}}}}"#,
            i % 5 + 1
        );
        let _ = writeln!(
            body,
            r#"{{"@timestamp":"2026-05-01T12:00:{:02}.000Z","level":"info","service":"checkout","host":"web-{:03}","message":"order {i} accepted after payment authorisation","latency_ms":{}}}"#,
            i % 60,
            i % 100,
            i * 7 % 1000
        );
    }
    body.into_bytes()
}

fn bench_bulk(c: &mut Criterion) {
    let body = bulk_body();
    let req = Request {
        method: "POST",
        path: "/_bulk",
        query: None,
        body: &body,
    };
    let classified = classify(&req);
    assert!(
        classified.is_ok(),
        "the benchmark body must classify: {classified:?}"
    );

    let mut group = c.benchmark_group("classify");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("bulk_1000_lines", |b| b.iter(|| classify(black_box(&req))));
    group.finish();
}

criterion_group!(benches, bench_bulk);
criterion_main!(benches);
