//! Tests of the call applications in virtual time.
mod harness;
mod ivr;
