//! Tests of the call applications in virtual time.
mod bench;
mod harness;
mod ivr;
mod property;
mod record_prompt;
mod vm_menu;
mod voicemail;
