//! Cross-process tests: a real relay (in-process or as a child process),
//! real QUIC clients on loopback.

mod support;

mod crash;
mod drill;
mod duty;
mod radio;
mod sessions;
