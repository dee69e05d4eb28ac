//! Tests of the queue machine, all in virtual time: scripted tables per strategy and option,
//! and a property test against a naive reference model.
mod harness;
mod model;
mod prop;
mod table_options;
mod table_strategies;
