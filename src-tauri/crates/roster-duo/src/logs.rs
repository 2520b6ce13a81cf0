//! The administrator log's two query shapes.
//!
//! - v1 (`GET /admin/v1/logs/administrator`): `mintime` in Unix seconds (default 0); the answer is a plain
//!   list of at most [`ADMIN_LOG_V1_MAX`] events, the earliest first, with no metadata; clients page
//!   by asking again with the last timestamp.
//! - v2 (`GET /admin/v2/logs/administrator`): `mintime` and `maxtime` in Unix milliseconds (both
//!   required, `mintime < maxtime`), `limit` (default 100, max 1000), `sort` (`ts:asc` or `ts:desc`,
//!   default `ts:desc`) and a `next_offset` cursor `"<timestamp ms>,<event id>"`, as Duo's v2 logs use.
//!   The answer is `{"items": […], "metadata": {"next_offset": "<ms>,<id>" | null, "total_objects": n}}`
//!   inside `response`.

use serde_json::{json, Value};

use crate::error::DuoError;
use crate::paging::{Page, PageLimits};
use crate::params::Params;

/// The most events one v1 administrator-log answer holds.
pub const ADMIN_LOG_V1_MAX: usize = 1000;

/// A v1 administrator-log query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminLogV1Query {
    /// Events at or after this Unix time in seconds.
    pub mintime_secs: i64,
}

impl AdminLogV1Query {
    /// Reads `mintime` (non-negative seconds, default 0).
    pub fn from_params(params: &Params) -> Result<Self, DuoError> {
        Ok(AdminLogV1Query {
            mintime_secs: params.int("mintime", 0..=i64::MAX)?.unwrap_or(0),
        })
    }
}

/// The order of a v2 log page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSort {
    /// `ts:asc`: oldest first.
    Ascending,
    /// `ts:desc`: newest first (Duo's default).
    Descending,
}

/// Where a v2 log page resumes: the last event served, as `"<timestamp ms>,<event id>"` on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogCursor {
    /// The timestamp of the last event served, in Unix milliseconds.
    pub timestamp_ms: i64,
    /// Its id, which breaks ties between events of the same millisecond.
    pub id: String,
}

impl LogCursor {
    /// Parses `"<ms>,<id>"`; anything else is 40002 naming `next_offset`.
    pub fn parse(text: &str) -> Result<Self, DuoError> {
        let bad = || DuoError::invalid_param("next_offset");
        let (ms, id) = text.split_once(',').ok_or_else(bad)?;
        if id.is_empty() || !ms.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        Ok(LogCursor {
            timestamp_ms: ms.parse().map_err(|_| bad())?,
            id: id.to_string(),
        })
    }

    /// The wire form, `"<ms>,<id>"`.
    pub fn to_wire(&self) -> String {
        format!("{},{}", self.timestamp_ms, self.id)
    }
}

/// A v2 administrator-log query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminLogV2Query {
    /// Events at or after this Unix time in milliseconds.
    pub mintime_ms: i64,
    /// Events at or before this Unix time in milliseconds.
    pub maxtime_ms: i64,
    /// How many events at most (clamped to 1000).
    pub limit: u32,
    /// The order.
    pub sort: LogSort,
    /// Resume after this event, when given.
    pub after: Option<LogCursor>,
}

impl AdminLogV2Query {
    /// Reads `mintime`, `maxtime`, `limit`, `sort` and `next_offset`.
    pub fn from_params(params: &Params) -> Result<Self, DuoError> {
        let mintime_ms = params
            .int("mintime", 0..=i64::MAX)?
            .ok_or_else(|| DuoError::invalid_param("mintime"))?;
        let maxtime_ms = params
            .int("maxtime", 0..=i64::MAX)?
            .ok_or_else(|| DuoError::invalid_param("maxtime"))?;
        if mintime_ms >= maxtime_ms {
            return Err(DuoError::invalid_param("maxtime"));
        }
        let limit = Page::from_params(params, PageLimits::LOGS)?.limit;
        if params.contains("offset") {
            return Err(DuoError::invalid_param("offset"));
        }
        let sort = match params.one_of("sort", &["ts:asc", "ts:desc"])? {
            Some("ts:asc") => LogSort::Ascending,
            _ => LogSort::Descending,
        };
        let after = params
            .str("next_offset")?
            .map(LogCursor::parse)
            .transpose()?;
        Ok(AdminLogV2Query {
            mintime_ms,
            maxtime_ms,
            limit,
            sort,
            after,
        })
    }
}

/// The v2 page `response`: `{"items": items, "metadata": {"next_offset": …, "total_objects": n}}`, with
/// `next_offset` null on the last page. Wrap it with [`crate::envelope::ok`].
pub fn admin_log_v2_response(
    items: Vec<Value>,
    next: Option<&LogCursor>,
    total_objects: u64,
) -> Value {
    json!({
        "items": items,
        "metadata": {
            "next_offset": next.map(LogCursor::to_wire),
            "total_objects": total_objects,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(query: &str) -> Result<AdminLogV2Query, DuoError> {
        AdminLogV2Query::from_params(&Params::from_query(query)?)
    }

    fn detail(r: Result<AdminLogV2Query, DuoError>) -> Option<String> {
        r.err().and_then(|e| e.detail)
    }

    #[test]
    fn v1_reads_mintime_in_seconds() {
        let q = |s: &str| Params::from_query(s).and_then(|p| AdminLogV1Query::from_params(&p));
        assert_eq!(q("").map(|q| q.mintime_secs), Ok(0));
        assert_eq!(
            q("mintime=1579878582").map(|q| q.mintime_secs),
            Ok(1579878582)
        );
        assert_eq!(q("mintime=-5"), Err(DuoError::invalid_param("mintime")));
        assert_eq!(q("mintime=soon"), Err(DuoError::invalid_param("mintime")));
    }

    #[test]
    fn v2_reads_times_limit_sort_and_cursor() {
        let q = v2("mintime=1000&maxtime=2000&limit=5000&sort=ts:asc&next_offset=1500%2Cabc");
        assert_eq!(
            q,
            Ok(AdminLogV2Query {
                mintime_ms: 1000,
                maxtime_ms: 2000,
                limit: 1000,
                sort: LogSort::Ascending,
                after: Some(LogCursor {
                    timestamp_ms: 1500,
                    id: "abc".into()
                }),
            })
        );
        let defaults = v2("mintime=1&maxtime=2");
        assert_eq!(defaults.as_ref().map(|q| q.limit), Ok(100));
        assert_eq!(defaults.map(|q| q.sort), Ok(LogSort::Descending));
    }

    #[test]
    fn v2_refuses_bad_input_naming_the_parameter() {
        assert_eq!(detail(v2("maxtime=2")).as_deref(), Some("mintime"));
        assert_eq!(detail(v2("mintime=2")).as_deref(), Some("maxtime"));
        assert_eq!(
            detail(v2("mintime=2&maxtime=2")).as_deref(),
            Some("maxtime")
        );
        assert_eq!(
            detail(v2("mintime=1&maxtime=2&sort=up")).as_deref(),
            Some("sort")
        );
        assert_eq!(
            detail(v2("mintime=1&maxtime=2&limit=-3")).as_deref(),
            Some("limit")
        );
        assert_eq!(
            detail(v2("mintime=1&maxtime=2&offset=3")).as_deref(),
            Some("offset")
        );
        for cursor in ["abc", "12", ",x", "1x,y", "12,"] {
            let q = format!("mintime=1&maxtime=2&next_offset={cursor}");
            assert_eq!(detail(v2(&q)).as_deref(), Some("next_offset"), "{cursor}");
        }
    }

    #[test]
    fn v2_response_has_a_null_cursor_on_the_last_page() {
        let cursor = LogCursor {
            timestamp_ms: 7,
            id: "e1".into(),
        };
        assert_eq!(
            admin_log_v2_response(vec![json!({"action": "user_create"})], Some(&cursor), 3),
            json!({"items": [{"action": "user_create"}],
                   "metadata": {"next_offset": "7,e1", "total_objects": 3}})
        );
        assert_eq!(
            admin_log_v2_response(vec![], None, 0)["metadata"]["next_offset"],
            Value::Null
        );
        assert_eq!(LogCursor::parse(&cursor.to_wire()), Ok(cursor));
    }
}
