//! Conference rooms: a sans-IO audio mixer (each participant hears everyone but themselves).
