//! TTPay's business status codes, from https://ttpay.io/doc/en/api/errcode/errcode.html, with the
//! project's retry decision (PROTOCOL.md). Unknown codes are kept as they came and not retried.

/// One documented code: its number, what TTPay says it means, and whether a retry may help.
pub struct BusinessCode {
    pub code: i64,
    pub meaning: &'static str,
    pub retryable: bool,
}

const fn c(code: i64, meaning: &'static str, retryable: bool) -> BusinessCode {
    BusinessCode {
        code,
        meaning,
        retryable,
    }
}

pub const CODES: &[BusinessCode] = &[
    c(0, "success", false),
    c(100, "request parameter error", false),
    c(103, "invalid signature", false),
    // Clock skew or a stale request: a freshly signed retry can pass.
    c(104, "signature expired", true),
    c(11000, "operation failed, try again later", true),
    c(
        11001,
        "too frequent: limit 5 requests/second per app_id",
        true,
    ),
    c(11003, "missing required parameter", false),
    c(12001, "data already exists", false),
    c(12002, "data absent", false),
    c(12003, "data empty", false),
    c(20000, "application absent", false),
    c(20001, "application disabled", false),
    c(20002, "balance too low", false),
    c(20003, "quota too low", false),
    c(20004, "request frequency limited", true),
    c(20005, "invalid parameter", false),
];

pub fn lookup(code: i64) -> Option<&'static BusinessCode> {
    CODES.iter().find(|c| c.code == code)
}

/// `code N (meaning)` for messages; for the codes a merchant fixes on their side, what to check,
/// so a mistyped secret or a skewed clock reads as such in the first line of the error.
pub fn describe(code: i64) -> String {
    let meaning = lookup(code).map_or("undocumented code", |c| c.meaning);
    let check = match code {
        103 => "; check appSecret, appId and mchId",
        104 => "; check this machine's clock and timestampUnit",
        _ => "",
    };
    format!("code {code} ({meaning}{check})")
}

pub fn is_retryable(code: i64) -> bool {
    lookup(code).is_some_and(|c| c.retryable)
}
