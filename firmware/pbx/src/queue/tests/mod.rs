//! Tests of the queue machine, all in virtual time: scripted tables per strategy and option,
//! a property test against a naive reference model, and a property test of reconfiguration.
mod harness;
mod ledger;
mod model;
mod prop;
mod prop_reconfig;
mod table_options;
mod table_strategies;
