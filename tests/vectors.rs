//! Every vector in the shared `vectors.json`, read at test time: the whole signing path must
//! reproduce OpenSSL's bytes exactly, and reply signatures must decrypt to their signed text.

use serde_json::Value as J;
use ttpay_wasm::core::options::{Input, RawClientOptions};
use ttpay_wasm::core::secret::AppSecret;
use ttpay_wasm::core::wire::CloseOrderBody;
use ttpay_wasm::core::{sign, Call};

fn vectors() -> Vec<J> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/ttpay/vectors.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let doc: J = serde_json::from_str(&text).expect("vectors.json is JSON");
    doc["vectors"].as_array().expect("a vectors array").clone()
}

fn s<'a>(v: &'a J, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("vector {} lacks {key}", v["name"]))
}

fn of_kind(kind: &str) -> Vec<J> {
    let all: Vec<J> = vectors()
        .into_iter()
        .filter(|v| v["kind"] == kind)
        .collect();
    assert!(!all.is_empty(), "no {kind} vectors");
    all
}

fn hex16(nonce: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&nonce[2 * i..2 * i + 2], 16).expect("hex nonce");
    }
    out
}

#[test]
fn every_request_vector_signs_to_openssls_bytes_step_by_step() {
    for v in of_kind("request") {
        let name = s(&v, "name");
        let sent: J = serde_json::from_str(s(&v, "body")).unwrap();
        let built = CloseOrderBody {
            app_id: s(&v, "app_id"),
            mch_id: s(&v, "mch_id"),
            transaction_id: sent["transaction_id"].as_str(),
        }
        .to_json();
        assert_eq!(built, s(&v, "body"), "{name}: body bytes");

        let text = sign::signing_string(s(&v, "path"), s(&v, "timestamp"), s(&v, "nonce"), &built);
        assert_eq!(text, s(&v, "signing_string"), "{name}: signing string");

        let secret = AppSecret::new(s(&v, "app_secret")).unwrap();
        let signature = sign::signature(&secret, &text);
        assert_eq!(signature, s(&v, "signature"), "{name}: signature");

        let auth = sign::authorization(
            s(&v, "app_id"),
            s(&v, "mch_id"),
            s(&v, "nonce"),
            s(&v, "timestamp"),
            &signature,
        );
        assert_eq!(auth, s(&v, "authorization"), "{name}: Authorization header");
    }
}

#[test]
fn every_request_vector_comes_out_of_the_whole_call_pipeline() {
    for v in of_kind("request") {
        let name = s(&v, "name");
        let ts = s(&v, "timestamp");
        let (unit, now_ms) = if ts.len() == 10 {
            ("s", ts.parse::<f64>().unwrap() * 1000.0 + 999.0)
        } else {
            ("ms", ts.parse::<f64>().unwrap() + 0.75)
        };
        let config = RawClientOptions {
            app_id: Input::Str(s(&v, "app_id").into()),
            app_secret: Input::Str(s(&v, "app_secret").into()),
            mch_id: Input::Str(s(&v, "mch_id").into()),
            timestamp_unit: Input::Str(unit.into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        let sent: J = serde_json::from_str(s(&v, "body")).unwrap();
        let Some(tx) = sent["transaction_id"].as_str() else {
            // The client refuses a close without an order id before signing anything.
            let refused = Call::close_order(&config, &Input::Missing, &Input::Missing).unwrap_err();
            assert!(
                refused.message.starts_with("transactionId: is required"),
                "{name}"
            );
            continue;
        };
        let call = Call::close_order(&config, &Input::Str(tx.into()), &Input::Missing).unwrap();
        assert_eq!(call.path, s(&v, "path"), "{name}");
        assert_eq!(
            call.url,
            format!("https://api.ttpay.io{}", s(&v, "path")),
            "{name}"
        );
        let req = call.sign(&config, now_ms, &hex16(s(&v, "nonce")));
        assert_eq!(
            req.body,
            s(&v, "body"),
            "{name}: the bytes sent are the bytes signed"
        );
        assert_eq!(
            req.headers()[0],
            ("Authorization", s(&v, "authorization")),
            "{name}"
        );
    }
}

#[test]
fn changing_any_one_signed_field_changes_the_signature() {
    let v = &of_kind("request")[0];
    let secret = AppSecret::new(s(v, "app_secret")).unwrap();
    let sig = |path: &str, ts: &str, nonce: &str, body: &str| {
        sign::signature(&secret, &sign::signing_string(path, ts, nonce, body))
    };
    let (p, t, n, b) = (s(v, "path"), s(v, "timestamp"), s(v, "nonce"), s(v, "body"));
    let good = sig(p, t, n, b);
    assert_eq!(good, s(v, "signature"));
    assert_ne!(sig("/v1/transaction/closE", t, n, b), good, "path");
    assert_ne!(sig(p, "1554208460001", n, b), good, "timestamp");
    assert_ne!(
        sig(p, t, "593BEC0C930BF1AFEB40B4A08C8FB243", b),
        good,
        "nonce"
    );
    assert_ne!(sig(p, t, n, &b.replace("2a1c", "2a1d")), good, "body");
    let other = AppSecret::new("12345678901234567890123456789013").unwrap();
    assert_ne!(
        sign::signature(&other, &sign::signing_string(p, t, n, b)),
        good,
        "secret"
    );
}

#[test]
fn full_padding_block_vector_is_a_multiple_of_16_plus_one_block() {
    let v = vectors()
        .into_iter()
        .find(|v| v["name"] == "close-full-padding-block")
        .unwrap();
    assert_eq!(s(&v, "signing_string").len() % 16, 0);
    let raw = sign::decode_signature(s(&v, "signature")).unwrap();
    assert_eq!(raw.len(), s(&v, "signing_string").len() + 16);
}

#[test]
fn every_signature_decrypts_back_to_its_signed_text() {
    for v in vectors() {
        let secret = AppSecret::new(s(&v, "app_secret")).unwrap();
        let raw = sign::decode_signature(s(&v, "signature")).unwrap();
        let plain = String::from_utf8(secret.decrypt(&raw).expect("valid padding")).unwrap();
        let expected = if v["kind"] == "request" {
            s(&v, "signing_string").to_string()
        } else {
            format!(
                "{}\n{}\n{}",
                s(&v, "ttpay_timestamp"),
                s(&v, "ttpay_nonce"),
                s(&v, "signed_text")
            )
        };
        assert_eq!(plain, expected, "{}", s(&v, "name"));
    }
}
