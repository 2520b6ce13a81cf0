//! Roster's entra connector. (Being written.)
