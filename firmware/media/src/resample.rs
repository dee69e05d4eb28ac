//! Sample-rate conversion between the rates the box uses (8, 16 and 48 kHz) and, for uploads,
//! any common rate.
