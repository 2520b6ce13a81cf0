//! OAuth consent. (Being written.)
