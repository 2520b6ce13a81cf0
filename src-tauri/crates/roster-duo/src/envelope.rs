//! The bodies Duo answers with: `{"stat":"OK","response":…}`, with `metadata` for paged lists, and
//! `{"stat":"FAIL","code":…,"message":…,"message_detail":…}`.
//!
//! duo_client reads `metadata` at the top level (or inside `response` when that is an object) and keeps
//! paging while `next_offset` is present and not null; so the last page has no `next_offset`.

use serde_json::{json, Map, Value};

use crate::error::DuoError;
use crate::paging::ListMetadata;

/// `{"stat":"OK","response":response}`: a single object, a plain list, or a v2 log page.
pub fn ok(response: Value) -> Value {
    json!({ "stat": "OK", "response": response })
}

/// `{"stat":"OK","response":[…],"metadata":{…}}` for a paged list.
pub fn ok_list(items: Vec<Value>, metadata: &ListMetadata) -> Value {
    json!({
        "stat": "OK",
        "response": Value::Array(items),
        "metadata": metadata.to_json(),
    })
}

/// [`ok_list`] written straight to JSON text, the items serialized in place: a page of 300 users built
/// as a [`Value`] first (a map per object, every string copied) took twice as long as writing it.
pub fn ok_list_text<T: serde::Serialize>(
    items: &[T],
    metadata: &ListMetadata,
) -> serde_json::Result<String> {
    // The same keys as `ok_list`, in the order its map writes them.
    #[derive(serde::Serialize)]
    struct Body<'a, T> {
        metadata: Value,
        response: &'a [T],
        stat: &'static str,
    }
    serde_json::to_string(&Body {
        metadata: metadata.to_json(),
        response: items,
        stat: "OK",
    })
}

/// `{"stat":"FAIL","code":…,"message":…}`, plus `message_detail` when the error has one. Send it with
/// `error.code.http_status()` (and `Retry-After: error.retry_after` when set).
pub fn fail(error: &DuoError) -> Value {
    let mut body = Map::new();
    body.insert("stat".into(), json!("FAIL"));
    body.insert("code".into(), json!(error.code.number()));
    body.insert("message".into(), json!(error.code.message()));
    if let Some(detail) = &error.detail {
        body.insert("message_detail".into(), json!(detail));
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    #[test]
    fn ok_wraps_the_response() {
        assert_eq!(
            ok(json!({"user_id": "DU1"})),
            json!({"stat": "OK", "response": {"user_id": "DU1"}})
        );
    }

    #[test]
    fn a_middle_page_has_both_offsets_and_the_last_has_no_next() {
        let middle = ListMetadata {
            total_objects: 250,
            next_offset: Some(200),
            prev_offset: Some(0),
        };
        assert_eq!(
            ok_list(vec![json!(1)], &middle),
            json!({"stat": "OK", "response": [1],
                   "metadata": {"total_objects": 250, "next_offset": 200, "prev_offset": 0}})
        );
        let last = ListMetadata {
            total_objects: 250,
            next_offset: None,
            prev_offset: Some(100),
        };
        let body = ok_list(vec![], &last);
        assert!(
            body["metadata"].get("next_offset").is_none(),
            "duo_client stops paging only when next_offset is absent or null"
        );
    }

    #[test]
    fn failures_carry_code_message_and_detail() {
        assert_eq!(
            fail(&DuoError::invalid_param("username")),
            json!({"stat": "FAIL", "code": 40002, "message": "Invalid request parameters",
                   "message_detail": "username"})
        );
        let body = fail(&DuoError::new(Code::NotFound));
        assert_eq!(
            body,
            json!({"stat": "FAIL", "code": 40401, "message": "Resource not found"})
        );
    }
}
