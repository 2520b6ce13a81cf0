//! Roster's okta connector. (Being written.)
