//! SIP trunk (provider) registration client — being written.
