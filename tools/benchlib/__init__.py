"""tools/bench's workloads (sip, media, msrp) and what they share (common)."""
