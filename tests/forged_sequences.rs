//! Every sequence of the shared `forged-sequences.json`, read at test time (issue 18): its replies
//! are fed in order to one client's replay table, each as the reply to a close request for the
//! sequence's `request_transaction_id` sent at the step's `request_sent_at_ms`, and each is
//! verified or refused exactly as the step expects.

use serde_json::Value as J;
use ttpay_wasm::core::options::{Input, RawClientOptions};
use ttpay_wasm::core::replay::SeenNonces;
use ttpay_wasm::core::secret::AppSecret;
use ttpay_wasm::core::verify::SignatureHeaders;
use ttpay_wasm::core::{sign, Call, ClientConfig, ErrorKind, Next, Reply};

/// How long after its request each reply arrives.
const ROUND_TRIP_MS: f64 = 50.0;

fn sequences() -> Vec<J> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/ttpay/forged-sequences.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let doc: J = serde_json::from_str(&text).expect("forged-sequences.json is JSON");
    let all = doc["sequences"]
        .as_array()
        .expect("a sequences array")
        .clone();
    assert!(!all.is_empty(), "no sequences");
    all
}

fn s<'a>(v: &'a J, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{} lacks {key}", v["name"]))
}

fn config(app_secret: &str) -> ClientConfig {
    RawClientOptions {
        app_id: Input::Str("app".into()),
        app_secret: Input::Str(app_secret.into()),
        mch_id: Input::Str("m".into()),
        verify_responses: Input::Str("require".into()),
        ..Default::default()
    }
    .validate()
    .unwrap()
}

/// One step: a close of `transaction_id` signed at the step's send time, answered by its reply.
fn answer(config: &ClientConfig, transaction_id: &str, step: &J, seen: &mut SeenNonces) -> Next {
    let sent_ms = step["request_sent_at_ms"]
        .as_f64()
        .expect("request_sent_at_ms");
    let mut call =
        Call::close_order(config, &Input::Str(transaction_id.into()), &Input::Missing).unwrap();
    call.begin_attempt(sent_ms).unwrap();
    let _ = call.sign(config, sent_ms, &[7; 16]);
    let reply = Reply {
        status: 200,
        body: s(step, "body").as_bytes(),
        signature: SignatureHeaders {
            timestamp: Some(s(step, "ttpay_timestamp")),
            nonce: Some(s(step, "ttpay_nonce")),
            signature: Some(s(step, "signature")),
        },
        retry_after: None,
    };
    call.handle_reply(config, sent_ms + ROUND_TRIP_MS, 0.0, &reply, seen)
}

#[test]
fn every_step_of_every_sequence_is_verified_or_refused_as_expected() {
    for sequence in sequences() {
        let name = s(&sequence, "name");
        let config = config(s(&sequence, "app_secret"));
        let asked = s(&sequence, "request_transaction_id");
        let mut seen = SeenNonces::new();
        for (i, step) in sequence["steps"].as_array().unwrap().iter().enumerate() {
            let outcome = answer(&config, asked, step, &mut seen);
            match (s(step, "expect"), outcome) {
                ("verified", Next::Done(Ok(success))) => {
                    assert!(success.verified, "{name} step {i}: accepted unverified")
                }
                ("refused", Next::Done(Err(e))) => {
                    assert_eq!(e.kind, ErrorKind::Signature, "{name} step {i}: {e}")
                }
                (expect, other) => panic!("{name} step {i}: expected {expect}, got {other:?}"),
            }
        }
    }
}

#[test]
fn every_step_is_genuinely_signed() {
    // The attacks rearrange what TTPay signed; none of them is a bad signature.
    for sequence in sequences() {
        let secret = AppSecret::new(s(&sequence, "app_secret")).unwrap();
        for step in sequence["steps"].as_array().unwrap() {
            let raw = sign::decode_signature(s(step, "signature")).unwrap();
            let plain = String::from_utf8(secret.decrypt(&raw).expect("valid padding")).unwrap();
            let signed = step["signed_text"].as_str().unwrap_or(s(step, "body"));
            let expected = format!(
                "{}\n{}\n{signed}",
                s(step, "ttpay_timestamp"),
                s(step, "ttpay_nonce")
            );
            assert_eq!(plain, expected, "{}", sequence["name"]);
        }
    }
}

#[test]
fn each_refusal_says_why() {
    let reasons = [
        (
            "sequence-data-only-code-flip",
            "not say the order is CLOSED",
        ),
        (
            "sequence-ecb-splice",
            "seen before under another TTPay-Nonce",
        ),
        (
            "sequence-reply-older-than-request",
            "predates its request by",
        ),
    ];
    for sequence in sequences() {
        let name = s(&sequence, "name");
        let Some((_, why)) = reasons.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        let config = config(s(&sequence, "app_secret"));
        let mut seen = SeenNonces::new();
        let mut last = None;
        for step in sequence["steps"].as_array().unwrap() {
            last = Some(answer(
                &config,
                s(&sequence, "request_transaction_id"),
                step,
                &mut seen,
            ));
        }
        match last {
            Some(Next::Done(Err(e))) => assert!(e.message.contains(why), "{name}: {e}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}
