//! Safe decoding: limits from the header before any pixel is allocated.
