//! Request bodies. Serialised once per call: these exact bytes are signed and sent.

use super::json;

/// `{"app_id":…,"mch_id":…,"transaction_id":…}` in this order, `transaction_id` left out when absent.
pub fn close_order(app_id: &str, mch_id: &str, transaction_id: Option<&str>) -> String {
    let mut members = vec![("app_id", app_id), ("mch_id", mch_id)];
    if let Some(id) = transaction_id {
        members.push(("transaction_id", id));
    }
    json::write_object(&members)
}
