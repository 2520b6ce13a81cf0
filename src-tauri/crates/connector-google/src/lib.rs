//! Roster's google connector. (Being written.)
