//! Errors of the till's use cases, each with a stable code. (in progress)
