"""The reference base: curated sources, answer cards and terms."""
