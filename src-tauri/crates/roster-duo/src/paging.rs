//! Duo's `limit`/`offset` paging and the `metadata` of a paged list.
//!
//! Each list endpoint has a default and a maximum `limit` (users 100/300, groups 100/500, a group's
//! users 100/500, a user's groups 100/500, admins 100/100). A `limit` above the maximum is lowered to
//! it, as Duo does ("consider the limit a request"); a `limit` below 1, a negative `offset`, or either
//! not a decimal integer is 40002 naming it.

use serde_json::{json, Map, Value};

use crate::error::DuoError;
use crate::params::Params;

/// An endpoint's default and maximum page size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimits {
    /// `limit` when the request gives none.
    pub default: u32,
    /// The largest `limit` served; larger requests get this many.
    pub max: u32,
}

impl PageLimits {
    /// `GET /admin/v1/users`: default 100, max 300.
    pub const USERS: PageLimits = PageLimits {
        default: 100,
        max: 300,
    };
    /// `GET /admin/v1/groups`: default 100, max 500.
    pub const GROUPS: PageLimits = PageLimits {
        default: 100,
        max: 500,
    };
    /// `GET /admin/v2/groups/{id}/users`: default 100, max 500.
    pub const GROUP_USERS: PageLimits = PageLimits {
        default: 100,
        max: 500,
    };
    /// `GET /admin/v1/users/{id}/groups`: default 100, max 500.
    pub const USER_GROUPS: PageLimits = PageLimits {
        default: 100,
        max: 500,
    };
    /// `GET /admin/v1/admins`: default 100, max 100.
    pub const ADMINS: PageLimits = PageLimits {
        default: 100,
        max: 100,
    };
    /// `GET /admin/v2/logs/administrator`: default 100, max 1000.
    pub const LOGS: PageLimits = PageLimits {
        default: 100,
        max: 1000,
    };
}

/// One page's window: serve items `offset .. offset + limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// How many items at most (already clamped to the endpoint's maximum).
    pub limit: u32,
    /// How many items to skip.
    pub offset: u64,
}

impl Page {
    /// The page a request asks for under `limits`.
    pub fn from_params(params: &Params, limits: PageLimits) -> Result<Page, DuoError> {
        let limit = match params.int("limit", 1..=i64::MAX)? {
            None => limits.default,
            Some(n) => u32::try_from(n).unwrap_or(u32::MAX).min(limits.max),
        };
        let offset = params.int("offset", 0..=i64::MAX)?.unwrap_or(0);
        Ok(Page {
            limit,
            offset: u64::try_from(offset).unwrap_or(0),
        })
    }

    /// The metadata of this page of a list of `total_objects`: `next_offset` only when items remain
    /// after it, `prev_offset` only when it does not start at 0.
    pub fn metadata(&self, total_objects: u64) -> ListMetadata {
        let end = self.offset.saturating_add(u64::from(self.limit));
        ListMetadata {
            total_objects,
            next_offset: (end < total_objects).then_some(end),
            prev_offset: (self.offset > 0)
                .then(|| self.offset.saturating_sub(u64::from(self.limit))),
        }
    }
}

/// A paged list's `metadata`, as Duo emits it: `total_objects` always, `next_offset` only when there
/// is a next page, `prev_offset` only when there is a previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListMetadata {
    /// How many objects the whole list has.
    pub total_objects: u64,
    /// Where the next page starts; `None` on the last page.
    pub next_offset: Option<u64>,
    /// Where the previous page starts; `None` on the first page.
    pub prev_offset: Option<u64>,
}

impl ListMetadata {
    /// The `metadata` object.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("total_objects".into(), json!(self.total_objects));
        if let Some(next) = self.next_offset {
            m.insert("next_offset".into(), json!(next));
        }
        if let Some(prev) = self.prev_offset {
            m.insert("prev_offset".into(), json!(prev));
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    fn page(query: &str, limits: PageLimits) -> Result<Page, DuoError> {
        Page::from_params(&Params::from_query(query)?, limits)
    }

    #[test]
    fn defaults_apply_when_absent() {
        assert_eq!(
            page("", PageLimits::USERS),
            Ok(Page {
                limit: 100,
                offset: 0
            })
        );
    }

    #[test]
    fn a_limit_above_the_maximum_is_lowered_to_it() {
        assert_eq!(
            page("limit=1000", PageLimits::USERS).map(|p| p.limit),
            Ok(300)
        );
        assert_eq!(
            page("limit=501", PageLimits::GROUPS).map(|p| p.limit),
            Ok(500)
        );
        assert_eq!(
            page("limit=101", PageLimits::ADMINS).map(|p| p.limit),
            Ok(100)
        );
        assert_eq!(
            page("limit=99999999999999999999", PageLimits::LOGS).map(|p| p.limit),
            Err(DuoError::invalid_param("limit")),
            "a number past i64 is not a number Duo reads"
        );
        assert_eq!(
            page("limit=250&offset=9001", PageLimits::GROUP_USERS),
            Ok(Page {
                limit: 250,
                offset: 9001
            })
        );
    }

    #[test]
    fn bad_limits_and_offsets_are_40002_naming_them() {
        for (query, name) in [
            ("limit=-1", "limit"),
            ("limit=0", "limit"),
            ("limit=ten", "limit"),
            ("limit=1.5", "limit"),
            ("limit=", "limit"),
            ("limit=+5", "limit"),
            ("offset=-1", "offset"),
            ("offset=x", "offset"),
            ("offset=1&offset=2", "offset"),
        ] {
            let err = page(query, PageLimits::USERS).err();
            assert_eq!(
                err.as_ref().map(|e| e.code),
                Some(Code::InvalidParameters),
                "{query}"
            );
            assert_eq!(err.and_then(|e| e.detail).as_deref(), Some(name), "{query}");
        }
    }

    #[test]
    fn metadata_offers_next_until_the_last_page() {
        let first = Page {
            limit: 100,
            offset: 0,
        };
        assert_eq!(
            first.metadata(250),
            ListMetadata {
                total_objects: 250,
                next_offset: Some(100),
                prev_offset: None
            }
        );
        let last = Page {
            limit: 100,
            offset: 200,
        };
        assert_eq!(
            last.metadata(250),
            ListMetadata {
                total_objects: 250,
                next_offset: None,
                prev_offset: Some(100)
            }
        );
        let exact = Page {
            limit: 100,
            offset: 100,
        };
        assert_eq!(exact.metadata(200).next_offset, None, "no empty last page");
        let past_end = Page {
            limit: 100,
            offset: 50,
        };
        assert_eq!(past_end.metadata(0).next_offset, None);
        assert_eq!(past_end.metadata(0).prev_offset, Some(0));
        assert_eq!(
            first.metadata(0).to_json(),
            json!({"total_objects": 0}),
            "an empty list has only the total"
        );
    }
}
