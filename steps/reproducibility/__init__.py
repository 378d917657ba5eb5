"""Same inputs, same bytes, and a record of what made them: seeds and the hash seed
(determinism), deterministic serialisation of Keras, TensorBoard and notebook files (sealing),
the environment fingerprint (environment) and provenance.json (provenance)."""
